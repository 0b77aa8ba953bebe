import { expect } from 'chai';
import { checkRequestTarget } from '../headers.ts';
import { compileTable } from '../table/compile.ts';
import { normaliseHost, normaliseTarget, type TargetProblem } from '../table/normalize.ts';
import { validateTable, type RouteTableInput } from '../table/schema.ts';

function compile(doc: RouteTableInput) {
  const r = validateTable(doc);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return compileTable(r.table);
}

describe('strangler path normalisation (pure)', () => {
  // [request target, forwarded target, problem]
  const targets: [string, string, TargetProblem | null][] = [
    ['/api/items', '/api/items', null],
    ['/api/items?q=%41#', '/api/items?q=%41#', 'fragment'],
    ['/api/items#x', '/api/items#x', 'fragment'],
    ['/api/items/#', '/api/items/#', 'fragment'],
    ['/api/%69tems', '/api/items', null],
    ['/%61%70%69/%49TEMS', '/api/ITEMS', null],
    ['/api/%7e%2d%5F%2E%30', '/api/~-_.0', null],
    ['/api/items%2fx', '/api/items%2Fx', null], // "/" is never decoded, hex upper-cased
    ['/api/items%2Fx', '/api/items%2Fx', null],
    ['/api/a%20b%3Fc', '/api/a%20b%3Fc', null],
    ['/api/caf%c3%a9', '/api/caf%C3%A9', null],
    ['/api/%2569tems', '/api/%2569tems', null], // decoded once only: %25 is "%"
    ['/api/items?x=%69&y=%2f', '/api/items?x=%69&y=%2f', null], // the query is left alone
    ['/api/%69tems?x=%69', '/api/items?x=%69', null],
    ['/api/./items', '/api/./items', 'dot-segment'],
    ['/api/x/../items', '/api/x/../items', 'dot-segment'],
    ['/api/%2e/items', '/api/./items', 'dot-segment'],
    ['/api/%2E%2e/items', '/api/../items', 'dot-segment'],
    ['/api/items/..', '/api/items/..', 'dot-segment'],
    ['/.', '/.', 'dot-segment'],
    ['/api/.hidden/x..y/...', '/api/.hidden/x..y/...', null],
    ['/api\\items', '/api\\items', 'backslash'],
    ['/api/items%zz', '/api/items%zz', 'bad-percent'],
    ['/api/items%4', '/api/items%4', 'bad-percent'],
    ['/api/items%', '/api/items%', 'bad-percent'],
    ['api/items', 'api/items', 'not-absolute'],
    ['*', '*', 'not-absolute'],
    ['/', '/', null],
    ['/API/Items/', '/API/Items/', null], // case and trailing slash are matching rules, not rewrites
  ];
  for (const [input, url, problem] of targets) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(url)}${problem ? ` (${problem})` : ''}`, () => {
      const t = normaliseTarget(input);
      expect(t.problem).to.equal(problem);
      if (problem === null) expect(t.url).to.equal(url);
      // the facade's target check refuses exactly the targets with a problem, with a JSON-able 400
      const bad = checkRequestTarget(input);
      if (problem === null) expect(bad).to.equal(null);
      else expect(bad).to.include({ status: 400, code: 'BAD_REQUEST' });
    });
  }

  it('returns the very same string when nothing changes (the original bytes are forwarded)', () => {
    const u = '/api/items/42?x=1';
    expect(normaliseTarget(u).url).to.equal(u);
  });

  const hosts: [string | undefined, string][] = [
    ['shop.example.com', 'shop.example.com'],
    ['SHOP.Example.COM', 'shop.example.com'],
    ['shop.example.com:8080', 'shop.example.com'],
    ['shop.example.com.', 'shop.example.com'],
    ['Shop.Example.Com.:443', 'shop.example.com'],
    ['[::1]:8080', '[::1]'],
    ['[FE80::1]', '[fe80::1]'],
    ['', ''],
    [undefined, ''],
  ];
  for (const [input, out] of hosts) {
    it(`host ${JSON.stringify(input)} → ${JSON.stringify(out)}`, () => expect(normaliseHost(input)).to.equal(out));
  }
});

describe('strangler route matching: variants of one path, per case rule (pure)', () => {
  const upstreams = { l: { url: 'http://l:1' }, s: { url: 'http://s:1' } };
  const routes: RouteTableInput['routes'] = [
    { id: 'items', path: '/api/items', legacy: 'l', service: 's', mode: 'service' },
    { id: 'item', path: '/api/items/:id', legacy: 'l', service: 's', mode: 'service' },
    { id: 'hosted', path: '/api/hosted', host: 'Shop.Example.Test.', legacy: 'l', service: 's', mode: 'service' },
    { id: 'exact', path: '/api/Exact', caseSensitive: true, legacy: 'l', service: 's', mode: 'service' },
  ];
  const fallbacks = [{ prefix: '/api', upstream: 'l' }];
  const insensitive = compile({ upstreams, fallbacks, routes });
  const sensitive = compile({ upstreams, fallbacks, routes, options: { caseSensitive: true } });
  const id = (m: ReturnType<typeof insensitive.match>) => (m === null ? null : m.kind === 'route' ? m.route.id : `fallback:${m.rule.prefix}`);

  const cases: [string, string | undefined, string | null, string | null, Record<string, string>?][] = [
    // path, host, default (case-insensitive), options.caseSensitive: true, params
    ['/api/items', undefined, 'items', 'items'],
    ['/api/items/', undefined, 'items', 'items'],
    ['/API/ITEMS', undefined, 'items', null], // fallback prefixes follow the table's rule too
    ['/Api/Items/', undefined, 'items', null],
    ['/api/%69tems', undefined, 'items', 'items'],
    ['/api/%49TEMS', undefined, 'items', 'fallback:/api'],
    ['/api/items//', undefined, 'fallback:/api', 'fallback:/api'], // Express: one trailing slash only
    ['/api//items', undefined, 'fallback:/api', 'fallback:/api'],
    ['/api/items%2F', undefined, 'fallback:/api', 'fallback:/api'],
    ['/API/Items/AbC', undefined, 'item', null, { id: 'AbC' }], // params keep their case
    ['/api/items/%41b%2Fc', undefined, 'item', 'item', { id: 'Ab/c' }],
    ['/api/hosted', 'shop.example.test', 'hosted', 'hosted'],
    ['/api/hosted', 'SHOP.EXAMPLE.TEST:8443', 'hosted', 'hosted'],
    ['/api/hosted', 'shop.example.test.', 'hosted', 'hosted'],
    ['/API/HOSTED', 'Shop.Example.Test.:80', 'hosted', null],
    ['/api/hosted', 'other.example.test', 'fallback:/api', 'fallback:/api'],
    ['/api/Exact', undefined, 'exact', 'exact'],
    ['/api/exact', undefined, 'fallback:/api', 'fallback:/api'], // the route's own rule wins over the table's
  ];
  for (const [path, host, def, cs, params] of cases) {
    it(`${path}${host ? ` (host ${host})` : ''}: ${def} by default, ${cs} when case-sensitive`, () => {
      const a = insensitive.match('GET', host, path, {});
      expect(id(a)).to.equal(def);
      expect(id(sensitive.match('GET', host, path, {}))).to.equal(cs);
      if (params && a?.kind === 'route') expect(a.params).to.deep.equal(params);
    });
  }

  it('refuses two routes that differ only in case (they would be one match), unless case-sensitive', () => {
    const two: RouteTableInput = { upstreams, routes: [{ id: 'a', path: '/api/items', legacy: 'l' }, { id: 'b', path: '/api/ITEMS', legacy: 'l' }] };
    const r = validateTable(two);
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.errors.join()).to.match(/routes\.1\.path: same match as routes\.0/);
    expect(validateTable({ ...two, options: { caseSensitive: true } }).ok).to.equal(true);
  });

  it('refuses a route host with a port or a path', () => {
    const r = validateTable({ upstreams, routes: [{ id: 'a', path: '/x', host: 'shop.example.test:8080', legacy: 'l' }] });
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.errors.join()).to.match(/routes\.0\.host: must be a host name without port or path/);
  });
});
