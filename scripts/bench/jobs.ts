/**
 * `npm run bench -- jobs`: the periodic jobs two ways on the same seeded data,
 * in the same run:
 *  - peer: legacy's SQL join (legacy/jobs/popularity.ts, shop-stats.ts) on the
 *    shared legacy database;
 *  - ours: the via-services version (services/jobs: ports + Thrift adapters)
 *    calling the product, shop and user services over real Thrift (started in
 *    this process on free ports against the same database, as
 *    services/jobs/test/thrift.test.ts does).
 *
 * Runs, on a database seeded by scripts/seed (anchor 2026-06-01T00:00Z, so the
 * logs cover 2026-05-02 .. 05-31 and likes the 90 days before):
 *  1. popularity as of DAY (2026-05-30) from all-zero scores: peer, reset, ours;
 *  2. popularity as of DAY+1 from DAY's scores (the daily case: every age
 *     shifts by a day, so nearly every score changes): ours, restore, peer;
 *  3. shop stats for DAY: ours, clear, peer.
 * Each pair must write the same scores / rows (and the same job result); the
 * benchmark fails otherwise. It also counts the outbox rows (product `stats`
 * events) each version wrote: product.setScores records one per changed score
 * so the search index follows the ranking; the SQL join writes none.
 *
 * Knobs (env): JOBS_BENCH_SCALE (seed scale, default 50: 100 k products,
 * 20.6 k users, ~201 k likes, 510 k logs; 500 = 1 M products), JOBS_BENCH_KEEP=1 keeps
 * the database as bench_jobs_s<scale> and reuses it next time (scores reset
 * to 0, shop_daily_stats emptied), JOBS_BENCH_CALL_TIMEOUT_MS (deadline per
 * Thrift call, default 30 000 like JOBS_CALL_TIMEOUT_MS). Otherwise the
 * database is bench_jobs_<random> on MYSQL_URL's server, dropped after.
 *
 * The load average is printed when the run starts, when the measuring starts
 * (after seeding) and at the end; the ours-vs-peer claims are withheld as
 * "noisy" (_noise.ts) when the machine was busy before the run. Each job runs
 * once per version, so there are no peer rounds to judge the spread of; the
 * CPU columns (this process, the local mariadbd) move less with load than
 * the wall times.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createKnex, dropDatabase, withDatabase, type Knex } from '../../lib/db.ts';
import { OUTBOX_TABLE } from '../../lib/events/outbox.ts';
import { addDays } from '../../lib/contract/jobs/days.ts';
import { runPopularity, type PopularityResult } from '../../legacy/jobs/popularity.ts';
import { scoreChanges } from '../../lib/contract/jobs/scoring.ts';
import { runShopStats, type ShopStatsResult } from '../../legacy/jobs/shop-stats.ts';
import { startServiceStack } from '../../test/parity/stack.ts';
import { KnexProductCatalog } from '../../services/jobs/adapters.ts';
import { runPopularityViaServices } from '../../rpc/jobs/popularity.ts';
import { runShopStatsViaServices } from '../../rpc/jobs/shop-stats.ts';
import { createJobClients, thriftJobPorts } from '../../services/jobs/wire.ts';
import { newRegistry } from '../../rpc/index.ts';
import { migrateLegacy } from '../migrate.ts';
import { DEFAULT_SEED, planCounts } from '../seed/plan.ts';
import { countRows, seedDatabase } from '../seed/run.ts';
import { measure, PhaseTimer, SocketBytes, timedPorts, type Measured } from './_jobs-measure.ts';
import type { BenchResult } from './cli.ts';
import { formatLoad, judge, loadAverage, verdictLines, type LoadAverage } from './_noise.ts';

const ANCHOR = '2026-06-01T00:00:00Z';
const DAY = '2026-05-30';
const NEXT_DAY = addDays(DAY, 1);
/** Fixed computed_at for both shop-stats runs, so their rows compare whole. */
const NOW = () => new Date('2026-05-31T00:20:00Z');
/** Indexing through the queue, measured by `npm run bench -- search` (docs/search.md, 2 000-event backlog at 1 M products). */
const INDEXER_EVENTS_PER_S = 576;

const log = (s: string) => process.stderr.write(`jobs bench: ${s}\n`);

