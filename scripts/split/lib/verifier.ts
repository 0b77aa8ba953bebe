import { drain } from './applier.ts';
import type { SplitContext } from './context.ts';
import type { Link } from './link.ts';
import { diffRows, type RowDiff } from './rowdiff.ts';
import { describeKey, inRangesSql, intOf, isIntKey, keyTextExpr, orderBy, rangeWhere } from './keys.ts';
import { compareChunkHashes, sameChunkHash, type ChunkHash, type ChunkHashKind } from './rowhash.ts';
import { checksumSql, qq, type TableShape } from './sql.ts';
import { checksumTableGuard, type ChecksumTableResult } from './table-checksum.ts';
import { openSnapshot, type Snapshot } from './snapshot.ts';
import { CatchUpHub, type Captured } from './verify-catchup.ts';
import { recheckKeys } from './verify-recheck.ts';
import { countApplied, note, type Difference, type SplitState, type VerifyState } from './state.ts';

/**
 * Verify while the application keeps writing (pt-table-checksum / VDiff
 * shape). Per primary-key chunk, up to `verifyWorkers` chunks at once:
 *   1. start watching applied keys, open a consistent snapshot S on the live
 *      side, catch up (verify-catchup.ts: one drain at a time, shared by the
 *      chunks that ask before it starts), and right after that drain open a
 *      snapshot T on the copy; P = the keys applied since watching began;
 *   2. each server hashes every row of the chunk over its exact bytes
 *      (rowhash.ts: SHA1 per row; COUNT + SHA1 of the row hashes in the
 *      order the server reads them, and only when those do not decide the
 *      order-independent sums of their 64-bit halves) inside S and T, in
 *      parallel; rows changed after S are all in P, so the comparison
 *      excludes P;
 *   3. a differing range is split into key sub-ranges inside the same
 *      snapshots until leaves are small, whose rows are compared one by one
 *      as exact bytes (rowdiff.ts); a differing range whose rows all compare
 *      equal is itself reported (never silently clean);
 *   4. keys in P and leaf differences are re-checked on current rows after
 *      further catch-up, in its quiet window (verify-recheck.ts); those still
 *      pending in the changelog are in flight, the rest are reported as
 *      differences by primary key.
 * When a table's last chunk is handed out, CHECKSUM TABLE starts on both
 * servers (when the two are comparable, table-checksum.ts), beside the last
 * chunks; a table whose CHECKSUM TABLE differs is reported as a difference
 * even when every chunk matched.
 * At most MAX_REPORTED_DIFFERENCES are kept; `differencesFound` counts all
 * and `truncated` says the list is cut ("≥ 1,000 differences").
 * Progress is saved after every chunk, in key order; a killed verify resumes.
 */
export const MAX_REPORTED_DIFFERENCES = 1000;

