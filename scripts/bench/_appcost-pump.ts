/**
 * The split's side of split-appcost in its own process, as split-db runs
 * beside the application: one process for the whole benchmark, so the reader
 * is measured warm (JIT-compiled, connections open), as in a split's steady
 * state, not in the first seconds of a fresh process. Commands on stdin, one
 * a line, each answered `ok <command>` on stdout:
 *   binlog    read the binlog from its current end (BinlogPump)
 *   binlog-batched  the same, reading events in batches (readGapMs BATCHED_READ_GAP_MS; split-db reads each as it comes)
 *   binlog-gapN     the same, the reader pausing its socket N ms after each burst (readGapMs N)
 *   binlog-niceN    the same, the process at CPU priority nice N (split-db --nice N, nice.ts); every other command sets it back to 0
 *   binlog-allcols  the same, every column of each row image decoded (keyOnlyRows off: zongji's own decoding, as before binlog-rows.ts)
 *   triggers  no reader (the triggers log the keys)
 *   off       no reader, no applier
 *   cpu       answers `cpu <user+system µs>` of this process
 *   stats     answers `stats <json>`: the applier's batches and changes so far
 *   spans     answers `spans <json>`: [start, end] epoch ms of each batch since the last `spans`
 * A capture command may name the applier's target: `binlog@own` applies into
 * APPCOST_TARGET_OWN (a database on a second server) instead of APPCOST_TARGET
 * (a database on the source's server), `binlog@none` runs no applier; `binlog@same#batch=100,lag=0,save=0,flush=50` sets the
 * applier's follow loop otherwise than split-db's defaults (batch size, least
 * time between drains, least time between state saves or save=off, the
 * reader's least gap between changelog commits).
 * With a target, the applier also runs in `binlog` and `triggers`: split-db
 * start --follow's own loop (follow.ts followApply with split-db's defaults:
 * batch size, lag budget, state saves), so the figure is capture + apply, the
 * split after its copy.
 * With APPCOST_COPY=1 as well, a copy runs beside them in those modes: the
 * same-server copy's statements (DELETE + REPLACE … SELECT of a 1,000-key
 * range in one transaction, as copier.ts), unthrottled (the default), over
 * the table again and again: the split during its copy.
 * APPCOST_DSN, APPCOST_SERVICE. SIGTERM stops it (saving its position).
 */
import { createInterface } from 'node:readline';
import { BATCHED_READ_GAP_MS, BinlogPump, masterPos, positionTable } from '../split/lib/binlog.ts';
import { readCatalog } from '../split/lib/context.ts';
import { NO_FAULTS } from '../split/lib/faults.ts';
import { niceProcess } from '../split/lib/nice.ts';
import { followApply } from '../split/lib/follow.ts';
import type { Link } from '../split/lib/link.ts';
import { DEFAULT_APPLY_BATCH, DEFAULT_APPLY_LAG_MS } from '../split/lib/options.ts';
import { openSide, type Side } from '../split/lib/side.ts';
import { q } from '../split/lib/sql.ts';
import { newState, note, StateStore } from '../split/lib/state.ts';

const service = process.env.APPCOST_SERVICE!;
const side = openSide(process.env.APPCOST_DSN!);
const targets = new Map<string, Side>();
if (process.env.APPCOST_TARGET) targets.set('same', openSide(process.env.APPCOST_TARGET));
if (process.env.APPCOST_TARGET_OWN) targets.set('own', openSide(process.env.APPCOST_TARGET_OWN));
const shapes = (await readCatalog(side, ['products'])).shapes;
const links = new Map<string, Link>([...targets].map(([k, to]) => [k, { direction: 'forward', service, from: side, to, sql: k === 'same', shapes }]));
// the state document split-db saves after every batch (a split some way in: a few history entries)
const store = new StateStore(side.knex, side.db);
await store.ensure();
const state = newState(service, side.masked, 'target', ['products'], 1000);
for (let i = 0; i < 12; i++) note(state, `step ${i}`, 'a detail of some length, as split-db writes them');
const applyLimit = Number(process.env.APPCOST_APPLY_BATCH) || DEFAULT_APPLY_BATCH;
const stats = { batches: 0, changes: 0 };
/** [start, end] epoch ms of each batch (its transaction and the state save after it) since the last `spans`. */
let spans: Array<[number, number]> = [];
let pump: BinlogPump | null = null;
let mode = 'off';
let applying: { stop: AbortController; done: Promise<void> } | null = null;
let copying: Promise<void> | null = null;
const COPY_CHUNK = 1000;

async function copyLoop(): Promise<void> {
  const t = targets.get('same')!.db;
  let lo = 0;
  while (mode !== 'off') {
    const [[m]] = await side.knex.raw('SELECT MAX(id) AS m FROM products');
    if (lo >= Number(m.m)) lo = 0;
    const where = `id > ${lo} AND id <= ${lo + COPY_CHUNK}`;
    await side.knex.transaction(async (tx) => {
      await tx.raw(`DELETE FROM ${q(t)}.products WHERE ${where}`);
      await tx.raw(`REPLACE INTO ${q(t)}.products SELECT * FROM products WHERE ${where}`);
    });
    lo += COPY_CHUNK;
  }
}

