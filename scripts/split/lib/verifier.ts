import { drain } from './applier.ts';
import { sleep, type SplitContext } from './context.ts';
import type { Link } from './link.ts';
import { diffRows, type RowDiff } from './rowdiff.ts';
import { sameChunkHash } from './rowhash.ts';
import { changelogTable, checksumSql, compareList, notIn, pkList, q, qq, rangeWhere, type TableShape } from './sql.ts';
import { checksumTableGuard } from './table-checksum.ts';
import { openSnapshot } from './snapshot.ts';
import { note, type Difference, type SplitState, type VerifyState } from './state.ts';

/**
 * Verify while the application keeps writing (pt-table-checksum / VDiff
 * shape). Per primary-key chunk:
 *   1. open a consistent snapshot S on the live side, then apply the captured
 *      backlog (the applier runs in this process, so the copy stays frozen
 *      until the next chunk) and remember the keys it applied (P);
 *   2. each server computes COUNT + the sums of the two 64-bit halves of
 *      every row's MD5 over its exact bytes (rowhash.ts) of the chunk — the
 *      live side inside S — in parallel; rows changed after S are all in P,
 *      so the comparison excludes P;
 *   3. a differing range is split into key sub-ranges inside the same
 *      snapshot until leaves are small, whose rows are compared one by one
 *      as exact bytes (rowdiff.ts); a differing range whose rows all compare
 *      equal is itself reported (never silently clean);
 *   4. keys in P and leaf differences are re-checked on current rows after
 *      further catch-up; those still pending in the changelog are in flight,
 *      the rest are reported as differences by primary key.
 * After a table's chunks, CHECKSUM TABLE runs on both servers when the two
 * are comparable (table-checksum.ts); a table whose CHECKSUM TABLE differs is
 * reported as a difference even when every chunk matched.
 * At most MAX_REPORTED_DIFFERENCES are kept; `differencesFound` counts all
 * and `truncated` says the list is cut ("≥ 1,000 differences").
 * Progress is saved after every chunk; a killed verify resumes.
 */
export const MAX_REPORTED_DIFFERENCES = 1000;

