import { expect } from 'chai';
import { SHOP_STATS_BATCH, ThriftProductCatalog, type ProductBatchApi } from '../../../rpc/jobs/thrift-adapters.ts';

describe('jobs Thrift adapters: batch sizes', () => {
  it(`active counts ask statsByShop for at most ${SHOP_STATS_BATCH} shops per call (its work grows with the shops' products) and merge every answer`, async () => {
    const calls: string[][] = [];
    const api = {
      async statsByShop(_ctx: unknown, shopIds: string[]) {
        calls.push(shopIds);
        return shopIds.map((id) => ({ shopId: id, activeProducts: Number(id) * 10 }));
      },
    } as unknown as ProductBatchApi;
    const ids = Array.from({ length: 2 * SHOP_STATS_BATCH + 3 }, (_, i) => i + 1);
    const counts = await new ThriftProductCatalog(api).activeCounts(ids);
    expect(calls.map((c) => c.length)).to.deep.equal([SHOP_STATS_BATCH, SHOP_STATS_BATCH, 3]);
    expect(counts.size).to.equal(ids.length);
    expect(counts.get(ids.length)).to.equal(ids.length * 10);
    // a smaller configured id batch (tests use 2) still wins
    calls.length = 0;
    await new ThriftProductCatalog(api, { ids: 2 }).activeCounts([1, 2, 3]);
    expect(calls.map((c) => c.length)).to.deep.equal([2, 1]);
  });
});
