// Search service: owns its index (MySQL FULLTEXT by default, Elasticsearch when
// configured) and no legacy table. Rules: see common.thrift and thrift/README.md.
include "common.thrift"
include "product.thrift"
namespace js zigzag.search

/** What the index stores per product (denormalised; the product service stays the source of truth). */
struct SearchDocument {
  1: common.Id productId
  2: common.Id shopId
  3: optional i32 categoryId
  4: string name
  5: optional string description
  6: common.Decimal price
  7: optional common.Decimal salePrice
  8: string status
  9: double popularityScore
  10: common.Timestamp createdAt
  11: optional string shopName
}

struct SearchQuery {
  1: optional string q
  2: optional common.Id shopId
  3: optional i32 categoryId
  4: optional common.Decimal minPrice
  5: optional common.Decimal maxPrice
  /** relevance | newest | price_asc | price_desc | popular */
  6: optional string sort
  7: optional common.PageRequest page
  /** hydrate hits into products through the product service */
  8: optional bool hydrate
  9: optional product.ProductView view
}

struct SearchHit {
  1: common.Id productId
  2: double score
}

struct SearchResult {
  1: list<SearchHit> hits
  2: common.PageInfo page
  /** in hit order, when hydrate was asked for (hidden or deleted products are left out) */
  3: optional list<product.Product> products
}

struct ReindexRequest {
  /** resume after this product id ("" or absent: from the start) */
  1: optional common.Id afterId
  2: optional i32 batchSize
}

struct ReindexProgress {
  1: i32 indexed
  2: optional common.Id lastId
  3: bool done
}

service SearchService extends common.BaseService {
  SearchResult search(1: common.RequestContext ctx, 2: SearchQuery query)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Insert or replace documents; returns how many were written. */
  i32 indexDocuments(1: common.RequestContext ctx, 2: list<SearchDocument> docs)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Remove documents by product id; returns how many existed. */
  i32 removeDocuments(1: common.RequestContext ctx, 2: list<common.Id> productIds)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** Remove a shop's documents (close-shop saga step); returns the removed product ids for compensation. */
  list<common.Id> removeByShop(1: common.RequestContext ctx, 2: common.Id shopId)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  /** One batch of a resumable full reindex from the product service. Call until done. */
  ReindexProgress reindex(1: common.RequestContext ctx, 2: ReindexRequest request)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)

  i32 documentCount(1: common.RequestContext ctx)
    throws (1: common.NotFound notFound, 2: common.InvalidArgument invalid, 3: common.Conflict conflict, 4: common.Unauthorized unauthorized, 5: common.Unavailable unavailable)
}