export async function verify(ctx: SplitContext, state: SplitState, link: Link, opts: { restart?: boolean } = {}): Promise<VerifyState> {
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
  const catchUp = (collect?: Map<string, Set<string>>) => drain(link, ctx.opts.applyBatch, ctx.faults, {
    onBatch: (r) => {
      if (link.direction === 'forward') state.applied.forward += r.changes;
      else state.applied.reverse += r.changes;
      state.applied.batches += 1;
      if (collect) for (const [t, keys] of r.keys) {
        let set = collect.get(t);
        if (!set) collect.set(t, (set = new Set()));
        for (const k of keys) set.add(k);
      }
    },
  });
  ctx.progress.begin(`verify ${ctx.service.name}`, Object.keys(v.tables).length * 10000);
  try {
    let tIndex = 0;
    for (const [t, shape] of link.shapes) {
      const vt = v.tables[t];
      const bounds = await rangeOf(link, shape);
      while (!vt.done) {
        if (ctx.signal.aborted) return v;
        const lo = vt.lastPk;
        // upper bound from the source's key order; the last chunk is open-ended so target extras are seen
        const [hiRows] = await link.from.knex.raw(
          `SELECT ${q(shape.pk)} AS k FROM ${qq(link.from.db, t)} WHERE ${rangeWhere(shape.pk, lo, null)} ORDER BY ${q(shape.pk)} LIMIT 1 OFFSET ${ctx.opts.verifyChunk - 1}`);
        const hiFound = (hiRows as Array<{ k: string }>)[0];
        const hi = hiFound ? String(hiFound.k) : null;
        const result = await verifyChunk(link, shape, lo, hi, bounds, ctx.opts, catchUp);
        if (result.mismatched) vt.mismatchedChunks += 1;
        v.inFlight += result.inFlight;
        for (const d of result.diffs) record(v, { table: t, ...d });
        vt.rows += result.n;
        rowsThisRun += result.n;
        vt.chunks += 1;
        vt.lastPk = hi;
        if (hi === null) {
          // every chunk matched: the whole-table guard, after catch-up, while nothing changes; a table
          // whose CHECKSUM TABLE differs is never reported clean (one with row differences is not anyway)
          if (!v.differences.some((d) => d.table === t)) {
            const guard = await checksumTableGuard(link, t, () => catchUp());
            vt.checksumTable = guard;
            if (guard === 'different') record(v, { table: t, pk: '*', kind: 'table-checksum-differs' });
          }
          vt.done = true;
        }
        await ctx.store.save(state);
        ctx.faults.hit('during-verify');
        const frac = hi === null || bounds.max === null ? 1 : progressOf(bounds.min, bounds.max, hi);
        ctx.progress.update(tIndex * 10000 + Math.round(frac * 10000), { rows: rowsThisRun });
      }
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

function progressOf(min: string | null, max: string, at: string): number {
  if (min === null) return 1;
  const lo = BigInt(min);
  const hi = BigInt(max);
  if (hi <= lo) return 1;
  return Math.min(1, Math.max(0, Number(((BigInt(at) - lo) * 1000n) / (hi - lo)) / 1000));
}

/** Key range over both sides (target extras above the source's max are inside it). */
async function rangeOf(link: Link, shape: TableShape): Promise<{ min: string | null; max: string | null }> {
  const one = async (side: Link['from']) => {
    const [[r]] = await side.knex.raw(`SELECT MIN(${q(shape.pk)}) AS mn, MAX(${q(shape.pk)}) AS mx FROM ${qq(side.db, shape.name)}`);
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

type CatchUp = (collect?: Map<string, Set<string>>) => Promise<number>;

function inRange(k: string, lo: string | null, hi: string | null): boolean {
  const v = BigInt(k);
  return (lo === null || v > BigInt(lo)) && (hi === null || v <= BigInt(hi));
}

async function verifyChunk(link: Link, shape: TableShape, lo: string | null, hi: string | null, bounds: { min: string | null; max: string | null },
  opts: SplitContext['opts'], catchUp: CatchUp): Promise<{ n: number; mismatched: boolean; diffs: RowDiff[]; inFlight: number }> {
  const snap = await openSnapshot(link.from);
  try {
    const applied = new Map<string, Set<string>>();
    await catchUp(applied);
    const p = new Set([...(applied.get(shape.name) ?? [])].filter((k) => inRange(k, lo, hi)));
    const cmp = async (a: string | null, b: string | null) => {
      const [x, y] = await Promise.all([
        snap.checksum(shape, a, b, p),
        link.to.knex.raw(checksumSql(link.to.db, shape, a, b, p)).then((r) => (r[0] as Array<{ n: string; x: string }>)[0]),
      ]);
      return { equal: sameChunkHash(x, y), n: Number(x.n) };
    };
    const first = await cmp(lo, hi);
    const suspects = new Set<string>(p);
    let leafDiffs = 0;
    if (!first.equal) await descend(lo, hi, first.n, 0);
    const { diffs, inFlight } = suspects.size ? await recheckKeys(link, shape, [...suspects], opts.verifyRechecks, catchUp) : { diffs: [], inFlight: 0 };
    // the hashes differ but no row does: never reported clean
    if (!first.equal && leafDiffs === 0) diffs.push({ pk: `(${lo ?? ''}..${hi ?? ''}]`, kind: 'chunk-hash-differs' });
    return { n: first.n + p.size, mismatched: !first.equal, diffs, inFlight };

    async function descend(a: string | null, b: string | null, n: number, depth: number): Promise<void> {
      const loV = a === null ? (bounds.min === null ? null : BigInt(bounds.min) - 1n) : BigInt(a);
      const hiV = b === null ? (bounds.max === null ? null : BigInt(bounds.max)) : BigInt(b);
      if (n <= opts.verifyLeafRows || depth >= 12 || loV === null || hiV === null || hiV - loV <= BigInt(FANOUT)) {
        const [s, t] = await Promise.all([
          snap.rows(shape, a, b, p),
          link.to.knex.raw(`SELECT ${compareList(shape)} FROM ${qq(link.to.db, shape.name)} WHERE ${rangeWhere(shape.pk, a, b)}${notIn(shape.pk, p)} ORDER BY ${q(shape.pk)}`)
            .then((r) => r[0] as Array<Record<string, unknown>>),
        ]);
        for (const d of diffRows(shape, s, t)) {
          suspects.add(d.pk);
          leafDiffs++;
        }
        return;
      }
      const step = (hiV - loV) / BigInt(FANOUT);
      for (let i = 0; i < FANOUT; i++) {
        const x = i === 0 ? a : (loV + step * BigInt(i)).toString();
        const y = i === FANOUT - 1 ? b : (loV + step * BigInt(i + 1)).toString();
        const c = await cmp(x, y);
        if (!c.equal) await descend(x, y, c.n, depth + 1);
      }
    }
  } finally {
    await snap.close();
  }
}

/** Compares current rows of the given keys after catching up, a few times; keys still pending in the changelog are in flight. */
async function recheckKeys(link: Link, shape: TableShape, keys: string[], rechecks: number, catchUp: CatchUp): Promise<{ diffs: RowDiff[]; inFlight: number }> {
  const read = async (side: Link['from'], ks: string[]) => {
    const [rows] = await side.knex.raw(`SELECT ${compareList(shape)} FROM ${qq(side.db, shape.name)} WHERE ${q(shape.pk)} IN (${pkList(ks)})`);
    return rows as Array<Record<string, unknown>>;
  };
  let diffs: RowDiff[] = [];
  let pending = keys;
  for (let i = 0; i <= rechecks && pending.length; i++) {
    if (i > 0) await sleep(10 * i);
    await catchUp();
    const [s, t] = await Promise.all([read(link.from, pending), read(link.to, pending)]);
    diffs = diffRows(shape, s, t);
    pending = diffs.map((d) => d.pk);
  }
  if (!diffs.length) return { diffs, inFlight: 0 };
  const [busyRows] = await link.from.knex.raw(
    `SELECT DISTINCT pk FROM ${qq(link.from.db, changelogTable(link.service))} WHERE tbl = ? AND pk IN (${pkList(diffs.map((d) => d.pk))})`, [shape.name]);
  const busy = new Set((busyRows as Array<{ pk: string }>).map((r) => String(r.pk)));
  return { diffs: diffs.filter((d) => !busy.has(d.pk)), inFlight: busy.size };
}

/** One checksum comparison of a key range, both servers in parallel (used by the cutover's newest-rows check). */
export async function compareChunk(link: Link, shape: TableShape, lo: string | null, hi: string | null): Promise<{ equal: boolean; n: number }> {
  const [[a], [b]] = await Promise.all([
    link.from.knex.raw(checksumSql(link.from.db, shape, lo, hi)).then((r) => r[0] as Array<{ n: string; x: string }>),
    link.to.knex.raw(checksumSql(link.to.db, shape, lo, hi)).then((r) => r[0] as Array<{ n: string; x: string }>),
  ]);
  return { equal: sameChunkHash(a, b), n: Number(a.n) };
}
