import type { Knex } from '../../../lib/db.ts';
import { drain } from './applier.ts';
import { execChecked, sleep, toolTransaction, type SplitContext } from './context.ts';
import type { Link } from './link.ts';
import { tableFraction } from './progress.ts';
import { replaceRows } from './applier.ts';
import { columnList, pkLit, q, qq, rangeWhere, selectList, type TableShape } from './sql.ts';
import { note, type Segment, type SplitState, type TableProgress } from './state.ts';
import { nextChunkSize, rateDelay } from './throttle.ts';

/**
 * Copies each table in primary-key chunks up to the key range snapshot taken
 * after capture began (rows above it arrive through the changelog). The copier
 * and the applier take turns in one loop — a chunk is read and written before
 * any captured change is applied — so a stale chunk can never overwrite a
 * newer applied change. A chunk's position is saved after it commits (in the
 * same transaction when both databases share a server).
 */
export async function snapshotRanges(ctx: SplitContext, state: SplitState, shapes: Map<string, TableShape>): Promise<void> {
  for (const [t, shape] of shapes) {
    const p = state.tables[t];
    if (p.maxPk !== null || p.done) continue;
    const [[r]] = await ctx.source.knex.raw(`SELECT MIN(${q(shape.pk)}) AS mn, MAX(${q(shape.pk)}) AS mx FROM ${qq(ctx.source.db, t)}`);
    if (r.mx === null) {
      p.done = true;
      continue;
    }
    p.minPk = String(r.mn);
    p.maxPk = String(r.mx);
    p.segments = splitRange(p.minPk, p.maxPk, ctx.opts.copyWorkers, ctx.opts.minChunk);
  }
  await ctx.store.save(state);
}

/** (min-1, max] cut into up to `n` equal key slices, none narrower than `minWidth`. Pure. */
export function splitRange(min: string, max: string, n: number, minWidth: number): Segment[] {
  const lo = BigInt(min) - 1n;
  const hi = BigInt(max);
  const parts = Math.max(1, Math.min(n, Number((hi - lo) / BigInt(Math.max(1, minWidth))) || 1));
  const step = (hi - lo) / BigInt(parts);
  const out: Segment[] = [];
  for (let i = 0; i < parts; i++) {
    const a = lo + step * BigInt(i);
    const b = i === parts - 1 ? hi : lo + step * BigInt(i + 1);
    out.push({ lo: a.toString(), hi: b.toString(), lastPk: null, done: false });
  }
  return out;
}

async function threadsRunning(knex: Knex): Promise<number> {
  const [rows] = await knex.raw("SHOW GLOBAL STATUS LIKE 'Threads_running'");
  return Number((rows as Array<{ Value: string }>)[0]?.Value ?? 0);
}

