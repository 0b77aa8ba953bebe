import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { waitFor } from '../../test/helpers/wait.ts';
import { formatDiffs } from '../cli/format.ts';
import { admin, json, send, startStandIn, startTestFacade, table, type StandIn, type TestFacade } from './helpers.ts';

const LEGACY = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
/** The service's answer per query: same hits reordered, most hits missing, or a total far below legacy's. */
const SERVICE: Record<string, { ids: number[]; total: number }> = {
  same: { ids: LEGACY, total: 40 },
  reordered: { ids: [11, 101, 13, 20, 102, 15, 12, 17, 103, 19, 14, 18, 104, 16, 105, 1, 2, 3, 4, 5], total: 90 },
  poor: { ids: [20, 19, 18, ...Array.from({ length: 17 }, (_, i) => 300 + i)], total: 40 },
  fewer: { ids: LEGACY, total: 10 },
};
const answer = (ids: number[], total: number) => ({
  items: ids.map((id) => ({ id, name: `p${id}`, likeCount: Math.random() })), page: { page: 1, size: 20, total, hasNext: total > 20 },
});
const SHADOW = {
  overlap: [{ path: 'items', key: 'id', top: 10, min: 0.8, total: { path: 'page.total', ratio: 0.2, allowMore: true } }],
  ignore: ['items.*.likeCount', 'page.hasNext'], noiseSample: 0,
};

describe('strangler shadow overlap through the facade @integration', () => {
  let legacy: StandIn;
  let svc: StandIn;
  let f: TestFacade;

  before(async () => {
    legacy = await startStandIn((_req, res) => json(res, 200, answer(LEGACY, 40)));
    svc = await startStandIn((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams.get('q')!;
      json(res, 200, answer(SERVICE[q].ids, SERVICE[q].total));
    });
    f = await startTestFacade(table(legacy.url, svc.url, [
      { id: 'search', methods: ['GET'], path: '/api/search', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: SHADOW },
    ]));
  });
  after(async () => {
    await f?.stop();
    await legacy?.close();
    await svc?.close();
  });

  it('judges each shadowed search by overlap and reports the figures (diffs, overlap report, CLI text, metrics)', async () => {
    for (const q of ['same', 'reordered', 'poor', 'fewer']) expect((await send(`${f.url}/api/search?q=${q}`)).status).to.equal(200);
    const s = f.stats.get('search');
    await waitFor(() => s.shadow.matched + s.shadow.mismatched >= 4, { what: 'four shadow comparisons' });
    expect(s.shadow).to.include({ matched: 2, mismatched: 2 });

    const d = (await admin(f, '/routes/search/diffs')).json();
    const byUrl = new Map(d.diffs.map((x: { url: string }) => [x.url, x]));
    const poor = byUrl.get('/api/search?q=poor') as { differences: string[]; overlap: { value: number; missing: number[] }[] };
    expect(poor.differences).to.deep.equal(['overlap:body.items']);
    expect(poor.overlap[0]).to.deep.include({ value: 0.3, missing: [17, 16, 15, 14, 13] });
    const fewer = byUrl.get('/api/search?q=fewer') as { differences: string[]; overlap: { value: number; total: { ratio: number } }[] };
    expect(fewer.differences).to.deep.equal(['total:body.page.total']);
    expect(fewer.overlap[0]).to.deep.include({ value: 1 });
    expect(fewer.overlap[0].total).to.include({ ratio: 0.25 });

    // matches are in the figures too: how close, not only how often
    expect(d.overlap.lists[0]).to.deep.include({ path: 'items', compared: 4, belowMin: 1, lowest: 0.3 });
    expect(d.overlap.lists[0].total).to.include({ compared: 4, outside: 1 });
    expect(d.overlap.recent.map((x: { url: string }) => x.url).sort()).to.deep.equal(['same', 'reordered', 'poor', 'fewer'].map((q) => `/api/search?q=${q}`).sort());

    const text = formatDiffs(d);
    expect(text).to.contain('overlap items (recall ≥ 0.8): 4 judged, mean 0.825, lowest 0.3, below min 1');
    expect(text).to.contain("overlap: items recall 0.3 (min 0.8; 3 of legacy's 10 in the service's 20, missing 17,16,15,14,13)");
    const m = (await admin(f, '/metrics')).body;
    expect(m).to.contain('strangler_shadow_overlap_count{route="search",list="items",judged="true"} 4');
    expect(m).to.contain('strangler_shadow_total_ratio_count{route="search",list="items"} 4');
  });

  it('a table with a bad overlap option is rejected with its path, at start and on reload; the table in force keeps serving', async () => {
    const bad = table(legacy.url, svc.url, [
      { id: 'search', methods: ['GET'], path: '/api/search', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { ...SHADOW, overlap: [{ path: 'items', key: 'id', top: 10, within: 5, min: 0.8 }] } },
    ]);
    let err: unknown;
    try {
      const g = await startTestFacade(bad);
      await g.stop();
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.contain('initial route table is invalid: routes.0.shadow.overlap.0.within: must be at least top (10)');

    await writeFile(f.routesFile, JSON.stringify({ ...bad, version: 99 }));
    await waitFor(async () => (await admin(f, '/status')).json().lastRejection, { what: 'the rejected reload' });
    const status = (await admin(f, '/status')).json();
    expect(status.lastRejection.errors).to.deep.equal(['routes.0.shadow.overlap.0.within: must be at least top (10)']);
    expect(status.version).to.equal(1);
    expect((await send(`${f.url}/api/search?q=same`)).status).to.equal(200);
  });
});
