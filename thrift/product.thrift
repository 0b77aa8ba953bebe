// Product service: products, their images and categories (legacy tables products,
// product_images, categories). Rules: see common.thrift and thrift/README.md.
include "common.thrift"
namespace js zigzag.product

struct ProductImage {
  1: common.Id id
  2: string url
  3: i32 position
}

/** The shop fields a product listing shows; filled by the product service from the shop service. */
struct ShopSummary {
  1: common.Id id
  2: string name
  3: string slug
  /** open | closed */
  4: string status
}

struct Product {
  1: common.Id id
  2: common.Id shopId
  3: optional i32 categoryId
  4: string externalId
  5: string name
  6: optional string description
  7: common.Decimal price
  8: optional common.Decimal salePrice
  9: string currency
  /** active | hidden | sold_out */
  10: string status
  /** the JSON column, verbatim */
  11: optional string attributesJson
  12: double likeCount
  13: double viewCount
  14: double popularityScore
  15: i32 version
  /** generated column: percent off, "0.00" when no sale price */
  16: common.Decimal discountRate
  17: common.Timestamp createdAt
  18: common.Timestamp updatedAt
  19: optional list<ProductImage> images
  20: optional ShopSummary shop
}

struct Category {
  1: i32 id
  2: optional i32 parentId
  3: string name
  4: string slug
}

/** What to include with each product (joins cost; ask only for what you show). */
struct ProductView {
  1: optional bool withImages
  2: optional bool withShop
  /** include hidden products (admin/merchant views); default false */
  3: optional bool includeHidden
}

struct ProductFilter {
  1: optional common.Id shopId
  2: optional i32 categoryId
  /** any of active | hidden | sold_out; default active only */
  3: optional list<string> statuses
  4: optional common.Decimal minPrice
  5: optional common.Decimal maxPrice
  6: optional list<common.Id> ids
  /** name contains (legacy LIKE search) */
  7: optional string q
  8: optional bool onSale
}

struct ProductQuery {
  1: optional ProductFilter filter
  /** newest | price_asc | price_desc | popular | discount | likes */
  2: optional string sort
  3: optional common.PageRequest page
  4: optional ProductView view
}

struct ProductPage {
  1: list<Product> items
  2: common.PageInfo page
}

/** Create input. Absent optional fields take the database defaults. */
struct ProductInput {
  1: common.Id shopId
  2: optional i32 categoryId
  3: string externalId
  4: string name
  5: optional string description
  6: common.Decimal price
  7: optional common.Decimal salePrice
  8: optional string currency
  9: optional string status
  10: optional string attributesJson
  11: optional list<string> imageUrls
}

/** Update input: only set fields change. clearSalePrice/clearDescription unset nullable columns. */
struct ProductPatch {
  1: optional i32 categoryId
  2: optional string name
  3: optional string description
  4: optional common.Decimal price
  5: optional common.Decimal salePrice
  6: optional string currency
  7: optional string status
  8: optional string attributesJson
  9: optional list<string> imageUrls
  10: optional bool clearSalePrice
  11: optional bool clearDescription
  /** optimistic lock: fail with Conflict when the row's version differs */
  12: optional i32 expectedVersion
}

struct BulkUpsertItemResult {
  1: string externalId
  /** created | updated | unchanged | failed */
  2: string outcome
  3: optional common.Id id
  4: optional string errorCode
  5: optional string errorMessage
}

struct BulkUpsertResult {
  1: i32 created
  2: i32 updated
  3: i32 unchanged
  4: i32 failed
  5: list<BulkUpsertItemResult> items
}

struct StatusChange {
  1: common.Id id
  2: string fromStatus
  3: string toStatus
}

/** Counter deltas applied in one batch (likes come from the user service, views from logs). */
struct CounterDelta {
  1: common.Id productId
  2: optional double likeDelta
  3: optional double viewDelta
}

/** Per-shop product numbers for merchant stats. */
struct ShopProductStats {
  1: common.Id shopId
  2: i32 activeProducts
  3: i32 totalProducts
  4: double likeCount
  5: double viewCount
}

/** A product's stored popularity score (the ranking job reads and sets these). */
struct ProductScore {
  1: common.Id productId
  2: double score
}

/** One keyset page of scores, ascending by product id. */
struct ProductScorePage {
  1: list<ProductScore> items
  /** pass as `afterId` for the next page; absent on the last page */
  2: optional common.Id nextAfterId
}

/** One keyset page of ids, ascending. */
struct IdPage {
  1: list<common.Id> ids
  /** pass as `afterId` for the next page; absent on the last page */
  2: optional common.Id nextAfterId
}

service ProductService extends common.BaseService {
  Product getProduct(1: common.RequestContext ctx, 2: common.Id id, 3: ProductView view)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Found products in the order of `ids`; unknown ids are left out. */
  list<Product> getMany(1: common.RequestContext ctx, 2: list<common.Id> ids, 3: ProductView view)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  ProductPage listProducts(1: common.RequestContext ctx, 2: ProductQuery query)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  Product createProduct(1: common.RequestContext ctx, 2: ProductInput input)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  Product updateProduct(1: common.RequestContext ctx, 2: common.Id id, 3: ProductPatch patch)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** status -> hidden; returns the change so a saga can undo it. */
  StatusChange hideProduct(1: common.RequestContext ctx, 2: common.Id id)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  void deleteProduct(1: common.RequestContext ctx, 2: common.Id id)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Create or update by (shopId, externalId); per-item outcomes, one bad item does not fail the batch. */
  BulkUpsertResult bulkUpsert(1: common.RequestContext ctx, 2: common.Id shopId, 3: list<ProductInput> items)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Hide every visible product of a shop (saga step); returns what changed. */
  list<StatusChange> hideByShop(1: common.RequestContext ctx, 2: common.Id shopId)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Put products back to the given statuses (saga compensation); returns what changed. */
  list<StatusChange> restoreStatuses(1: common.RequestContext ctx, 2: list<StatusChange> changes)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  void applyCounters(1: common.RequestContext ctx, 2: list<CounterDelta> deltas)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  list<ShopProductStats> statsByShop(1: common.RequestContext ctx, 2: list<common.Id> shopIds)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  list<Category> listCategories(1: common.RequestContext ctx)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Products whose popularity score is above 0, ascending by id after `afterId` ("0" = from the start); limit 1..5000. */
  ProductScorePage listScores(1: common.RequestContext ctx, 2: common.Id afterId, 3: i32 limit)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Sets popularity scores (0 allowed) without touching updated_at or version: a ranking is not an edit. Unknown ids are ignored; at most 5000 per call. */
  void setScores(1: common.RequestContext ctx, 2: list<ProductScore> scores)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Ids of every product (any status) after `afterId` ("0" = from the start), ascending; limit 1..5000. For reindexing and audits. */
  IdPage listIdsAfter(1: common.RequestContext ctx, 2: common.Id afterId, 3: i32 limit)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /**
   * The admin crawler upload across shops, with legacy's contract: all or nothing. Every item is checked first
   * (fields, duplicate shop+externalId, unknown shops and categories); any problem → InvalidArgument whose details
   * name `items.<index>.<field>`, and nothing is written. Otherwise one upsert keyed by (item.shopId, externalId) in
   * one transaction; outcomes (never `failed`) in request order, new products numbered in request order. 1..1000 items.
   */
  BulkUpsertResult bulkUpsertItems(1: common.RequestContext ctx, 2: list<ProductInput> items)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)
}
