// Shop service: shops and merchants (legacy tables shops, merchants, and the merchant
// rows of staff_sessions). Rules: see common.thrift and thrift/README.md.
include "common.thrift"
namespace js zigzag.shop

struct Shop {
  1: common.Id id
  2: string name
  3: string slug
  4: optional string url
  5: optional string description
  /** pending | active | suspended | terminated */
  6: string contractStatus
  /** open | closed */
  7: string status
  8: common.Decimal commissionRate
  9: double followerCount
  10: common.Timestamp createdAt
  11: common.Timestamp updatedAt
}

struct ShopFilter {
  1: optional list<string> statuses
  2: optional list<string> contractStatuses
  /** name contains */
  3: optional string q
  4: optional list<common.Id> ids
}

struct ShopQuery {
  1: optional ShopFilter filter
  /** newest | name | followers */
  2: optional string sort
  3: optional common.PageRequest page
}

struct ShopPage {
  1: list<Shop> items
  2: common.PageInfo page
}

struct ShopInput {
  1: string name
  2: string slug
  3: optional string url
  4: optional string description
  5: optional string contractStatus
  6: optional common.Decimal commissionRate
}

struct ShopPatch {
  1: optional string name
  2: optional string slug
  3: optional string url
  4: optional string description
  5: optional string contractStatus
  6: optional common.Decimal commissionRate
  7: optional bool clearUrl
  8: optional bool clearDescription
}

/** Result of close/reopen: the previous status lets a saga compensate exactly. */
struct ShopStatusChange {
  1: common.Id shopId
  2: string fromStatus
  3: string toStatus
  4: Shop shop
}

struct Merchant {
  1: common.Id id
  2: common.Id shopId
  3: string email
  4: string name
  5: common.Timestamp createdAt
}

struct MerchantInput {
  1: common.Id shopId
  2: string email
  3: string password
  4: string name
}

struct StaffSession {
  /** `<merchantId>.<random>`; shown once, stored as sha256 */
  1: string token
  2: common.Timestamp expiresAt
  3: Merchant merchant
}

struct FollowerDelta {
  1: common.Id shopId
  2: double delta
}

service ShopService extends common.BaseService {
  Shop getShop(1: common.RequestContext ctx, 2: common.Id id)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Found shops in the order of `ids`; unknown ids are left out. */
  list<Shop> getMany(1: common.RequestContext ctx, 2: list<common.Id> ids)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  ShopPage listShops(1: common.RequestContext ctx, 2: ShopQuery query)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  Shop createShop(1: common.RequestContext ctx, 2: ShopInput input)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  Shop updateShop(1: common.RequestContext ctx, 2: common.Id id, 3: ShopPatch patch)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** status -> closed (saga step 1). */
  ShopStatusChange closeShop(1: common.RequestContext ctx, 2: common.Id id)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** status -> open (saga compensation). */
  ShopStatusChange reopenShop(1: common.RequestContext ctx, 2: common.Id id)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  void applyFollowerDeltas(1: common.RequestContext ctx, 2: list<FollowerDelta> deltas)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  Merchant createMerchant(1: common.RequestContext ctx, 2: MerchantInput input)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Wrong email or password -> Unauthorized (same message for both). */
  StaffSession merchantLogin(1: common.RequestContext ctx, 2: string email, 3: string password)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Unknown or expired token -> Unauthorized. */
  Merchant verifyMerchantSession(1: common.RequestContext ctx, 2: string token)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  void merchantLogout(1: common.RequestContext ctx, 2: string token)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  list<Merchant> getMerchants(1: common.RequestContext ctx, 2: list<common.Id> ids)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)
}