/**
 * `batch=N,lag=MS,save=MS|off,flush=MS` → the follow loop's settings, split-db's defaults
 * for those not named (split-appcost SPLIT_APPCOST_APPLIERS).
 */
function applierOpts(text: string): { limit: number; lagMs: number; saveGapMs?: number; save: boolean; flushMs?: number } {
  const o = new Map(text.split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
  for (const k of o.keys()) if (!['batch', 'lag', 'save', 'flush'].includes(k)) throw new Error(`unknown applier option ${k}`);
  const num = (k: string) => (o.has(k) ? Number(o.get(k)) : undefined);
  return { limit: num('batch') ?? applyLimit, lagMs: num('lag') ?? DEFAULT_APPLY_LAG_MS, save: o.get('save') !== 'off', saveGapMs: o.get('save') === 'off' ? undefined : num('save'), flushMs: num('flush') };
}

function startApplier(link: Link, opts: ReturnType<typeof applierOpts>): { stop: AbortController; done: Promise<void> } {
  const stop = new AbortController();
  const onBatch = (r: { changes: number }, startedAt: number) => {
    stats.batches++;
    stats.changes += r.changes;
    state.applied.forward += r.changes;
    state.applied.batches += 1;
    // the batch's span: its transaction (the state save after it, when the loop makes one, is not in it)
    spans.push([performance.timeOrigin + startedAt, performance.timeOrigin + performance.now()]);
  };
  return { stop, done: followApply(link, { limit: opts.limit, lagMs: opts.lagMs, faults: NO_FAULTS, signal: stop.signal, follow: true, onBatch, pump,
    save: opts.save ? () => store.save(state) : undefined, saveGapMs: opts.saveGapMs }) };
}

async function stopApplier(): Promise<void> {
  const a = applying;
  applying = null;
  if (!a) return;
  a.stop.abort();
  await a.done;
}

async function stopPump(): Promise<void> {
  const p = pump;
  pump = null;
  if (p) await p.stop();
  if (p?.error) throw p.error;
}

async function command(line: string): Promise<string> {
  if (line === 'cpu') {
    const u = process.cpuUsage();
    return `cpu ${u.user + u.system}`;
  }
  if (line === 'stats') return `stats ${JSON.stringify(stats)}`;
  if (line === 'spans') {
    const out = spans;
    spans = [];
    return `spans ${JSON.stringify(out)}`;
  }
  const [head, settings = ''] = line.split('#');
  const [c, where = 'same'] = head.split('@');
  const nice = /^binlog-nice(\d+)$/.exec(c);
  const gap = /^binlog-gap(\d+)$/.exec(c);
  if (c !== 'binlog' && c !== 'binlog-batched' && c !== 'binlog-allcols' && !nice && !gap && c !== 'triggers' && c !== 'off') throw new Error(`unknown command ${line}`);
  // back to 0 needs the privilege to raise a priority (the benchmark runs as root); a mode that lowered it sets it again
  niceProcess(nice ? Number(nice[1]) : 0);
  await stopApplier();
  await stopPump();
  mode = c;
  if (c === 'off' && copying) {
    await copying;
    copying = null;
  }
  if (c.startsWith('binlog')) {
    const p = await masterPos(side);
    await side.knex.raw(`UPDATE ${q(positionTable(service))} SET file = ?, pos = ?, gtid = NULL WHERE id = 1`, [p.file, p.pos]);
    pump = new BinlogPump(side, service, shapes);
    if (c === 'binlog-batched') pump.readGapMs = BATCHED_READ_GAP_MS;
    if (c === 'binlog-allcols') pump.keyOnlyRows = false;
    if (gap) pump.readGapMs = Number(gap[1]);
    await pump.start();
  }
  const link = links.get(where);
  const ao = applierOpts(settings);
  if (pump && ao.flushMs !== undefined) pump.flushGapMs = ao.flushMs;
  if (c !== 'off' && link) applying = startApplier(link, ao);
  if (c !== 'off' && targets.has('same') && process.env.APPCOST_COPY === '1' && !copying) copying = copyLoop();
  return `ok ${line}`;
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  command(line.trim()).then((r) => process.stdout.write(`${r}\n`), (err: Error) => {
    process.stderr.write(`appcost pump: ${err.stack}\n`);
    process.exit(1);
  });
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  mode = 'off';
  void stopApplier().catch(() => undefined).then(() => stopPump()).catch(() => undefined).finally(async () => {
    await copying?.catch(() => undefined);
    await side.knex.destroy();
    for (const t of targets.values()) await t.knex.destroy();
    process.exit(0);
  });
});
