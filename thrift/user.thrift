// User service: users, shopper sessions, likes and shop bookmarks (legacy tables users,
// sessions, likes, shop_bookmarks). Rules: see common.thrift and thrift/README.md.
include "common.thrift"
namespace js zigzag.user

struct User {
  1: common.Id id
  2: string email
  3: string name
  /** female | male | other */
  4: optional string gender
  5: optional i32 birthYear
  6: common.Timestamp createdAt
  7: common.Timestamp updatedAt
}

struct SignUpInput {
  1: string email
  2: string password
  3: string name
  4: optional string gender
  5: optional i32 birthYear
}

struct UserPatch {
  1: optional string name
  2: optional string gender
  3: optional i32 birthYear
  4: optional bool clearGender
  5: optional bool clearBirthYear
}

struct Session {
  /** `<userId>.<random base64url>`; shown once, stored as sha256 */
  1: string token
  2: common.Timestamp expiresAt
  3: User user
}

struct SessionInfo {
  1: User user
  2: common.Timestamp expiresAt
}

/** A liked product or bookmarked shop, newest first in lists. */
struct Mark {
  1: common.Id targetId
  2: common.Timestamp createdAt
}

struct MarkPage {
  1: list<Mark> items
  2: common.PageInfo page
}

struct MarkResult {
  /** true when this call changed something (added a new mark / removed an existing one) */
  1: bool changed
  /** the target's mark count after the call */
  2: double count
}

/** Marks created on one UTC day for one target (`day` is YYYY-MM-DD). */
struct DailyCount {
  1: common.Id targetId
  2: string day
  3: double count
}

/** One keyset page, ascending by target id then day. */
struct DailyCountPage {
  1: list<DailyCount> items
  /** pass as `afterId` for the next page; absent on the last page (a target's days never split across pages) */
  2: optional common.Id nextAfterId
}

/** Admin user list: newest first; `q` matches email or name (substring, case-insensitive like legacy). */
struct UserQuery {
  1: optional string q
  2: optional common.PageRequest page
}

struct UserPage {
  1: list<User> items
  /** total is always set */
  2: common.PageInfo page
}

service UserService extends common.BaseService {
  User signUp(1: common.RequestContext ctx, 2: SignUpInput input)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Wrong email or password -> Unauthorized (same message for both). */
  Session login(1: common.RequestContext ctx, 2: string email, 3: string password)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Unknown or expired token -> Unauthorized. */
  SessionInfo verifySession(1: common.RequestContext ctx, 2: string token)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  void logout(1: common.RequestContext ctx, 2: string token)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  User getUser(1: common.RequestContext ctx, 2: common.Id id)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Found users in the order of `ids`; unknown ids are left out. */
  list<User> getMany(1: common.RequestContext ctx, 2: list<common.Id> ids)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  User updateUser(1: common.RequestContext ctx, 2: common.Id id, 3: UserPatch patch)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  MarkResult addLike(1: common.RequestContext ctx, 2: common.Id userId, 3: common.Id productId)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  MarkResult removeLike(1: common.RequestContext ctx, 2: common.Id userId, 3: common.Id productId)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  MarkPage listLikes(1: common.RequestContext ctx, 2: common.Id userId, 3: common.PageRequest page)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Which of `productIds` the user liked (for "liked" flags in listings). */
  list<common.Id> likedAmong(1: common.RequestContext ctx, 2: common.Id userId, 3: list<common.Id> productIds)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Like counts per product id (stats jobs); ids with no likes come back with 0. */
  list<common.IdCount> likeCounts(1: common.RequestContext ctx, 2: list<common.Id> productIds)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  MarkResult addBookmark(1: common.RequestContext ctx, 2: common.Id userId, 3: common.Id shopId)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  MarkResult removeBookmark(1: common.RequestContext ctx, 2: common.Id userId, 3: common.Id shopId)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  MarkPage listBookmarks(1: common.RequestContext ctx, 2: common.Id userId, 3: common.PageRequest page)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Bookmark counts per shop id; ids with none come back with 0. */
  list<common.IdCount> bookmarkCounts(1: common.RequestContext ctx, 2: list<common.Id> shopIds)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /**
   * Likes created in [from, to) per product and UTC day (stats and ranking jobs, merchant stats).
   * `productIds` absent = every product; present = only those (at most 5000). Keyset paging by product id
   * after `afterId` ("0" = from the start), at most `limit` (1..5000) products per page.
   */
  DailyCountPage likesByDay(1: common.RequestContext ctx, 2: common.Timestamp fromTime, 3: common.Timestamp toTime, 4: optional list<common.Id> productIds, 5: common.Id afterId, 6: i32 limit)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Deletes every like of these products (they were deleted by the product service); returns how many likes went. Idempotent. */
  double forgetProducts(1: common.RequestContext ctx, 2: list<common.Id> productIds)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Admin list of users, newest (highest id) first, with the total count. */
  UserPage listUsers(1: common.RequestContext ctx, 2: UserQuery query)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)
}
