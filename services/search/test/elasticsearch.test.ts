import { expect } from 'chai';
import { createRequire } from 'node:module';
import { Client } from '@elastic/elasticsearch';
import MockPkg from '@elastic/elasticsearch-mock';
import { silentLogger } from '../../../lib/logger.ts';
import { ElasticsearchBackend, esVersion, searchBody } from '../backends/elasticsearch.ts';
import { BackendUnavailableError, type SearchDocument } from '../backends/types.ts';
import { fixtureDocuments } from './fixtures.ts';

// the mock is CommonJS and checks `instanceof` against the CJS build's error classes
const { errors } = createRequire(import.meta.url)('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');

// CommonJS `module.exports = ClientMock`, typed as an ES default export
const Mock = MockPkg as unknown as typeof MockPkg.default;

type Params = { method: string; path: string; body?: any; querystring?: Record<string, string> };

function setup(opts: { nori?: boolean } = {}) {
  const mock = new Mock();
  const calls: Params[] = [];
  const record = (p: Params) => { calls.push(p); };
  mock.add({ method: 'GET', path: '/_nodes/plugins' }, (p) => {
    record(p as Params);
    return { nodes: { n1: { name: 'n1', plugins: opts.nori ? [{ name: 'analysis-nori' }] : [] } } };
  });
  const client = new Client({ node: 'http://localhost:9200', Connection: mock.getConnection() as never, maxRetries: 0 });
  const backend = new ElasticsearchBackend({ client, alias: 'products', logger: silentLogger(), bulkBackoffMs: 1, buildingCheckMs: 0 });
  return { mock, calls, record, backend };
}

const doc = (id: number, version = 1): SearchDocument => ({ ...fixtureDocuments()[0], id, version });
const notFound = () => new errors.ResponseError({ body: { error: 'not found' }, statusCode: 404, headers: {}, warnings: null, meta: {} as never } as never);

/** NDJSON bulk bodies arrive as text or as an array, depending on the client path: normalise to objects. */
function lines(body: unknown): any[] {
  if (Array.isArray(body)) return body;
  return String(body).trim().split('\n').map((l) => JSON.parse(l));
}

