/**
 * What the periodic jobs need, one small interface per owning service. No
 * port joins tables of two owners: the jobs assemble the data in memory from
 * batch calls (adapters.ts has one implementation per port over the owner's
 * own tables, and Thrift ones where the IDL has the call).
 */
import type { EventBucket } from '../../lib/contract/jobs/scoring.ts';

/** The event log (`logs`, legacy-owned): views and clicks. */
export interface EventLog {
  /** View/click counts per (product, type, age in days before `day`) for events in [from, to). */
  productBuckets(day: string, from: string, to: string): Promise<EventBucket[]>;
  /** View/click counts per shop for events in [from, to). */
  shopCounts(from: string, to: string): Promise<Map<number, { views: number; clicks: number }>>;
}

/** Likes (user service). */
export interface LikeLog {
  /** Like counts per (product, age in days before `day`) for likes created in [from, to). */
  productBuckets(day: string, from: string, to: string): Promise<EventBucket[]>;
}

export interface ProductFacts { id: number; shopId: number; status: 'active' | 'hidden' | 'sold_out' }

/** Products (product service). */
export interface ProductCatalog {
  facts(ids: number[]): Promise<Map<number, ProductFacts>>;
  /** Products whose stored popularity score is > 0, with that score. */
  scoredProducts(): Promise<Map<number, number>>;
  /** Sets scores (and 0 for `zero`) without touching updated_at (a ranking is not an edit). */
  writeScores(set: [number, number][], zero: number[]): Promise<void>;
  /** Active products per shop. */
  activeCounts(shopIds: number[]): Promise<Map<number, number>>;
}

export interface ShopFacts { id: number; status: 'open' | 'closed'; contractStatus: string }

/** Shops (shop service). */
export interface ShopDirectoryPort {
  allIds(): Promise<number[]>;
  facts(ids: number[]): Promise<Map<number, ShopFacts>>;
}

/** Where shop stats land (`shop_daily_stats`). */
export interface ShopStatsSink {
  upsert(rows: Array<{ shopId: number; day: string; views: number; clicks: number; likes: number; activeProducts: number }>, computedAt: string): Promise<void>;
}

export interface JobPorts {
  events: EventLog;
  likes: LikeLog;
  products: ProductCatalog;
  shops: ShopDirectoryPort;
  stats: ShopStatsSink;
}
