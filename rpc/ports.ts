import type { EventCount, StatsWindow } from '../lib/contract/merchant-stats.ts';
import type { ProductImageRow, ProductRow, ShopRow, StaffRow } from '../lib/contract/rows.ts';

/**
 * What one service needs from another, as small TypeScript interfaces with
 * plain numbers and contract rows. Production wires Thrift clients behind
 * them (rpc/thrift-ports.ts); unit tests use in-memory fakes. No
 * service reaches another service's tables through these.
 */

/** Shop service, as the product and user services see it. */
export interface ShopDirectory {
  /** Found shops (any status); unknown ids are left out. One call per page. */
  getMany(ids: number[]): Promise<ShopRow[]>;
  get(id: number): Promise<ShopRow | undefined>;
  adjustFollowers(shopId: number, delta: number): Promise<void>;
  getMerchant(id: number): Promise<StaffRow | undefined>;
}

/** User service: who a bearer token belongs to (null: unknown, expired or malformed). */
export interface SessionVerifier {
  verify(token: string): Promise<number | null>;
}

export interface CatalogProduct { row: ProductRow; images: ProductImageRow[]; shopName: string }

/** Product service, as the user service and the shop saga see it. */
export interface Catalog {
  /** Found products with images and shop names; `includeHidden` false leaves hidden ones out. */
  getMany(ids: number[], opts: { includeHidden: boolean }): Promise<CatalogProduct[]>;
  /** id → status, for filtering (no hydration). */
  statuses(ids: number[]): Promise<Map<number, ProductRow['status']>>;
  applyCounters(deltas: { productId: number; likeDelta?: number; viewDelta?: number }[]): Promise<void>;
}

export interface ProductStatusChange { id: number; fromStatus: ProductRow['status']; toStatus: ProductRow['status'] }

/** The product side of the close-shop saga. */
export interface ProductCommands {
  /** What hideByShop would change now (no side effect). */
  previewHideByShop(shopId: number): Promise<ProductStatusChange[]>;
  hideByShop(shopId: number): Promise<ProductStatusChange[]>;
  restoreStatuses(changes: ProductStatusChange[]): Promise<ProductStatusChange[]>;
}

/** The search side of the close-shop saga (search service Thrift API, or an in-memory index in tests). */
export interface SearchIndex {
  remove(productIds: number[]): Promise<void>;
  /**
   * Puts documents back as they were before `remove` (compensation): data
   * from the product service, status as given — the saga restores the
   * products' own status in the next compensation step.
   */
  reindex(items: { id: number; status: 'active' | 'sold_out' | 'hidden' }[]): Promise<void>;
}

/** The legacy-owned event log (`logs` table stays in legacy): see docs/services.md "Views". */
export interface ActivityLog {
  write(e: { type: 'view' | 'click' | 'like'; userId?: number | null; productId?: number | null; shopId?: number | null; meta?: Record<string, unknown> | null }): Promise<void>;
}

/** Views per product from the legacy-owned log (merchant stats). */
export interface ViewCounts {
  byProduct(productIds: number[]): Promise<Map<number, { views: number; clicks: number }>>;
  /** The shop's view/click log rows within the window (UTC days, inclusive), per product id (null: no product). */
  inShopWindow(shopId: number, window: StatsWindow): Promise<EventCount[]>;
}
