import { expect } from 'chai';
import { compileTable } from '../table/compile.ts';
import { validateTable, type RouteTableInput } from '../table/schema.ts';

function compile(doc: RouteTableInput) {
  const r = validateTable(doc);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return compileTable(r.table);
}

const t = compile({
  upstreams: { lu: { url: 'http://l:1' }, la: { url: 'http://l:2' }, lm: { url: 'http://l:3' }, p: { url: 'http://p:1' } },
  fallbacks: [
    { prefix: '/api', upstream: 'lu' }, { prefix: '/admin', upstream: 'la' }, { prefix: '/merchant', upstream: 'lm' },
    { host: 'admin.zigzag.test', upstream: 'la' },
  ],
  routes: [
    { id: 'products.list', methods: ['GET'], path: '/api/products', legacy: 'lu', service: 'p' },
    { id: 'products.get', methods: ['GET', 'HEAD'], path: '/api/products/:id', legacy: 'lu', service: 'p' },
    { id: 'products.featured', methods: ['GET'], path: '/api/products/featured', legacy: 'lu' },
    { id: 'products.images', path: '/api/products/:id/images/*', legacy: 'lu' },
    { id: 'beta', methods: ['GET'], path: '/api/products', headers: { 'x-beta': '1' }, legacy: 'lu' },
    { id: 'hosted', path: '/api/x', host: 'm.zigzag.test', legacy: 'lm' },
  ],
});

describe('strangler route matching (pure)', () => {
  const cases: [string, string | undefined, string, Record<string, string>, string | null, Record<string, string>?][] = [
    ['GET', undefined, '/api/products', {}, 'products.list'],
    ['GET', undefined, '/api/products/', {}, 'products.list'],
    ['GET', undefined, '/api/products', { 'x-beta': '1' }, 'beta'],
    ['GET', undefined, '/api/products/42', {}, 'products.get', { id: '42' }],
    ['HEAD', undefined, '/api/products/42', {}, 'products.get', { id: '42' }],
    ['GET', undefined, '/api/products/caf%C3%A9', {}, 'products.get', { id: 'café' }],
    ['GET', undefined, '/api/products/%', {}, 'products.get', { id: '%' }],
    ['GET', undefined, '/api/products/featured', {}, 'products.featured'],
    ['DELETE', undefined, '/api/products/42', {}, 'fallback:lu'],
    ['GET', undefined, '/api/products/42/images/a/b.png', {}, 'products.images', { id: '42' }],
    ['GET', undefined, '/api/products/42/images', {}, 'products.images', { id: '42' }],
    ['GET', 'm.zigzag.test:8080', '/api/x', {}, 'hosted'],
    ['GET', 'other.test', '/api/x', {}, 'fallback:lu'],
    ['GET', undefined, '/api', {}, 'fallback:lu'],
    ['GET', undefined, '/apiary', {}, null],
    ['POST', undefined, '/admin/login', {}, 'fallback:la'],
    ['GET', undefined, '/merchant/orders?x=1', {}, 'fallback:lm'],
    ['GET', 'ADMIN.zigzag.test', '/anything', {}, 'fallback:la'],
    ['GET', undefined, '/', {}, null],
  ];
  for (const [method, host, path, headers, want, params] of cases) {
    it(`${method} ${host ?? ''}${path}${Object.keys(headers).length ? ' ' + JSON.stringify(headers) : ''} → ${want ?? 'nothing'}`, () => {
      const m = t.match(method, host, path.split('?')[0], headers);
      if (want === null) return expect(m).to.equal(null);
      if (want.startsWith('fallback:')) {
        expect(m?.kind).to.equal('fallback');
        if (m?.kind === 'fallback') expect(m.upstream).to.equal(want.slice(9));
        return;
      }
      expect(m?.kind).to.equal('route');
      if (m?.kind !== 'route') return;
      expect(m.route.id).to.equal(want);
      if (params) expect(m.params).to.deep.equal(params);
    });
  }
});