export async function verify(ctx: SplitContext, state: SplitState, link: Link, opts: { restart?: boolean; captured?: Captured } = {}): Promise<VerifyState> {
  if (!state.verify || opts.restart || state.verify.finishedAt || state.verify.direction !== link.direction) {
    state.verify = {
      direction: link.direction, startedAt: new Date().toISOString(), differences: [], differencesFound: 0, truncated: false, inFlight: 0,
      tables: Object.fromEntries([...link.shapes.keys()].map((t) => [t, { lastPk: null, chunks: 0, rows: 0, mismatchedChunks: 0, done: false }])),
    };
    await ctx.store.save(state);
  }
  const v = state.verify;
  const started = Date.now();
  let rowsThisRun = 0;
  const hub = new CatchUpHub((report) => drain(link, ctx.opts.applyBatch, ctx.faults, {
    onBatch: (r) => {
      countApplied(state, link.direction, r.changes);
      report(r.keys);
    },
  }), opts.captured);
  const workers = await verifyWorkers(ctx, link);
  ctx.progress.begin(`verify ${ctx.service.name}`, Object.keys(v.tables).length * 10000);
  try {
    let tIndex = 0;
    for (const [t, shape] of link.shapes) {
      const vt = v.tables[t];
      const bounds = await rangeOf(link, shape);
      // upper bound from the source's key order; the last chunk is open-ended so target extras are seen
      const upperBound = async (lo: string | null): Promise<string | null> => {
        const [hiRows] = await link.from.knex.raw(
          `SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(link.from.db, t)} WHERE ${rangeWhere(shape.key, lo, null)} ORDER BY ${orderBy(shape.key)} LIMIT 1 OFFSET ${ctx.opts.verifyChunk - 1}`);
        const hiFound = (hiRows as Array<{ k: string }>)[0];
        return hiFound ? String(hiFound.k) : null;
      };
      // up to `workers` chunks in flight (each with its own snapshots); results are taken in key order, so
      // lastPk (the resume point) only moves past chunks that are all done
      const inFlight: Array<{ hi: string | null; result: Promise<ChunkResult> }> = [];
      let guard: Promise<ChecksumTableResult> | null = null;
      let tableDiffs = 0;
      const settle = async (): Promise<void> => {
        const { hi, result } = inFlight.shift()!;
        const r = await result;
        if (r.mismatched) vt.mismatchedChunks += 1;
        v.inFlight += r.inFlight;
        tableDiffs += r.diffs.length;
        for (const d of r.diffs) record(v, { table: t, pk: d.pk, key: describeKey(shape.key, d.pk), kind: d.kind, ...(d.columns ? { columns: d.columns } : {}) });
        vt.rows += r.n;
        rowsThisRun += r.n;
        vt.chunks += 1;
        vt.lastPk = hi;
        if (hi === null) {
          // every chunk compared: the whole-table guard (started with the last chunk, below) decides unless rows
          // differ already; a table whose CHECKSUM TABLE differs is never reported clean
          const g = await guard!;
          if (!tableDiffs && !v.differences.some((d) => d.table === t)) {
            vt.checksumTable = g;
            if (g === 'different') record(v, { table: t, pk: '*', kind: 'table-checksum-differs' });
          }
          vt.done = true;
        }
        await ctx.store.save(state);
        ctx.faults.hit('during-verify');
        const frac = hi === null || bounds.max === null ? 1 : progressOf(bounds.min, bounds.max, intOf(shape.key, hi).toString());
        ctx.progress.update(tIndex * 10000 + Math.round(frac * 10000), { rows: rowsThisRun });
      };
      try {
        let lo = vt.lastPk;
        let dispatchedLast = vt.done;
        // the next chunk's bound (only a key; each chunk takes its own snapshot) is looked up while chunks are compared
        let nextHi: Promise<string | null> | null = null;
        while (!dispatchedLast && !ctx.signal.aborted) {
          const hi: string | null = await (nextHi ?? upperBound(lo));
          nextHi = hi === null ? null : upperBound(hi);
          nextHi?.catch(() => undefined); // awaited by the next round; a failure then is that round's
          const result = verifyChunk(link, shape, lo, hi, ctx.opts, hub);
          result.catch(() => undefined); // awaited in order by settle()
          inFlight.push({ hi, result });
          if (hi === null) {
            dispatchedLast = true;
            // CHECKSUM TABLE on both sides at once, concurrently with the last chunk(s) instead of after them; it
            // waits for its own catch-up (shared with the chunks'), compares in that catch-up's quiet window and retries
            // while the table changes
            guard = checksumTableGuard(link, t, (then) => hub.catchUp(then));
            guard.catch(() => undefined);
          }
          lo = hi;
          if (inFlight.length >= workers) await settle();
        }
        await nextHi?.catch(() => undefined);
        while (inFlight.length) await settle();
      } finally {
        // on an error or abort: let what is running finish before the connections go away (results are dropped,
        // lastPk stays at the last chunk taken in order, so a resume redoes the rest)
        await Promise.allSettled([...inFlight.map((c) => c.result), guard]);
      }
      if (ctx.signal.aborted && !vt.done) return v;
      tIndex++;
    }
  } finally {
    ctx.progress.end();
  }
  v.finishedAt = new Date().toISOString();
  v.differencesFound ??= v.differences.length;
  v.truncated = v.differencesFound > v.differences.length;
  v.ok = v.differencesFound === 0 && v.differences.length === 0;
  v.rowsPerSecond = Math.round(rowsThisRun / Math.max(0.001, (Date.now() - started) / 1000));
  note(state, 'verified', `${v.truncated ? '≥ ' : ''}${v.differencesFound} difference(s), ${v.inFlight} in flight`);
  await ctx.store.save(state);
  return v;
}