function envNumber(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
  return n;
}

// ------------------------------------------------------------------ state of the database

async function readScores(k: Knex): Promise<Map<number, number>> {
  const [rows] = (await k.raw('SELECT id, popularity_score AS s FROM products WHERE popularity_score > 0 ORDER BY id')) as [{ id: number; s: number }[]];
  return new Map(rows.map((r) => [Number(r.id), Number(r.s)]));
}

/** Sets the stored scores to exactly `target` (untimed, between runs), updated_at untouched. */
async function restoreScores(k: Knex, target: Map<number, number>): Promise<void> {
  const { set, zero } = scoreChanges(target, await readScores(k));
  await new KnexProductCatalog(k).writeScores(set, zero);
}

/** A fingerprint of every product's updated_at and version: neither job may change them. */
async function editFingerprint(k: Knex): Promise<string> {
  const [[r]] = (await k.raw("SELECT COUNT(*) AS n, BIT_XOR(CRC32(CONCAT_WS('|', id, updated_at, version))) AS x FROM products")) as [[{ n: number; x: number }]];
  return `${r.n}:${r.x}`;
}

async function readStats(k: Knex, day: string): Promise<string[]> {
  const rows = await k('shop_daily_stats').where({ day }).orderBy('shop_id').select('shop_id', 'day', 'views', 'clicks', 'likes', 'active_products', 'computed_at');
  return rows.map((r) => JSON.stringify(r));
}

async function outboxMaxId(k: Knex): Promise<number> {
  const [[r]] = (await k.raw(`SELECT COALESCE(MAX(id), 0) AS m FROM ${OUTBOX_TABLE}`)) as [[{ m: number }]];
  return Number(r.m);
}

