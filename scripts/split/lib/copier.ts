import type { Knex } from '../../../lib/db.ts';
import { drain } from './applier.ts';
import { execChecked, sleep, toolTransaction, type SplitContext } from './context.ts';
import type { Link } from './link.ts';
import { copyFraction } from './progress.ts';
import { applyKeys, errorText, isRowError, parkKeys, replaceRows } from './applier.ts';
import { ChunkLane, ChunkQueue } from './inflight.ts';
import { chooseWritePath, isLoadDataRefused, loadChunk } from './loader.ts';
import { inRangesSql, intKeyText, intOf, isIntKey, keyTextExpr, orderBy, rangeWhere } from './keys.ts';
import { columnList, qq, selectList, type TableShape } from './sql.ts';
import { note, type Segment, type SplitState, type TableProgress } from './state.ts';
import { nextChunkSize, rateDelay } from './throttle.ts';

/**
 * Copies each table in key chunks up to the key range snapshot taken after
 * capture began (rows above it arrive through the changelog). The copier and
 * the applier take turns in one loop — a chunk is read and written before any
 * captured change is applied — so a stale chunk can never overwrite a newer
 * applied change.
 *
 * A chunk copy makes the target's key range (lo, hi] EQUAL to the source's:
 * it deletes the target's rows in the range and writes the source's, in one
 * transaction. So a position that lags what is on the target (a process killed
 * after the chunk committed, before its position was saved) only means the
 * range is copied again, and changes to not-yet-copied keys can be consumed
 * without being applied (the copier reads those rows later, current).
 * Positions are saved under one lock per run, each save holding every advance
 * committed before it and none that is not: they never move backwards and
 * never claim a chunk the target does not hold. The stream copy with LOAD
 * DATA (copyRoundInFlight) has several chunks of a round in flight; they
 * commit in any order and a segment's position moves only over the
 * contiguous prefix of committed chunks (inflight.ts).
 */