/** Server cores as the server reports them (MariaDB: @@thread_pool_size defaults to the CPU count); null when unknown. */
async function serverCores(side: Link['from']): Promise<number | null> {
  try {
    const [[r]] = await side.knex.raw('SELECT @@thread_pool_size AS n');
    const n = Number(r?.n);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null; // MySQL has no such variable
  }
}

/**
 * Chunks in flight per side: --verify-workers, else one per core of the busier
 * server (half of them when both sides share a server: each chunk keeps one
 * thread busy on each side), at least 2, at most 8; 2 when the cores are
 * unknown. At least 2 even on a 2-core server: one chunk at a time leaves a
 * core idle in its serial steps (catch-up, snapshots, one side waiting for the
 * other, the guard's wait) — measured on the bench's tables at load 5-9: 1, 2
 * and 3 workers 0.26-0.31x, 0.35-0.40x and 0.39x CHECKSUM TABLE, with the same
 * server CPU.
 */
export async function verifyWorkers(ctx: SplitContext, link: Link): Promise<number> {
  if (ctx.opts.verifyWorkers > 0) return ctx.opts.verifyWorkers;
  const cores = (await Promise.all([serverCores(link.from), serverCores(link.to)])).filter((n): n is number => n !== null);
  if (!cores.length) return 2;
  const c = Math.min(...cores);
  return Math.max(2, Math.min(8, ctx.sameServer ? Math.floor(c / 2) : c));
}

function progressOf(min: string | null, max: string, at: string): number {
  if (min === null) return 1;
  const lo = BigInt(min);
  const hi = BigInt(max);
  if (hi <= lo) return 1;
  return Math.min(1, Math.max(0, Number(((BigInt(at) - lo) * 1000n) / (hi - lo)) / 1000));
}

/** Integer key range over both sides, for progress only (target extras above the source's max are inside it); nulls for other keys. */
async function rangeOf(link: Link, shape: TableShape): Promise<{ min: string | null; max: string | null }> {
  if (!isIntKey(shape.key)) return { min: null, max: null };
  const c = shape.key.columns[0].name;
  const one = async (side: Link['from']) => {
    const [[r]] = await side.knex.raw(`SELECT CAST(MIN(\`${c.replace(/`/g, '``')}\`) AS CHAR) AS mn, CAST(MAX(\`${c.replace(/`/g, '``')}\`) AS CHAR) AS mx FROM ${qq(side.db, shape.name)}`);
    return { min: r.mn === null ? null : BigInt(r.mn), max: r.mx === null ? null : BigInt(r.mx) };
  };
  const [a, b] = await Promise.all([one(link.from), one(link.to)]);
  const pick = (x: bigint | null, y: bigint | null, f: (p: bigint, q: bigint) => bigint) => (x === null ? y : y === null ? x : f(x, y));
  const min = pick(a.min, b.min, (p, q2) => (p < q2 ? p : q2));
  const max = pick(a.max, b.max, (p, q2) => (p > q2 ? p : q2));
  return { min: min === null ? null : min.toString(), max: max === null ? null : max.toString() };
}

/** Keeps the first MAX_REPORTED_DIFFERENCES differences and counts every one. */
export function record(v: VerifyState, d: Difference): void {
  v.differencesFound = (v.differencesFound ?? v.differences.length) + 1;
  if (v.differences.length < MAX_REPORTED_DIFFERENCES) v.differences.push(d);
  else v.truncated = true;
}

const FANOUT = 8;

/** Of `keys`, those in (lo, hi] — asked of the server, in the key's collations. */
async function keysInRange(link: Link, shape: TableShape, keys: string[], lo: string | null, hi: string | null): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < keys.length; i += 200) {
    const part = keys.slice(i, i + 200);
    const [rows] = await link.from.knex.raw(inRangesSql(shape.key, part, [{ lo, hi }]));
    const r = (rows as Array<Record<string, unknown>>)[0];
    part.forEach((k, j) => {
      if (Number(r[`s${j}`]) === 1) out.add(k);
    });
  }
  return out;
}

type ChunkResult = { n: number; mismatched: boolean; diffs: RowDiff[]; inFlight: number };

/**
 * One chunk, comparable while other chunks and the guard catch up: the source
 * is read in a snapshot S opened after `watch()`, the target in a snapshot
 * opened right after a catch-up that started after S (no drain in between),
 * and P = the keys applied from `watch()` until that target snapshot.
 */