export async function copyAll(ctx: SplitContext, state: SplitState, link: Link): Promise<void> {
  const started = Date.now();
  let rowsThisRun = 0;
  const totalFraction = () => {
    const ts = Object.values(state.tables);
    return ts.reduce((a, p) => a + tableFraction(p), 0) / Math.max(1, ts.length);
  };
  ctx.progress.begin(`copy ${ctx.service.name}`, 10000);
  try {
    for (const [t, shape] of link.shapes) {
      const p = state.tables[t];
      if (!p.done && !p.segments) p.segments = [{ lo: String(BigInt(p.minPk!) - 1n), hi: p.maxPk!, lastPk: p.lastPk, done: false }];
      while (!p.done) {
        if (ctx.signal.aborted) return;
        // one round: every unfinished segment copies one chunk, concurrently; then the applier runs
        const t0 = Date.now();
        const active = p.segments!.filter((sg) => !sg.done);
        const counts = await Promise.all(active.map((sg) => copyChunk(ctx, state, link, shape, p, sg)));
        for (const n of counts) rowsThisRun += n;
        p.done = p.segments!.every((sg) => sg.done);
        if (p.done) await ctx.store.save(state);
        state.chunkSize = nextChunkSize(state.chunkSize, Date.now() - t0, ctx.opts.targetChunkMs, ctx.opts.minChunk, ctx.opts.maxChunk);
        ctx.progress.update(Math.round(totalFraction() * 10000), { rows: Object.values(state.tables).reduce((a, x) => a + x.rows, 0) });
        // apply what was captured meanwhile, bounded so the copy keeps moving
        await drain(link, ctx.opts.applyBatch, ctx.faults, {
          maxMs: ctx.opts.targetChunkMs, signal: ctx.signal, skip: (tbl, pk) => notYetCopied(state.tables[tbl], pk),
          onBatch: async (r) => {
            state.applied.forward += r.changes;
            state.applied.batches += 1;
            await ctx.store.save(state);
          },
        });
        await throttle(ctx, rowsThisRun, Date.now() - started);
      }
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

/**
 * Copies the next chunk of one segment; returns the rows copied. Same server:
 * the chunk and the state document (with this chunk's advance, not yet applied
 * in memory) commit in one transaction; the advance is applied in memory after
 * the commit, so a concurrent worker never persists an uncommitted advance.
 */
export async function copyChunk(ctx: SplitContext, state: SplitState, link: Link, shape: TableShape, p: TableProgress, seg: Segment): Promise<number> {
  const src = link.from;
  const lo = seg.lastPk ?? seg.lo;
  const size = Math.max(1, state.chunkSize);
  // upper bound of this chunk: the size-th key after lo, capped at the segment's end
  const [hiRows] = await src.knex.raw(
    `SELECT ${q(shape.pk)} AS k FROM ${qq(src.db, shape.name)} WHERE ${rangeWhere(shape.pk, lo, seg.hi)} ORDER BY ${q(shape.pk)} LIMIT 1 OFFSET ${size - 1}`);
  const hiFound = (hiRows as Array<{ k: string }>)[0];
  const hi = hiFound ? String(hiFound.k) : seg.hi;
  const where = rangeWhere(shape.pk, lo, hi);
  let copied = 0;
  if (link.sql) {
    await toolTransaction(src.knex, async (tx) => {
      const r = await execChecked(tx, `REPLACE INTO ${qq(link.to.db, shape.name)} (${columnList(shape)}) SELECT ${columnList(shape)} FROM ${qq(src.db, shape.name)} WHERE ${where}`);
      copied = r.affectedRows;
      ctx.faults.hit('mid-chunk');
      const doc = structuredClone(state);
      advance(doc.tables[shape.name], doc.tables[shape.name].segments!.find((x) => x.lo === seg.lo)!, hi, copied);
      await ctx.store.save(doc, tx);
    });
    advance(p, seg, hi, copied);
  } else {
    const [rows] = await src.knex.raw(`SELECT ${selectList(shape)} FROM ${qq(src.db, shape.name)} WHERE ${where} ORDER BY ${q(shape.pk)}`);
    const list = rows as Array<Record<string, unknown>>;
    await toolTransaction(link.to.knex, async (tx) => {
      if (list.length) await replaceRows(tx, link.to.db, shape, list);
      ctx.faults.hit('mid-chunk');
    });
    copied = list.length;
    advance(p, seg, hi, copied);
    await ctx.store.save(state);
  }
  ctx.faults.hit('after-chunk');
  return copied;
}

function advance(p: TableProgress, seg: Segment, hi: string, copied: number): void {
  seg.lastPk = pkLit(hi);
  if (BigInt(hi) >= BigInt(seg.hi)) seg.done = true;
  p.rows += copied;
  p.chunks += 1;
  p.done = (p.segments ?? []).every((x) => x.done);
}

/** Inside the snapshot range and above what was copied: the copier will read this key later. */
export function notYetCopied(p: TableProgress | undefined, pk: string): boolean {
  if (!p || p.done || p.maxPk === null) return false;
  const k = BigInt(pk);
  if (!p.segments) return k <= BigInt(p.maxPk) && (p.lastPk === null || k > BigInt(p.lastPk));
  return p.segments.some((sg) => !sg.done && k <= BigInt(sg.hi) && k > BigInt(sg.lastPk ?? sg.lo));
}

export function copyDone(state: SplitState): boolean {
  return Object.values(state.tables).every((t) => t.done);
}

export { note };