export async function snapshotRanges(ctx: SplitContext, state: SplitState, shapes: Map<string, TableShape>): Promise<void> {
  for (const [t, shape] of shapes) {
    const p = state.tables[t];
    if (p.maxPk !== null || p.done) continue;
    const edge = async (desc: boolean) => {
      const [rows] = await ctx.source.knex.raw(`SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(ctx.source.db, t)} ORDER BY ${orderBy(shape.key, desc)} LIMIT 1`);
      const r = (rows as Array<{ k: string }>)[0];
      return r ? String(r.k) : null;
    };
    const [mn, mx] = [await edge(false), await edge(true)];
    if (mx === null || mn === null) {
      p.done = true;
      continue;
    }
    p.minPk = mn;
    p.maxPk = mx;
    p.intKey = isIntKey(shape.key);
    const [[est]] = await ctx.source.knex.raw('SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [ctx.source.db, t]);
    p.estimate = Number(est?.n ?? 0);
    // integer keys are cut by arithmetic; other keys have none: boundaries are keys sampled by the server
    p.segments = isIntKey(shape.key)
      ? splitRange(intOf(shape.key, mn).toString(), intOf(shape.key, mx).toString(), ctx.opts.copyWorkers, ctx.opts.minChunk)
      : await sampledSegments(ctx, shape, mx, p.estimate, ctx.opts.copyWorkers, ctx.opts.minChunk);
  }
  await ctx.store.save(state);
}

/**
 * Segments of a key without arithmetic: the keys at every (estimate / n)-th
 * position in the server's key order are the boundaries (one index walk each);
 * one segment when the table is small or its estimate unknown.
 */
async function sampledSegments(ctx: SplitContext, shape: TableShape, max: string, estimate: number, n: number, minWidth: number): Promise<Segment[]> {
  const parts = Math.max(1, Math.min(n, Math.floor(estimate / Math.max(1, minWidth))));
  const cuts: string[] = [];
  for (let i = 1; i < parts; i++) {
    const [rows] = await ctx.source.knex.raw(
      `SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(ctx.source.db, shape.name)} ORDER BY ${orderBy(shape.key)} LIMIT 1 OFFSET ${Math.floor((estimate * i) / parts)}`);
    const k = (rows as Array<{ k: string }>)[0]?.k;
    if (k === undefined || k === max || k === cuts.at(-1)) break;
    cuts.push(String(k));
  }
  const edges: Array<string | null> = [null, ...cuts, max];
  return edges.slice(1).map((hi, i) => ({ lo: edges[i], hi: hi!, lastPk: null, done: false }));
}

/** [min, max] of an integer key cut into up to `n` equal slices (lo, hi], none narrower than `minWidth`; key texts. Pure. */
export function splitRange(min: string, max: string, n: number, minWidth: number): Segment[] {
  const lo = BigInt(min) - 1n;
  const hi = BigInt(max);
  const parts = Math.max(1, Math.min(n, Number((hi - lo) / BigInt(Math.max(1, minWidth))) || 1));
  const step = (hi - lo) / BigInt(parts);
  const out: Segment[] = [];
  for (let i = 0; i < parts; i++) {
    const a = lo + step * BigInt(i);
    const b = i === parts - 1 ? hi : lo + step * BigInt(i + 1);
    out.push({ lo: i === 0 ? null : intKeyText(a), hi: intKeyText(b), lastPk: null, done: false });
  }
  return out;
}

async function threadsRunning(knex: Knex): Promise<number> {
  const [rows] = await knex.raw("SHOW GLOBAL STATUS LIKE 'Threads_running'");
  return Number((rows as Array<{ Value: string }>)[0]?.Value ?? 0);
}

/**
 * The order the tables are copied in. Pure. A table's re-add ALTER
 * (deferred-indexes.ts) starts when its copy ends and runs beside the copies
 * after it, one thread on the target, so the copy is done soonest when the
 * tables with the most to add back go first — one machine (the copy), each
 * job followed by a tail of its own (the ALTER): longest tail first
 * (Jackson's rule) ends the last tail earliest. Listed last, a big table's
 * ALTER ran alone after everything else. Work to add back: rows (the
 * estimate, at least 1) × deferred keys not yet restored; tables with none
 * keep the manifest's order after them, as do ties.
 */
export function copyOrder(tables: string[], progress: Record<string, TableProgress | undefined>): string[] {
  const work = (t: string): number => {
    const p = progress[t];
    const keys = p?.indexes && p.indexes.step !== 'restored' ? p.indexes.indexes.length : 0;
    return keys * Math.max(1, p?.estimate ?? 0);
  };
  return tables.map((t, i) => ({ t, i, w: work(t) })).sort((a, b) => b.w - a.w || a.i - b.i).map((x) => x.t);
}

/** `onTableCopied`: called when a table's last chunk is on the target (start begins re-adding its deferred indexes). */
export async function copyAll(ctx: SplitContext, state: SplitState, link: Link, onTableCopied?: (table: string) => void): Promise<void> {
  const started = Date.now();
  let rowsThisRun = 0;
  const totalFraction = () => copyFraction(Object.values(state.tables)); // weighted by rows
  if (!link.sql && !link.write && !copyDone(state)) {
    link.write = await chooseWritePath(link.to, ctx.opts.streamWrite);
    ctx.log.info({ write: link.write.write, why: link.write.why }, 'stream copy write path');
  }
  const path = link.sql ? 'sql: server-side REPLACE … SELECT (same server)' : `stream: ${link.write?.why ?? 'rows streamed through the tool'}`;
  if (state.copyPath !== path && !copyDone(state)) {
    state.copyPath = path;
    note(state, 'copy path', path);
    // recorded before the first chunk: status after a kill in the first round says how the copy writes
    await ctx.store.save(state);
  }
  ctx.progress.begin(`copy ${ctx.service.name}`, 10000);
  try {
    for (const t of copyOrder([...link.shapes.keys()], state.tables)) {
      const shape = link.shapes.get(t)!;
      const p = state.tables[t];
      // a state document of an older version: one cursor over the whole range
      if (!p.done && !p.segments) p.segments = [{ lo: null, hi: p.maxPk!, lastPk: p.lastPk, done: false }];
      while (!p.done) {
        if (ctx.signal.aborted) return;
        // one round: every unfinished segment copies one chunk, concurrently; then the applier runs
        const t0 = Date.now();
        const active = p.segments!.filter((sg) => !sg.done);
        if (link.write?.write === 'load-data') {
          // the chunk size adapts after each chunk in there
          rowsThisRun += (await copyRoundInFlight(ctx, state, link, shape, p, active)).rows;
        } else {
          const counts = await Promise.all(active.map((sg) => copyChunk(ctx, state, link, shape, p, sg)));
          for (const n of counts) rowsThisRun += n;
          // the chunk size adapts to one chunk's time (the segments' chunks ran at once)
          state.chunkSize = nextChunkSize(state.chunkSize, Date.now() - t0, ctx.opts.targetChunkMs, ctx.opts.minChunk, ctx.opts.maxChunk);
        }
        p.done = p.segments!.every((sg) => sg.done);
        if (p.done) await ctx.store.save(state);
        ctx.progress.update(Math.round(totalFraction() * 10000), { rows: Object.values(state.tables).reduce((a, x) => a + x.rows, 0) });
        // apply what was captured meanwhile, bounded so the copy keeps moving
        await drain(link, ctx.opts.applyBatch, ctx.faults, {
          maxMs: ctx.opts.targetChunkMs, signal: ctx.signal, skip: (tbl, keys) => notYetCopied(link, state.tables[tbl], tbl, keys),
          onBatch: async (r) => {
            state.applied.forward += r.changes;
            state.applied.batches += 1;
            await ctx.store.save(state);
          },
        });
        await throttle(ctx, rowsThisRun, Date.now() - started);
      }
      if (!ctx.signal.aborted) onTableCopied?.(t);
    }
  } finally {
    ctx.progress.end();
  }
}

async function throttle(ctx: SplitContext, rows: number, elapsed: number): Promise<void> {
  const wait = rateDelay(rows, elapsed, ctx.opts.maxRowsPerSecond);
  if (wait > 0) await sleep(Math.min(wait, 5000), ctx.signal);
  if (ctx.opts.maxThreadsRunning > 0) {
    for (let i = 0; i < 50 && !ctx.signal.aborted; i++) {
      const running = await threadsRunning(ctx.source.knex);
      if (running <= ctx.opts.maxThreadsRunning) break;
      if (i === 0) ctx.log.info({ running, limit: ctx.opts.maxThreadsRunning }, 'source busy; copy paused');
      await sleep(200, ctx.signal);
    }
  }
}

/** One lock per copy run: a position save and the commit it describes happen under it (see the file comment). */
const saveLocks = new WeakMap<SplitState, Mutex>();
function saveLock(state: SplitState): Mutex {
  let m = saveLocks.get(state);
  if (!m) saveLocks.set(state, (m = new Mutex()));
  return m;
}

/** Upper bound of the chunk after `lo`: the size-th key in the server's key order, capped at the segment's end. */
async function chunkEnd(link: Link, shape: TableShape, lo: string | null, segHi: string, size: number): Promise<{ hi: string; last: boolean }> {
  const src = link.from;
  const [hiRows] = await src.knex.raw(
    `SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(src.db, shape.name)} WHERE ${rangeWhere(shape.key, lo, segHi)} ORDER BY ${orderBy(shape.key)} LIMIT 1 OFFSET ${size - 1}`);
  const hiFound = (hiRows as Array<{ k: string }>)[0];
  const hi = hiFound ? String(hiFound.k) : segHi;
  return { hi, last: !hiFound || hi === segHi };
}

/**
 * Copies the next chunk of one segment; returns the rows copied. The target's
 * rows in the chunk's key range are deleted and the source's written in one
 * transaction. Same server: the state document (every advance committed so
 * far plus this one) is saved in that transaction, and the advance is applied
 * in memory after the commit, still under the save lock. Other server: the
 * position is saved after the commit (a lag only repeats the chunk).
 */
export async function copyChunk(ctx: SplitContext, state: SplitState, link: Link, shape: TableShape, p: TableProgress, seg: Segment): Promise<number> {
  const src = link.from;
  const lo = seg.lastPk ?? seg.lo;
  const size = Math.max(1, state.chunkSize);
  const { hi, last } = await chunkEnd(link, shape, lo, seg.hi, size);
  const where = rangeWhere(shape.key, lo, hi);
  const lock = saveLock(state);
  let copied = 0;
  let release: (() => void) | undefined;
  try {
    if (isolated.has(seg)) {
      // this range held a row the target refuses: copied key by key, refused keys parked (applier.ts)
      isolated.delete(seg);
      copied = await copyIsolating(link, shape, where);
      ctx.faults.hit('chunk-committed');
      release = await lock.acquire();
      advance(p, seg, hi, last, copied);
      await ctx.store.save(state);
    } else if (link.sql) {
      await toolTransaction(src.knex, async (tx) => {
        release?.();
        release = undefined;
        await execChecked(tx, `DELETE FROM ${qq(link.to.db, shape.name)} WHERE ${where}`);
        const r = await execChecked(tx, `REPLACE INTO ${qq(link.to.db, shape.name)} (${columnList(shape)}) SELECT ${columnList(shape)} FROM ${qq(src.db, shape.name)} WHERE ${where}`);
        // rows read, not affected rows (a REPLACE that replaces counts 2)
        copied = r.records ?? r.affectedRows;
        ctx.faults.hit('mid-chunk');
        release = await lock.acquire();
        const doc = structuredClone(state);
        advance(doc.tables[shape.name], doc.tables[shape.name].segments!.find((x) => x.lo === seg.lo && x.hi === seg.hi)!, hi, last, copied);
        await ctx.store.save(doc, tx);
      });
      advance(p, seg, hi, last, copied);
      // same point as in stream mode; here the position committed with the chunk, so the window is empty
      ctx.faults.hit('chunk-committed');
    } else {
      const [rows] = await src.knex.raw(`SELECT ${selectList(shape)} FROM ${qq(src.db, shape.name)} WHERE ${where} ORDER BY ${orderBy(shape.key)}`);
      const list = rows as Array<Record<string, unknown>>;
      await toolTransaction(link.to.knex, async (tx) => {
        await execChecked(tx, `DELETE FROM ${qq(link.to.db, shape.name)} WHERE ${where}`);
        if (list.length) await replaceRows(tx, link.to.db, shape, list);
        ctx.faults.hit('mid-chunk');
      });
      copied = list.length;
      // the window between the chunk's commit on the target and the save of its position
      ctx.faults.hit('chunk-committed');
      release = await lock.acquire();
      advance(p, seg, hi, last, copied);
      await ctx.store.save(state);
    }
  } catch (err) {
    if (!isRowError(err) || isolated.has(seg)) throw err;
    // a poison row in this chunk: the next attempt copies it key by key
    ctx.log.warn({ table: shape.name, error: errorText(err) }, 'chunk refused by the target; copying it key by key');
    isolated.add(seg);
    return 0;
  } finally {
    release?.();
  }
  ctx.faults.hit('after-chunk');
  return copied;
}

/**
 * One round of the LOAD DATA stream copy: up to copyLoaders chunks are loaded
 * at once, each in its own target transaction (loader.ts: the range deleted
 * and the source's rows streamed in), for about roundMs (roundBudgetMs): a
 * loader that finishes a chunk claims the next one of the segment with the
 * fewest in flight, whose bounds were usually probed while it loaded
 * (inflight.ts ChunkLane), until the budget is spent; the chunks in flight
 * then finish and the round ends. Commits land in any order; a segment's
 * position moves only over the contiguous prefix of committed chunks
 * (inflight.ts ChunkQueue), saved under the run's save lock after each commit
 * that extends it — never ahead of the target, never backwards. A kill leaves
 * at most some committed chunks beyond the saved position: they are copied
 * again on resume, and made equal again. Only when every claimed chunk has
 * committed or failed does the applier run (a chunk read before a change and
 * committed after it must not overwrite the applied change). The chunk size
 * adapts after every chunk (its time per row × the size, toward
 * --target-chunk-ms); the bounds probed next use it. Returns the rows whose
 * position was saved.
 */
async function copyRoundInFlight(ctx: SplitContext, state: SplitState, link: Link, shape: TableShape, p: TableProgress, active: Segment[]): Promise<{ rows: number }> {
  const t0 = Date.now();
  const loaders = Math.max(1, ctx.opts.copyLoaders);
  const budget = roundBudgetMs(ctx.opts.targetChunkMs);
  // a rows-per-second ceiling keeps the old bounded rounds, so the pause between rounds can pace the copy
  const maxChunks = ctx.opts.maxRowsPerSecond > 0 ? ROUND_CHUNKS_PER_LOADER * loaders : Infinity;
  // a segment whose last chunk held a row the target refuses goes key by key, the old way
  const isolating = active.filter((sg) => isolated.has(sg));
  const lanes = active.filter((sg) => !isolated.has(sg)).map((seg) => ({
    seg, queue: new ChunkQueue(), inFlight: 0, claimed: 0,
    // the size when the bound is probed: it adapts after every chunk
    chunks: new ChunkLane(seg.lastPk ?? seg.lo, (lo) => chunkEnd(link, shape, lo, seg.hi, Math.max(1, state.chunkSize))),
  }));
  type Lane = (typeof lanes)[number];
  const lock = saveLock(state);
  let saved = 0;
  let unsaved = 0;
  let started = 0;
  let firstError: unknown;
  const load = async (lane: Lane, i: number): Promise<void> => {
    const c = lane.queue.chunks[i];
    let rows: number;
    const c0 = Date.now();
    try {
      rows = await loadChunk(link, shape, c.lo, c.hi, ctx.faults);
    } catch (err) {
      lane.queue.fail(i);
      if (isRowError(err)) {
        // a poison row in this chunk: the segment's next round copies from here key by key
        ctx.log.warn({ table: shape.name, error: errorText(err) }, 'chunk refused by the target; copying it key by key');
        isolated.add(lane.seg);
        return;
      }
      firstError ??= err;
      return;
    }
    // one chunk's time at this chunk's rows, scaled to the current size (chunks of a round differ in size)
    if (rows > 0) state.chunkSize = nextChunkSize(state.chunkSize, ((Date.now() - c0) * state.chunkSize) / rows, ctx.opts.targetChunkMs, ctx.opts.minChunk, ctx.opts.maxChunk);
    // the chunk is on the target; its position is not saved yet
    ctx.faults.hit('chunk-committed');
    if (++unsaved >= 2) ctx.faults.hit('loaders-committed');
    const release = await lock.acquire();
    try {
      const gained = lane.queue.commit(i, rows);
      if (gained.length) {
        for (const g of gained) {
          advance(p, lane.seg, g.chunk.hi, g.chunk.last, g.rows);
          saved += g.rows;
        }
        await ctx.store.save(state);
        unsaved -= gained.length;
      }
    } finally {
      release();
    }
    ctx.faults.hit('after-chunk');
  };
  // the segment a free loader serves next: fewest chunks in flight, then fewest claimed (null: none left this round)
  const pick = (): Lane | null => {
    let best: Lane | null = null;
    for (const l of lanes) {
      if (l.chunks.ended || !l.queue.wanted(l.claimed)) continue;
      if (!best || l.inFlight < best.inFlight || (l.inFlight === best.inFlight && l.claimed < best.claimed)) best = l;
    }
    return best;
  };
  const loader = async (): Promise<void> => {
    for (;;) {
      if (firstError !== undefined || ctx.signal.aborted || started >= maxChunks || (started > 0 && Date.now() - t0 >= budget)) return;
      const lane = pick();
      if (!lane) return;
      started++;
      lane.claimed++;
      lane.inFlight++;
      try {
        const c = await lane.chunks.claim();
        if (!c) continue;
        const i = lane.queue.add(c);
        if (firstError !== undefined || !lane.queue.wanted(i) || ctx.signal.aborted) {
          lane.queue.fail(i);
          continue;
        }
        await load(lane, i);
      } catch (err) {
        firstError ??= err;
      } finally {
        lane.inFlight--;
      }
    }
  };
  const isolatingDone = Promise.allSettled(isolating.map((sg) => copyChunk(ctx, state, link, shape, p, sg)));
  // every loader runs to the end of its chunk whatever the others do: nothing is left in flight when the round returns
  await Promise.all(Array.from({ length: lanes.length ? loaders : 0 }, loader));
  for (const r of await isolatingDone) {
    if (r.status === 'fulfilled') saved += r.value;
    else firstError ??= r.reason;
  }
  if (firstError !== undefined) {
    if (isLoadDataRefused(firstError)) {
      // local_infile was switched off under us (or the client refuses): the rest of the copy goes the INSERT way
      link.write = { write: 'insert', why: `batch REPLACE statements: LOAD DATA LOCAL refused by the target (${errorText(firstError)})` };
      ctx.log.warn({ error: errorText(firstError) }, 'LOAD DATA LOCAL refused by the target; the stream copy continues with batch REPLACE statements');
      state.copyPath = `stream: ${link.write.why}`;
      note(state, 'copy path', state.copyPath);
      return { rows: saved };
    }
    throw firstError;
  }
  return { rows: saved };
}

/**
 * How long one round of the LOAD DATA copy keeps claiming chunks: ROUND_TARGET_CHUNKS
 * chunk times. Longer rounds leave the loaders idle less often (a round ends by
 * waiting for its slowest chunk, with fewer and fewer loaders busy) and make the
 * applier wait longer between its turns. Pure.
 */
export function roundBudgetMs(targetChunkMs: number): number {
  return Math.max(1, ROUND_TARGET_CHUNKS * targetChunkMs);
}

/** Chunk times one round of the LOAD DATA copy lasts (at the adaptive chunk size). */
const ROUND_TARGET_CHUNKS = 6;

/** Chunks per loader in one round of the LOAD DATA copy when --max-rows-per-second paces it. */
const ROUND_CHUNKS_PER_LOADER = 2;

/** Segments whose next chunk is copied key by key (the last attempt hit a row the target refuses). */
const isolated = new WeakSet<Segment>();

/**
 * Makes the target's range equal to the source's key by key: the range is
 * emptied (committed), then each source key is applied on its own; keys the
 * target refuses are parked as poison rows and retried by the applier. A kill
 * in between leaves the position unchanged: the range is copied again.
 */
async function copyIsolating(link: Link, shape: TableShape, where: string): Promise<number> {
  await toolTransaction(link.to.knex, (tx) => execChecked(tx, `DELETE FROM ${qq(link.to.db, shape.name)} WHERE ${where}`));
  const [rows] = await link.from.knex.raw(`SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(link.from.db, shape.name)} WHERE ${where} ORDER BY ${orderBy(shape.key)}`);
  const failed: Array<{ table: string; key: string; error: string }> = [];
  let copied = 0;
  for (const { k } of rows as Array<{ k: string }>) {
    try {
      await applyKeys(link, shape, [String(k)]);
      copied++;
    } catch (err) {
      if (!isRowError(err)) throw err;
      failed.push({ table: shape.name, key: String(k), error: errorText(err) });
    }
  }
  await parkKeys(link, failed);
  return copied;
}

function advance(p: TableProgress, seg: Segment, hi: string, last: boolean, copied: number): void {
  seg.lastPk = hi;
  if (last) seg.done = true;
  p.rows += copied;
  p.chunks += 1;
  p.done = (p.segments ?? []).every((x) => x.done);
}

/** Key ranges (lo, hi] of a table the copier has still to read. Pure. */
export function pendingRanges(p: TableProgress | undefined): Array<{ lo: string | null; hi: string }> {
  if (!p || p.done || p.maxPk === null) return [];
  if (!p.segments) return [{ lo: p.lastPk, hi: p.maxPk }];
  return p.segments.filter((sg) => !sg.done).map((sg) => ({ lo: sg.lastPk ?? sg.lo, hi: sg.hi }));
}

const SKIP_TEST_KEYS = 200;

/**
 * Of `keys` (key texts), those inside the snapshot range and above what was
 * copied: the copier will read them later. Asked of the server (the keys'
 * collations decide), never compared in JS.
 */
export async function notYetCopied(link: Link, p: TableProgress | undefined, table: string, keys: string[]): Promise<Set<string>> {
  const ranges = pendingRanges(p);
  const out = new Set<string>();
  const shape = link.shapes.get(table);
  if (!ranges.length || !shape || !keys.length) return out;
  for (let i = 0; i < keys.length; i += SKIP_TEST_KEYS) {
    const part = keys.slice(i, i + SKIP_TEST_KEYS);
    const [rows] = await link.from.knex.raw(inRangesSql(shape.key, part, ranges));
    const r = (rows as Array<Record<string, unknown>>)[0];
    part.forEach((k, j) => {
      if (Number(r[`s${j}`]) === 1) out.add(k);
    });
  }
  return out;
}

export function copyDone(state: SplitState): boolean {
  return Object.values(state.tables).every((t) => t.done);
}

/** A promise-chain mutex. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    return prev.then(() => release);
  }
}

export { note };