async function outboxSince(k: Knex, afterId: number): Promise<Record<string, number>> {
  const [rows] = (await k.raw(`SELECT kind, COUNT(*) AS n FROM ${OUTBOX_TABLE} WHERE id > ? GROUP BY kind`, [afterId])) as [{ kind: string; n: number }[]];
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

function sameScores(what: string, ours: Map<number, number>, peer: Map<number, number>): void {
  const diffs: string[] = [];
  for (const [id, s] of peer) if (ours.get(id) !== s) diffs.push(`product ${id}: ours ${ours.get(id) ?? 0}, peer ${s}`);
  for (const [id, s] of ours) if (!peer.has(id)) diffs.push(`product ${id}: ours ${s}, peer 0`);
  if (diffs.length) throw new Error(`${what}: the two versions wrote different scores (${diffs.length} products differ; first: ${diffs.slice(0, 5).join('; ')})`);
}

function sameResult(what: string, ours: PopularityResult | ShopStatsResult, peer: PopularityResult | ShopStatsResult): void {
  const a = JSON.stringify({ ...ours, ms: 0 });
  const b = JSON.stringify({ ...peer, ms: 0 });
  if (a !== b) throw new Error(`${what}: the job results differ: ours ${a}, peer ${b}`);
}

// ------------------------------------------------------------------ the benchmark

interface OursRun<T> extends Measured<T> {
  phases: PhaseTimer['phases'];
  calls: Record<string, number>;
  callMs: Record<string, number>;
  bytes: Record<string, number>;
  outbox: Record<string, number>;
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const size = (b: number) => (b >= 2 ** 20 ? `${r1(b / 2 ** 20)} MiB` : `${r1(b / 1024)} KiB`);

export async function run(): Promise<BenchResult[]> {
  const loadBefore = loadAverage();
  const scale = envNumber('JOBS_BENCH_SCALE', 50);
  const server = process.env.TEST_MYSQL_URL ?? process.env.MYSQL_URL?.replace(/\/[^/]*$/, '/') ?? 'mysql://root@127.0.0.1:3306/';
  const keep = process.env.JOBS_BENCH_KEEP === '1';
  const name = keep ? `bench_jobs_s${String(scale).replace('.', '_')}` : `bench_jobs_${randomBytes(3).toString('hex')}`;
  const dsn = withDatabase(server, name);
  const c = planCounts(scale);
  log(`load average ${formatLoad(loadBefore)}; database ${name}: seed scale ${scale} (${fmt(c.shops)} shops, ${fmt(c.products)} products, ${fmt(c.users)} users, ~${fmt(c.likesTarget)} likes, ${fmt(c.logs)} logs), anchor ${ANCHOR}`);
  try {
    const t0 = performance.now();
    await migrateLegacy(dsn);
    const { products } = await countRows(dsn, ['products']);
    if (keep && products > 0) {
      if (products !== c.products) throw new Error(`database ${name} holds ${products} products, not ${c.products}: drop it`);
      const k = createKnex(dsn, { pool: { max: 1 } });
      try {
        await k.raw('UPDATE products SET popularity_score = 0, updated_at = updated_at WHERE popularity_score > 0');
        await k('shop_daily_stats').del();
      } finally {
        await k.destroy();
      }
      log(`reusing the kept database (scores reset to 0, shop_daily_stats emptied)`);
    } else {
      const seeded = await seedDatabase(dsn, { scale, seed: DEFAULT_SEED, anchorMs: Date.parse(ANCHOR), connections: 2 });
      log(`seeded ${fmt(seeded.rows)} rows in ${r1((performance.now() - t0) / 1000)} s`);
    }
    return await measureJobs(dsn, scale, (await countRows(dsn, ['likes'])).likes, loadBefore);
  } finally {
    if (keep) log(`kept database ${name} (JOBS_BENCH_KEEP=1 reuses it; drop it when done)`);
    else await dropDatabase(dsn).catch((err) => log(`could not drop ${name}: ${err instanceof Error ? err.message : String(err)}`));
  }
}

async function measureJobs(dsn: string, scale: number, likes: number, loadBefore: LoadAverage): Promise<BenchResult[]> {
  const loadMeasuring = loadAverage();
  log(`measuring: load average ${formatLoad(loadMeasuring)}`);
  const c = planCounts(scale);
  const bytes = new SocketBytes();
  const knex = createKnex(dsn);
  const timeoutMs = envNumber('JOBS_BENCH_CALL_TIMEOUT_MS', 30_000);
  const stack = await startServiceStack({ legacyDsn: dsn, callTimeoutMs: timeoutMs });
  const registry = newRegistry();
  const at = (port: number) => ({ host: '127.0.0.1', port });
  const clients = createJobClients({ product: at(stack.product.thriftPort), shop: at(stack.shop.thriftPort), user: at(stack.user.thriftPort) }, { timeoutMs, metrics: registry });
  const thriftPorts = new Map([[stack.product.thriftPort, 'product'], [stack.shop.thriftPort, 'shop'], [stack.user.thriftPort, 'user']]);
  const timer = new PhaseTimer();
  const ports = timedPorts(thriftJobPorts(knex, clients), timer);

  const callMs = async (): Promise<Record<string, number>> => {
    const m = registry.getSingleMetric('thrift_client_call_duration_seconds');
    const out: Record<string, number> = {};
    if (m) for (const v of (await m.get()).values) if ((v as { metricName?: string }).metricName?.endsWith('_sum')) out[`${v.labels.service}.${v.labels.method}`] = v.value * 1000;
    return out;
  };
  const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

  async function ours<T>(f: () => Promise<T>): Promise<OursRun<T>> {
    timer.reset();
    const [calls0, ms0, bytes0, out0] = [await clients.callCounts(), await callMs(), bytes.total(thriftPorts), await outboxMaxId(knex)];
    const m = await measure(knex, f);
    return {
      ...m, phases: new Map(timer.phases), calls: delta(calls0, await clients.callCounts()), callMs: delta(ms0, await callMs()),
      bytes: delta(bytes0, bytes.total(thriftPorts)), outbox: await outboxSince(knex, out0),
    };
  }
  async function peer<T>(f: () => Promise<T>): Promise<Measured<T> & { outbox: Record<string, number> }> {
    const out0 = await outboxMaxId(knex);
    const m = await measure(knex, f);
    return { ...m, outbox: await outboxSince(knex, out0) };
  }

  type PeerRun<T> = Measured<T> & { outbox: Record<string, number> };
  const failures: string[] = [];
  /** A stage that throws is reported (and fails the benchmark at the end) without losing the other stages' figures. */
  async function stage<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
    try {
      return await f();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      failures.push(`${what}: ${msg}`);
      log(`FAILED ${what}: ${msg}`);
      if (timer.phases.size) console.table(phaseRows(timer.phases, {}, {}, NaN));
      return undefined;
    }
  }
  const byPort: Record<string, string> = { 'likes(user).productBuckets': 'user.likesByDay', 'products(product).facts': 'product.getMany', 'products(product).scoredProducts': 'product.listScores',
    'products(product).writeScores': 'product.setScores', 'products(product).activeCounts': 'product.statsByShop', 'shops(shop).facts': 'shop.getMany', 'shops(shop).allIds': 'shop.listShops' };
  const phaseRows = (phases: PhaseTimer['phases'], calls: Record<string, number>, ms: Record<string, number>, total: number) => [...phases].map(([phase, p]) => {
    const m = byPort[phase];
    return { phase, ms: fmt(p.ms), '% of run': Number.isNaN(total) ? '' : `${Math.round((p.ms * 100) / total)} %`, 'port calls': p.calls, failed: p.failed || '', 'items in': fmt(p.in), 'items out': fmt(p.out),
      'thrift method': m ?? '(SQL)', 'thrift calls': m ? calls[m] ?? '' : '', 'thrift ms': m && ms[m] !== undefined ? fmt(ms[m]) : '' };
  });

  try {
    const edits0 = await editFingerprint(knex);
    if ((await readScores(knex)).size !== 0) throw new Error('seeded scores are expected to be 0');

    // 1. popularity as of DAY from zero scores (peer first)
    const s1 = await stage(`popularity ${DAY}`, async () => {
      log(`popularity ${DAY} from zero scores: peer (SQL join)…`);
      const p = await peer(() => runPopularity(knex, { day: DAY }));
      const scores = await readScores(knex);
      await restoreScores(knex, new Map());
      log(`  peer ${fmt(p.ms)} ms; ours (via services)…`);
      const o = await ours(() => runPopularityViaServices(ports, { day: DAY }));
      log(`  ours ${fmt(o.ms)} ms`);
      sameScores(`popularity ${DAY}`, await readScores(knex), scores);
      sameResult(`popularity ${DAY}`, o.result, p.result);
      if (p.result.events === 0 || p.result.scored === 0) throw new Error(`popularity ${DAY} counted no events: the seeded window is empty`);
      return { o, p, scores };
    });

    // 2. popularity as of DAY+1 from DAY's scores, the daily case (ours first)
    const s2 = !s1 ? undefined : await stage(`popularity ${NEXT_DAY}`, async () => {
      log(`popularity ${NEXT_DAY} from ${DAY}'s scores: ours…`);
      const o = await ours(() => runPopularityViaServices(ports, { day: NEXT_DAY }));
      const scoresNext = await readScores(knex);
      await restoreScores(knex, s1.scores);
      log(`  ours ${fmt(o.ms)} ms; peer…`);
      const p = await peer(() => runPopularity(knex, { day: NEXT_DAY }));
      log(`  peer ${fmt(p.ms)} ms`);
      sameScores(`popularity ${NEXT_DAY}`, scoresNext, await readScores(knex));
      sameResult(`popularity ${NEXT_DAY}`, o.result, p.result);
      return { o, p };
    });
    if (!s1) failures.push(`popularity ${NEXT_DAY}: not run (it starts from ${DAY}'s scores)`);

    // 3. shop stats for DAY (ours first)
    const s3 = await stage(`shop stats ${DAY}`, async () => {
      log(`shop stats ${DAY}: ours…`);
      const o = await ours(() => runShopStatsViaServices(ports, { day: DAY, now: NOW }));
      const statsOurs = await readStats(knex, DAY);
      await knex('shop_daily_stats').where({ day: DAY }).del();
      log(`  ours ${fmt(o.ms)} ms; peer…`);
      const p = await peer(() => runShopStats(knex, { day: DAY, now: NOW }));
      log(`  peer ${fmt(p.ms)} ms`);
      const statsPeer = await readStats(knex, DAY);
      if (JSON.stringify(statsOurs) !== JSON.stringify(statsPeer)) {
        const i = statsOurs.findIndex((r, j) => r !== statsPeer[j]);
        throw new Error(`the two versions wrote different rows (${statsOurs.length} vs ${statsPeer.length}; first difference: ours ${statsOurs[i]}, peer ${statsPeer[i]})`);
      }
      sameResult(`shop stats ${DAY}`, o.result, p.result);
      const [[day]] = (await knex.raw('SELECT SUM(views) AS v, SUM(clicks) AS c, SUM(likes) AS l FROM shop_daily_stats WHERE day = ?', [DAY])) as [[{ v: number; c: number; l: number }]];
      if (Number(day.v) === 0) throw new Error('no views counted, the seeded day is empty');
      return { o, p, logs: Number(day.v) + Number(day.c), likes: Number(day.l) };
    });
    if ((await editFingerprint(knex)) !== edits0) failures.push('a job changed products.updated_at or version');
    const peers: Array<[string, PeerRun<unknown> | undefined]> = [[`popularity ${DAY}`, s1?.p], [`popularity ${NEXT_DAY}`, s2?.p], [`shop stats ${DAY}`, s3?.p]];
    for (const [w, p] of peers) if (p && Object.keys(p.outbox).length) failures.push(`the SQL ${w} wrote outbox rows: ${JSON.stringify(p.outbox)}`);
    for (const [w, o] of [[DAY, s1?.o], [NEXT_DAY, s2?.o]] as const) {
      if (!o) continue;
      const changed = o.result.updated + o.result.zeroed;
      if ((o.outbox.stats ?? 0) !== changed || Object.keys(o.outbox).some((k) => k !== 'stats')) failures.push(`popularity ${w}: ${changed} scores changed but the outbox got ${JSON.stringify(o.outbox)}`);
    }

    // ---------------------------------------------------------------- report
    console.log(`\njobs: seed scale ${scale} (${fmt(c.products)} products, ${fmt(c.shops)} shops, ${fmt(c.users)} users, ${fmt(likes)} likes, ${fmt(c.logs)} logs), one MariaDB server, services in this process over real Thrift; load average at the start ${formatLoad(loadBefore)}, when measuring began ${formatLoad(loadMeasuring)}, now ${formatLoad(loadAverage())}`);
    const totalCalls = (o: OursRun<unknown>) => Object.values(o.calls).reduce((a, b) => a + b, 0);
    const totalBytes = (o: OursRun<unknown>) => Object.values(o.bytes).reduce((a, b) => a + b, 0);
    const popRows = (r: PopularityResult) => `${fmt(r.events)} events, ${fmt(r.scored)} scored, ${fmt(r.updated)} set, ${fmt(r.zeroed)} zeroed`;
    const row = (job: string, o: OursRun<unknown>, p: PeerRun<unknown>, touched: string) => ({
      job, 'ours ms': fmt(o.ms), 'peer ms': fmt(p.ms), 'ours/peer': `${(o.ms / p.ms).toFixed(2)}×`,
      'node cpu ms o/p': `${fmt(o.cpuMs)} / ${fmt(p.cpuMs)}`, 'mariadb cpu ms o/p': o.dbCpuMs === undefined || p.dbCpuMs === undefined ? '' : `${fmt(o.dbCpuMs)} / ${fmt(p.dbCpuMs)}`,
      'thrift calls': totalCalls(o), 'thrift bytes': size(totalBytes(o)), 'SQL stmts o/p': `${o.sql} / ${p.sql}`,
      'outbox rows o/p': `${fmt(o.outbox.stats ?? 0)} / ${fmt(Object.values(p.outbox).reduce((a, b) => a + b, 0))}`, touched,
    });
    const done: Array<[string, OursRun<unknown>]> = [];
    const table = [];
    if (s1) {
      table.push(row(`popularity ${DAY} (from zero)`, s1.o, s1.p, popRows(s1.o.result)));
      done.push([`popularity ${DAY} (from zero)`, s1.o]);
    }
    if (s2) {
      table.push(row(`popularity ${NEXT_DAY} (daily)`, s2.o, s2.p, popRows(s2.o.result)));
      done.push([`popularity ${NEXT_DAY} (daily)`, s2.o]);
    }
    if (s3) {
      table.push(row(`shop stats ${DAY}`, s3.o, s3.p, `${fmt(s3.o.result.shops)} shops, ${fmt(s3.logs)} logs, ${fmt(s3.likes)} likes`));
      done.push([`shop stats ${DAY}`, s3.o]);
    }
    console.table(table);
    if (failures.length === 0) console.log('results identical both ways: scores, shop_daily_stats rows, job results; updated_at/version untouched; SQL join wrote no outbox rows');
    for (const [job, o] of done) {
      console.log(`\nours, ${job}: where the time goes (port calls; thrift ms = client-side call time summed per method)`);
      console.table(phaseRows(o.phases, o.calls, o.callMs, o.ms));
      console.log(`thrift bytes (both directions): ${Object.entries(o.bytes).map(([s, b]) => `${s} ${size(b)}`).join(', ') || 'none'}`);
    }
    const drain = (n: number) => n / INDEXER_EVENTS_PER_S;
    if (s1 && s2) {
      console.log(`\noutbox: ours wrote ${fmt(s1.o.outbox.stats ?? 0)} product 'stats' events for ${DAY} from zero, ${fmt(s2.o.outbox.stats ?? 0)} for the next day's run;`
        + ` at the indexer's measured ${INDEXER_EVENTS_PER_S} events/s (docs/search.md) that is ${r1(drain(s1.o.outbox.stats ?? 0))} s / ${r1(drain(s2.o.outbox.stats ?? 0))} s of indexing. The SQL join writes none (the index keeps stale scores).`);
    }

    const verdict = judge({ loadBefore });
    const claim = (job: string, o: OursRun<unknown>, p: PeerRun<unknown>) => `${job}: via services ${fmt(o.ms)} ms vs SQL join ${fmt(p.ms)} ms (${(o.ms / p.ms).toFixed(2)}× the join's time; node CPU ${fmt(o.cpuMs)} / ${fmt(p.cpuMs)} ms${o.dbCpuMs === undefined || p.dbCpuMs === undefined ? '' : `, mariadbd CPU ${fmt(o.dbCpuMs)} / ${fmt(p.dbCpuMs)} ms`})`;
    const claims = [
      ...(s1 ? [claim(`popularity ${DAY} (from zero)`, s1.o, s1.p)] : []),
      ...(s2 ? [claim(`popularity ${NEXT_DAY} (daily)`, s2.o, s2.p)] : []),
      ...(s3 ? [claim(`shop stats ${DAY}`, s3.o, s3.p)] : []),
    ];
    for (const line of verdictLines(claims, verdict)) console.log(`jobs ${line}`);
    console.log(`jobs: load average before ${formatLoad(loadBefore)}, after ${formatLoad(loadAverage())}`);
    const base = { bench: 'jobs', peerName: 'legacy SQL join', noisy: !verdict.quiet };
    const results: BenchResult[] = [];
    if (s1) results.push({ ...base, metric: `popularity ${DAY} from zero, wall (ratio peer/ours)`, ours: s1.o.ms, peer: s1.p.ms, unit: 'ms', ratio: s1.p.ms / s1.o.ms });
    if (s2) {
      results.push(
        { ...base, metric: `popularity ${NEXT_DAY} daily, wall (ratio peer/ours)`, ours: s2.o.ms, peer: s2.p.ms, unit: 'ms', ratio: s2.p.ms / s2.o.ms },
        { ...base, metric: `popularity daily: outbox events (${r1(drain(s2.o.outbox.stats ?? 0))} s at ${INDEXER_EVENTS_PER_S}/s)`, ours: s2.o.outbox.stats ?? 0, peer: 0, unit: 'events' },
        { ...base, metric: 'popularity daily: thrift calls', ours: totalCalls(s2.o), unit: `calls (${size(totalBytes(s2.o))})` },
      );
    }
    if (s3) results.push({ ...base, metric: `shop stats ${DAY}, wall (ratio peer/ours)`, ours: s3.o.ms, peer: s3.p.ms, unit: 'ms', ratio: s3.p.ms / s3.o.ms });
    if (failures.length) throw new Error(`jobs benchmark FAILED:\n  ${failures.join('\n  ')}`);
    return results;
  } finally {
    await clients.close();
    await stack.close();
    await knex.destroy();
  }
}
