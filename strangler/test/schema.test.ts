import { expect } from 'chai';
import { DEFAULT_BREAKER, DEFAULT_POOL_SIZE, DEFAULT_SHADOW_SAMPLE, DEFAULT_UPSTREAM_TIMEOUT_MS, validateTable } from '../table/schema.ts';

const base = () => ({
  version: 3,
  upstreams: { legacy: { url: 'http://127.0.0.1:3001' }, svc: { url: 'http://127.0.0.1:4001' } },
  fallbacks: [{ prefix: '/api', upstream: 'legacy' }],
  routes: [{ id: 'a', methods: ['GET'], path: '/api/a/:id', legacy: 'legacy', service: 'svc', mode: 'canary', percent: 10 }],
});

describe('strangler route table validation', () => {
  it('fills DEFAULT_* values', () => {
    const r = validateTable(base());
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.table.upstreams.legacy).to.include({ timeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS, pool: DEFAULT_POOL_SIZE });
    expect(r.table.routes[0].shadow.sample).to.equal(DEFAULT_SHADOW_SAMPLE);
    expect(r.table.routes[0].shadow.writes).to.equal('none');
    expect(r.table.routes[0].breaker).to.deep.equal({ ...DEFAULT_BREAKER });
    expect(r.table.options.routeHeader).to.equal(false);
  });

  const cases: { name: string; mutate: (d: any) => void; errors: string[] }[] = [
    { name: 'bad upstream url', mutate: (d) => (d.upstreams.legacy.url = 'ftp://x'), errors: ['upstreams.legacy.url: must be an http(s) URL'] },
    { name: 'unknown upstream reference', mutate: (d) => (d.routes[0].service = 'prodcut'), errors: ['routes.0.service: unknown upstream "prodcut"'] },
    { name: 'unknown fallback upstream', mutate: (d) => (d.fallbacks[0].upstream = 'nope'), errors: ['fallbacks.0.upstream: unknown upstream "nope"'] },
    { name: 'mode needs a service', mutate: (d) => delete d.routes[0].service, errors: ['routes.0.service: required when mode is "canary"'] },
    { name: 'canary needs a percent', mutate: (d) => delete d.routes[0].percent, errors: ['routes.0.percent: required when mode is "canary"'] },
    { name: 'percent out of range', mutate: (d) => (d.routes[0].percent = 150), errors: ['routes.0.percent: Too big: expected number to be <=100'] },
    { name: 'unknown mode', mutate: (d) => (d.routes[0].mode = 'blue'), errors: ['routes.0.mode: Invalid option: expected one of "legacy"|"shadow"|"canary"|"service"'] },
    { name: 'bad path pattern', mutate: (d) => (d.routes[0].path = '/api/*/x'), errors: ['routes.0.path: "*" is only allowed as the last segment'] },
    { name: 'duplicate ids', mutate: (d) => d.routes.push({ ...d.routes[0], path: '/api/b' }), errors: ['routes.1.id: duplicate id "a" (also routes.0)'] },
    { name: 'duplicate match', mutate: (d) => d.routes.push({ ...d.routes[0], id: 'b', path: '/api/a/:other' }), errors: ['routes.1.path: same match as routes.0 ("/api/a/:other")'] },
    { name: 'unknown field (typo)', mutate: (d) => (d.routes[0].shadwo = {}), errors: ['routes.0: Unrecognized key: "shadwo"'] },
    { name: 'nested shadow field', mutate: (d) => (d.routes[0].shadow = { writes: 'always' }), errors: ['routes.0.shadow.writes: Invalid option: expected one of "none"|"dark-copy"'] },
    { name: 'fallback without prefix or host', mutate: (d) => (d.fallbacks[0] = { upstream: 'legacy' }), errors: ['fallbacks.0: needs a prefix or a host'] },
    { name: 'bad method', mutate: (d) => (d.routes[0].methods = ['FETCH']), errors: ['routes.0.methods: Invalid input'] },
    // shadow.overlap (set-overlap comparison of a list): every knob is checked, with the route's path in the message
    ...([
      ['overlap without min', { min: undefined }, 'routes.0.shadow.overlap.0.min: Invalid input: expected number'],
      ['overlap min above 1', { min: 1.5 }, 'routes.0.shadow.overlap.0.min: Too big: expected number to be <=1'],
      ['overlap top 0', { top: 0 }, 'routes.0.shadow.overlap.0.top: Too small: expected number to be >=1'],
      ['overlap within below top', { top: 10, within: 5 }, 'routes.0.shadow.overlap.0.within: must be at least top (10)'],
      ['overlap unknown measure', { measure: 'cosine' }, 'routes.0.shadow.overlap.0.measure: Invalid option: expected one of "recall"|"jaccard"'],
      ['overlap path with a wildcard', { path: 'data.*.items' }, 'routes.0.shadow.overlap.0.path: must name one place'],
      ['overlap typo in a knob', { minimum: 0.8 }, 'routes.0.shadow.overlap.0: Unrecognized key: "minimum"'],
      ['overlap without key', { key: undefined }, 'routes.0.shadow.overlap.0.key: Invalid input'],
      ['overlap total with a negative ratio', { total: { path: 'page.total', ratio: -0.1 } }, 'routes.0.shadow.overlap.0.total.ratio: Too small'],
      ['overlap total without path', { total: { ratio: 0.2 } }, 'routes.0.shadow.overlap.0.total.path: Invalid input'],
      ['overlap judge complete without a total', { judge: 'complete' }, 'routes.0.shadow.overlap.0.judge: "complete" needs total.path'],
      ['overlap unknown judge', { judge: 'never' }, 'routes.0.shadow.overlap.0.judge: Invalid option: expected one of "always"|"complete"'],
      ['overlap total typo', { total: { path: 'page.total', allowmore: true } }, 'routes.0.shadow.overlap.0.total: Unrecognized key: "allowmore"'],
    ] as const).map(([name, over, error]) => ({
      name, errors: [error],
      mutate: (d: any) => (d.routes[0].shadow = { overlap: [{ path: 'items', key: 'id', min: 0.8, ...over }] }),
    })),
    {
      name: 'overlap list also ignored (nothing would be left to measure)',
      mutate: (d) => (d.routes[0].shadow = { overlap: [{ path: 'items', key: 'id', min: 0.8, total: { path: 'page.total' } }], ignore: ['items', 'page'] }),
      errors: ['routes.0.shadow.overlap.0.path: "items" is also in shadow.ignore ("items")', 'routes.0.shadow.overlap.0.total.path: "page.total" is also in shadow.ignore ("page")'],
    },
    {
      name: 'overlap list declared twice',
      mutate: (d) => (d.routes[0].shadow = { overlap: [{ path: 'items', key: 'id', min: 0.8 }, { path: 'items', key: 'id', min: 0.5 }] }),
      errors: ['routes.0.shadow.overlap.1.path: "items" is already compared by overlap.0'],
    },
    {
      name: 'several problems at once are all listed', mutate: (d) => {
        d.upstreams.svc.pool = 0;
        d.routes[0].legacy = 'gone';
        d.routes[0].path = 'no-slash';
      },
      errors: ['upstreams.svc.pool: Too small: expected number to be >=1', 'routes.0.legacy: unknown upstream "gone"', 'routes.0.path: must start with "/"'],
    },
  ];
  for (const c of cases) {
    it(`rejects: ${c.name}`, () => {
      const doc = base();
      c.mutate(doc);
      const r = validateTable(doc);
      expect(r.ok).to.equal(false);
      if (r.ok) return;
      for (const e of c.errors) expect(r.errors.some((x) => x.startsWith(e)), `${e} in ${JSON.stringify(r.errors)}`).to.equal(true);
    });
  }

  it('accepts overlap with fields ignored inside the list, and fills its defaults', () => {
    const doc: any = base();
    doc.routes[0].shadow = { overlap: [{ path: 'items', key: 'id', min: 0.8, total: { path: 'page.total' } }], ignore: ['items.*.likeCount', 'page.hasNext'] };
    const r = validateTable(doc);
    expect(r.ok, JSON.stringify(!r.ok && r.errors)).to.equal(true);
    if (!r.ok) return;
    expect(r.table.routes[0].shadow.overlap).to.deep.equal([{ path: 'items', key: 'id', top: 10, measure: 'recall', min: 0.8, judge: 'always', total: { path: 'page.total', ratio: 0, allowMore: false } }]);
  });

  it('the shipped strangler/routes.json is valid and has the local stack upstreams', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = JSON.parse(await readFile(new URL('../routes.json', import.meta.url), 'utf8'));
    const r = validateTable(doc);
    expect(r.ok, JSON.stringify(!r.ok && r.errors)).to.equal(true);
    if (!r.ok) return;
    expect(Object.keys(r.table.upstreams)).to.include.members(['legacy-user', 'legacy-admin', 'legacy-merchant', 'product', 'shop', 'user', 'search']);
    expect(r.table.routes.map((x) => x.id)).to.include.members(['products.list', 'products.get', 'shops.list', 'shops.get', 'search']);
    // search parity is judged by overlap with declared tolerances (docs/search.md), not by ignoring the hits
    const search = r.table.routes.find((x) => x.id === 'search')!;
    expect(search.shadow.overlap).to.have.length(1);
    expect(search.shadow.overlap[0]).to.include({ path: 'items', key: 'id', measure: 'recall' });
    expect(search.shadow.ignore).to.not.include('items');
  });
});
