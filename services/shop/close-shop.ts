import { AppError } from '../../lib/errors.ts';
import type { ProductCommands, ProductStatusChange, SearchIndex } from '../../rpc/ports.ts';
import { recoverSagas, runSaga, type SagaDefinition, type SagaOptions, type SagaResult, type SagaStore } from '../common/saga.ts';

/**
 * Admin "close shop", spanning three services:
 *   1. shop service: status open → closed            (undo: back to open, if still closed)
 *   2. product service: hide the shop's products      (undo: restore each product's previous status)
 *   3. search service: remove those products          (undo: re-index them)
 * State goes to saga_log after every step; a failure compensates the failed
 * step and every earlier one in reverse; a crash is compensated by recovery.
 */
export const CLOSE_SHOP = 'close_shop';

export interface CloseShopContext {
  shopId: number;
  /** Step 1: the status before (persisted before the write; undo only reopens a shop that was open). */
  previousStatus?: 'open' | 'closed';
  /** Step 2: what it is about to hide (persisted before the call, so a crash mid-step can be undone) and what it hid. */
  planned?: ProductStatusChange[];
  hidden?: ProductStatusChange[];
  /** Step 3 input, persisted before the call (prepare): the products it removes and their status before step 2. */
  removedFromSearch?: { id: number; status: 'active' | 'sold_out' | 'hidden' }[];
}

/** The shop side, as the saga needs it (the shop repository in-process). */
export interface ShopStatusPort {
  status(shopId: number): Promise<'open' | 'closed' | undefined>;
  /** Compare-and-set; true when it changed. */
  setStatusIf(shopId: number, from: 'open' | 'closed', to: 'open' | 'closed'): Promise<boolean>;
}

export interface CloseShopPorts {
  shops: ShopStatusPort;
  products: ProductCommands;
  search: SearchIndex;
}

export function closeShopSaga(p: CloseShopPorts): SagaDefinition<CloseShopContext> {
  return {
    type: CLOSE_SHOP,
    steps: [
      {
        name: 'close shop',
        async prepare(ctx) {
          const status = await p.shops.status(ctx.shopId);
          if (status === undefined) throw new AppError('NOT_FOUND', `Shop ${ctx.shopId} not found`);
          return { previousStatus: status };
        },
        async run(ctx) {
          if (ctx.previousStatus === 'open') await p.shops.setStatusIf(ctx.shopId, 'open', 'closed');
        },
        async compensate(ctx) {
          // Recorded before the write, so a failure or crash right after the write is still undone.
          if (ctx.previousStatus === 'open') await p.shops.setStatusIf(ctx.shopId, 'closed', 'open');
        },
      },
      {
        name: 'hide products',
        async prepare(ctx) {
          return { planned: await p.products.previewHideByShop(ctx.shopId) };
        },
        async run(ctx) {
          return { hidden: await p.products.hideByShop(ctx.shopId) };
        },
        async compensate(ctx) {
          // restoreStatuses only touches products that are still hidden, so undoing the plan is safe when the step never ran.
          const changes = ctx.hidden ?? ctx.planned ?? [];
          if (changes.length) await p.products.restoreStatuses(changes);
        },
      },
      {
        name: 'remove from search',
        prepare(ctx) {
          return { removedFromSearch: (ctx.hidden ?? []).filter((c) => c.fromStatus === 'active').map((c) => ({ id: c.id, status: c.fromStatus })) };
        },
        async run(ctx) {
          if (ctx.removedFromSearch?.length) await p.search.remove(ctx.removedFromSearch.map((r) => r.id));
        },
        async compensate(ctx) {
          if (ctx.removedFromSearch?.length) await p.search.reindex(ctx.removedFromSearch);
        },
      },
    ],
  };
}

export interface CloseShopOutcome extends SagaResult<CloseShopContext> {}

export async function closeShop(p: CloseShopPorts, store: SagaStore, shopId: number, opts?: SagaOptions): Promise<CloseShopOutcome> {
  return runSaga(closeShopSaga(p), String(shopId), { shopId }, store, opts);
}

/** On start-up: compensate close-shop sagas a crash left half done. */
export async function recoverCloseShop(p: CloseShopPorts, store: SagaStore, opts?: SagaOptions) {
  return recoverSagas([closeShopSaga(p)], store, opts);
}

/** In-memory search index (tests, and the default until a search service is configured). */
export class MemorySearchIndex implements SearchIndex {
  readonly indexed = new Set<number>();
  constructor(ids: number[] = []) {
    for (const id of ids) this.indexed.add(id);
  }
  async remove(ids: number[]): Promise<void> {
    for (const id of ids) this.indexed.delete(id);
  }
  async reindex(items: { id: number }[]): Promise<void> {
    for (const i of items) this.indexed.add(i.id);
  }
}