async function verifyChunk(link: Link, shape: TableShape, lo: string | null, hi: string | null,
  opts: SplitContext['opts'], hub: CatchUpHub): Promise<ChunkResult> {
  const watch = hub.watch();
  let snap: Snapshot | null = null;
  let tsnap: Snapshot | null = null;
  try {
    snap = await openSnapshot(link.from);
    let applied: string[] = [];
    tsnap = await hub.catchUp(async () => {
      const s = await openSnapshot(link.to);
      applied = [...(watch.keys.get(shape.name) ?? [])];
      return s;
    });
    watch.stop();
    const src = snap;
    const dst = tsnap;
    const p = await keysInRange(link, shape, applied, lo, hi);
    const cmp = (a: string | null, b: string | null) => compareRange((kind) => Promise.all([
      src.checksum(shape, a, b, p, kind),
      dst.checksum(shape, a, b, p, kind),
    ]));
    const first = await cmp(lo, hi);
    const suspects = new Set<string>(p);
    let leafDiffs = 0;
    if (!first.equal) await descend(lo, hi, first.n, 0);
    const { diffs, inFlight } = suspects.size ? await recheckKeys(link, shape, [...suspects], opts.verifyRechecks, (then) => hub.catchUp(then)) : { diffs: [], inFlight: 0 };
    // the hashes differ but no row does: never reported clean
    if (!first.equal && leafDiffs === 0) diffs.push({ pk: `(${lo ?? ''}..${hi ?? ''}]`, kind: 'chunk-hash-differs' });
    return { n: first.n + p.size, mismatched: !first.equal, diffs, inFlight };

    async function descend(a: string | null, b: string | null, n: number, depth: number): Promise<void> {
      // sub-range boundaries are keys taken from the source in the server's key order (no key arithmetic)
      const cuts: string[] = [];
      if (n > opts.verifyLeafRows && depth < 12) {
        for (let i = 1; i < FANOUT; i++) {
          const [rows] = await link.from.knex.raw(
            `SELECT ${keyTextExpr(shape.key)} AS k FROM ${qq(link.from.db, shape.name)} WHERE ${rangeWhere(shape.key, a, b)} ORDER BY ${orderBy(shape.key)} LIMIT 1 OFFSET ${Math.max(0, Math.floor((n * i) / FANOUT) - 1)}`);
          const k = (rows as Array<{ k: string }>)[0]?.k;
          if (k !== undefined && k !== cuts.at(-1) && k !== b) cuts.push(String(k));
        }
      }
      if (!cuts.length) {
        const [s, t] = await Promise.all([src.rows(shape, a, b, p), dst.rows(shape, a, b, p)]);
        for (const d of diffRows(shape, s, t)) {
          suspects.add(d.pk);
          leafDiffs++;
        }
        return;
      }
      const edges = [a, ...cuts, b];
      for (let i = 0; i + 1 < edges.length; i++) {
        const c = await cmp(edges[i], edges[i + 1]);
        if (!c.equal) await descend(edges[i], edges[i + 1], c.n, depth + 1);
      }
    }
  } finally {
    watch.stop();
    await Promise.allSettled([snap?.close(), tsnap?.close()]);
  }
}

/**
 * Compares one key range (rowhash.ts): both sides' `sequence` hashes at once;
 * when they do not decide (another row order, a cut concatenation, or a real
 * difference), both sides' order-independent `sums`. n is the source's row count.
 */
export async function compareRange(hash: (kind: ChunkHashKind) => Promise<ChunkHash[]>): Promise<{ equal: boolean; n: number }> {
  const [a, b] = await hash('sequence');
  const verdict = compareChunkHashes(a, b);
  if (verdict !== 'undecided') return { equal: verdict === 'equal', n: Number(a.n) };
  const [x, y] = await hash('sums');
  return { equal: sameChunkHash(x, y), n: Number(x.n) };
}

/** One checksum comparison of a key range, both servers in parallel (used by the cutover's newest-rows check). */
export function compareChunk(link: Link, shape: TableShape, lo: string | null, hi: string | null): Promise<{ equal: boolean; n: number }> {
  return compareRange((kind) => Promise.all([link.from, link.to].map((side) =>
    side.knex.raw(checksumSql(side.db, shape, lo, hi, [], kind)).then((r) => (r[0] as ChunkHash[])[0]))));
}
