/**
 * One interface, two implementations (MySQL/MariaDB FULLTEXT, Elasticsearch).
 * Every backend answers the same SearchRequest with the same SearchResult
 * shape, and applies writes idempotently by product version.
 */

export type ProductStatus = 'active' | 'hidden' | 'sold_out';

/** What the index stores per product: enough to filter, sort and present a list item. */
export interface SearchDocument {
  id: number;
  version: number;
  shopId: number;
  shopName: string;
  categoryId: number | null;
  categoryName: string | null;
  name: string;
  description: string | null;
  /** Exact decimals as strings ('39000.00'). */
  price: string;
  salePrice: string | null;
  discountRate: string;
  currency: string;
  status: ProductStatus;
  imageUrl: string | null;
  likeCount: number;
  popularityScore: number;
  /** Extra searchable words (brand, colour, material...) from the product's attributes. */
  keywords: string | null;
  /** 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC). */
  createdAt: string;
}

/** `relevance` is the search default; the others are the legacy product-list sorts. */
export const SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'popularity'] as const;
export type SearchSort = (typeof SORTS)[number];

/** Shoppers see listed products only, as in the legacy search. */
export const DEFAULT_STATUSES: ProductStatus[] = ['active'];

export interface SearchFilters {
  categoryId?: number;
  shopId?: number;
  /** Inclusive bounds on the effective price (sale price when set, else price), decimal strings. */
  minPrice?: string;
  maxPrice?: string;
  /** Statuses to return; default ['active'] (what the legacy search lists). */
  statuses?: ProductStatus[];
}

export interface SearchRequest {
  q: string;
  filters: SearchFilters;
  sort: SearchSort;
  offset: number;
  limit: number;
}

export interface SearchHit {
  id: number;
  score: number;
  doc: SearchDocument;
}

export interface SearchResult {
  total: number;
  hits: SearchHit[];
}

export interface WriteOutcome {
  /** Documents written (new or at least as new as the stored version). */
  applied: number;
  /** Documents ignored because the index already holds a newer version. */
  stale: number;
  /** Ids of the stale documents (upserts; informational, read before the write). */
  staleIds?: number[];
}

/** Where a full rebuild writes; serialisable (it goes into the reindex checkpoint). */
export interface RebuildTarget {
  runId: string;
  /** Backend-specific: MySQL rebuilds in place ('live'), Elasticsearch into a new physical index. */
  target: string;
}

export interface SearchBackend {
  readonly kind: 'mysql' | 'elasticsearch' | 'embedded';
  /** Creates what the backend needs (tables are migrated separately; ES: index + alias). */
  init(): Promise<void>;
  search(req: SearchRequest): Promise<SearchResult>;
  /**
   * Version-guarded upsert: an older version never overwrites a newer document.
   * `force` writes regardless (saga compensation, documents without a version).
   */
  upsert(docs: SearchDocument[], opts?: { force?: boolean }): Promise<WriteOutcome>;
  /**
   * Version-guarded delete (leaves a tombstone so a late older upsert cannot
   * resurrect it). `force` removes whatever version is stored (the tombstone
   * takes the higher of the stored and the given version).
   */
  remove(id: number, version: number, opts?: { force?: boolean }): Promise<WriteOutcome>;
  /** Removes every live document of a shop; returns the removed product ids (saga compensation re-indexes them). */
  removeByShop(shopId: number): Promise<number[]>;
  /** The stored document (null when absent or tombstoned). */
  get(id: number): Promise<SearchDocument | null>;
  count(): Promise<number>;
  beginRebuild(runId: string): Promise<RebuildTarget>;
  loadRebuild(target: RebuildTarget, docs: SearchDocument[]): Promise<void>;
  /** Makes the rebuilt index live and drops what the run did not see (deleted products). */
  finishRebuild(target: RebuildTarget, startedAt: Date): Promise<void>;
  /** Throws when the backend cannot serve. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Raised by backends when the store cannot be reached; the HTTP edge maps it to 503. */
export class BackendUnavailableError extends Error {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BackendUnavailableError';
  }
}

export function effectivePrice(doc: Pick<SearchDocument, 'price' | 'salePrice'>): string {
  return doc.salePrice ?? doc.price;
}