describe('search backend: Elasticsearch adapter (elasticsearch-mock)', () => {
  it('creates the first index behind the alias with explicit mappings; nori when the cluster has it', async () => {
    for (const nori of [true, false]) {
      const { mock, backend, calls, record } = setup({ nori });
      mock.add({ method: 'HEAD', path: '/_alias/products' }, () => notFound());
      mock.add({ method: 'PUT', path: '/products-initial' }, (p) => { record(p as Params); return { acknowledged: true }; });
      await backend.init();
      const create = calls.find((c) => c.method === 'PUT')!;
      expect(create.body.aliases).to.deep.equal({ products: {} });
      expect(create.body.mappings.dynamic).to.equal('strict');
      expect(create.body.mappings.properties.effectivePrice).to.deep.equal({ type: 'scaled_float', scaling_factor: 100 });
      const analyzer = create.body.settings.analysis.analyzer.korean;
      if (nori) expect(analyzer.tokenizer).to.equal('ko_nori');
      else expect(analyzer.filter).to.include('cjk_bigram');
      expect(backend.analysis).to.equal(nori ? 'nori' : 'cjk_bigram');
    }
  });

  it('does not recreate an existing alias', async () => {
    const { mock, backend } = setup();
    mock.add({ method: 'HEAD', path: '/_alias/products' }, () => ({}));
    mock.add({ method: 'PUT', path: '/:index' }, () => { throw new Error('must not create'); });
    await backend.init();
  });

  it('bulk-indexes with external_gte versions (2v; tombstones 2v+1), counts conflicts as stale and retries 429 items', async () => {
    const { mock, backend } = setup();
    const bulks: any[][] = [];
    mock.add({ method: 'HEAD', path: '/_alias/products-building' }, () => notFound());
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
      const ops = lines((p as Params).body);
      bulks.push(ops);
      const ids = ops.filter((_, i) => i % 2 === 0).map((o) => o.index._id);
      // first call: id 2 is throttled, id 3 is older than the stored version
      const status = (id: string) => (bulks.length === 1 && id === '2' ? 429 : id === '3' ? 409 : 201);
      return { errors: true, items: ids.map((id) => ({ index: { _id: id, status: status(id), ...(status(id) >= 300 ? { error: { type: 'x' } } : {}) } })) };
    });
    const out = await backend.upsert([doc(1, 4), doc(2, 1), doc(3, 1)]);
    expect(out).to.deep.equal({ applied: 2, stale: 1, staleIds: [3] });
    expect(bulks).to.have.length(2);
    expect(bulks[0][0]).to.deep.equal({ index: { _index: 'products', _id: '1', version: 8, version_type: 'external_gte' } });
    expect(bulks[0][1]).to.include({ id: 1, deleted: false, effectivePrice: 39000, name: '플라워 롱 원피스' });
    expect(bulks[1].map((o: any) => o.index?._id).filter(Boolean)).to.deep.equal(['2']);
    expect(esVersion(3, true)).to.equal(7);
  });

  it('writes to the index being rebuilt as well while a rebuild runs', async () => {
    const { mock, backend } = setup();
    const targets: string[] = [];
    mock.add({ method: 'HEAD', path: '/_alias/products-building' }, () => ({}));
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
      const ops = lines((p as Params).body);
      targets.push(ops[0].index._index);
      return { errors: false, items: [{ index: { _id: '1', status: 200 } }] };
    });
    await backend.upsert([doc(1)]);
    expect(targets).to.deep.equal(['products', 'products-building']);
  });

  it('fails a bulk call with a non-retryable item error, and gives up (503) on items that stay throttled', async () => {
    const { mock, backend } = setup();
    mock.add({ method: 'HEAD', path: '/_alias/products-building' }, () => notFound());
    let status = 400;
    mock.add({ method: 'POST', path: '/_bulk' }, () => ({ errors: true, items: [{ index: { _id: '1', status, error: { type: 'mapper_parsing_exception' } } }] }));
    let err: any;
    await backend.upsert([doc(1)]).catch((e) => { err = e; });
    expect(String(err)).to.match(/bulk item 1 failed: 400 .*mapper_parsing_exception/);
    status = 429;
    err = undefined;
    await backend.upsert([doc(1)]).catch((e) => { err = e; });
    expect(err).to.be.instanceOf(BackendUnavailableError);
  });

  it('searches the alias with the text query, filters, sort and paging; maps hits to the common shape', async () => {
    const { mock, backend, calls, record } = setup();
    const d = doc(7, 2);
    mock.add({ method: ['GET', 'POST'], path: '/products/_search' }, (p) => {
      record(p as Params);
      return { hits: { total: { value: 41, relation: 'eq' }, hits: [{ _id: '7', _score: 3.5, _source: { ...d, deleted: false, effectivePrice: 39000 } }] } };
    });
    const r = await backend.search({ q: '원피스', filters: { shopId: 3, categoryId: 10, minPrice: '1000', maxPrice: '50000.50' }, sort: 'price_asc', offset: 20, limit: 10 });
    expect(r.total).to.equal(41);
    expect(r.hits).to.deep.equal([{ id: 7, score: 3.5, doc: d }]);
    const body = calls.at(-1)!.body;
    expect(body).to.deep.include({ from: 20, size: 10, track_total_hits: true, sort: [{ effectivePrice: 'asc' }, { id: 'desc' }] });
    expect(body.query.bool.filter).to.deep.equal([
      { term: { deleted: false } }, { terms: { status: ['active'] } }, { term: { categoryId: 10 } }, { term: { shopId: 3 } },
      { range: { effectivePrice: { gte: 1000, lte: 50000.5 } } },
    ]);
    expect(body.query.bool.must[0].bool.should[0].multi_match).to.include({ query: '원피스', operator: 'and', type: 'cross_fields' });
    expect(searchBody({ q: 'x', filters: {}, sort: 'relevance', offset: 0, limit: 5 }).sort).to.deep.equal([{ _score: 'desc' }, { popularityScore: 'desc' }, { id: 'desc' }]);
  });

  it('swaps the alias atomically at the end of a rebuild and drops the old index', async () => {
    const { mock, backend, calls, record } = setup();
    mock.add({ method: 'PUT', path: '/products-r1' }, (p) => { record(p as Params); return { acknowledged: true }; });
    mock.add({ method: ['GET', 'POST'], path: '/products-r1/_refresh' }, () => ({ _shards: {} }));
    mock.add({ method: 'GET', path: '/_alias/products' }, () => ({ 'products-initial': { aliases: { products: {} } } }));
    mock.add({ method: 'POST', path: '/_aliases' }, (p) => { record(p as Params); return { acknowledged: true }; });
    mock.add({ method: 'DELETE', path: '/products-initial' }, (p) => { record(p as Params); return { acknowledged: true }; });
    const target = await backend.beginRebuild('R1');
    expect(target).to.deep.equal({ runId: 'R1', target: 'products-r1' });
    expect(calls.find((c) => c.path === '/products-r1')!.body.aliases).to.deep.equal({ 'products-building': {} });
    await backend.finishRebuild(target);
    const swap = calls.find((c) => c.path === '/_aliases')!.body;
    expect(swap.actions).to.deep.equal([
      { remove: { index: 'products-initial', alias: 'products' } },
      { add: { index: 'products-r1', alias: 'products' } },
      { remove: { index: 'products-r1', alias: 'products-building' } },
    ]);
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/products-initial')).to.equal(true);
  });

  it('reports an unreachable cluster as BackendUnavailableError (the edge answers 503)', async () => {
    const { mock, backend } = setup();
    mock.add({ method: ['GET', 'POST'], path: '/products/_search' }, () => new errors.ConnectionError('connect ECONNREFUSED'));
    let err: unknown;
    await backend.search({ q: 'bag', filters: {}, sort: 'relevance', offset: 0, limit: 5 }).catch((e) => { err = e; });
    expect(err).to.be.instanceOf(BackendUnavailableError);
  });
});
