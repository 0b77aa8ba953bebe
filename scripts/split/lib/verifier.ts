import { drain } from './applier.ts';
import { sleep, type SplitContext } from './context.ts';
import type { Link } from './link.ts';
import { diffRows, type RowDiff } from './rowdiff.ts';
import { changelogTable, checksumSql, pkList, q, qq, rangeWhere, selectList, type TableShape } from './sql.ts';
import { note, type SplitState, type VerifyState } from './state.ts';

/**
 * Verify while the application keeps writing (pt-table-checksum / VDiff
 * shape): for each primary-key chunk, first apply the captured backlog, then
 * each server computes COUNT + BIT_XOR(CRC32(row)) for the chunk on its own
 * side, in parallel. A mismatching chunk is re-checked after further
 * catch-up (rows changed while verifying); if it still differs, the rows of
 * the chunk are compared one by one with JSON compared by meaning. Rows whose
 * change is still waiting in the changelog are counted as in flight and
 * re-checked rather than reported. Progress is saved after every chunk.
 */
export const MAX_REPORTED_DIFFERENCES = 1000;

export async function verify(ctx: SplitContext, state: SplitState, link: Link, opts: { restart?: boolean } = {}): Promise<VerifyState> {
  if (!state.verify || opts.restart || state.verify.finishedAt || state.verify.direction !== link.direction) {
    state.verify = {
      direction: link.direction, startedAt: new Date().toISOString(), differences: [], inFlight: 0,
      tables: Object.fromEntries([...link.shapes.keys()].map((t) => [t, { lastPk: null, chunks: 0, rows: 0, mismatchedChunks: 0, done: false }])),
    };
    await ctx.store.save(state);
  }
  const v = state.verify;
  const started = Date.now();
  let rowsThisRun = 0;
  const catchUp = () => drain(link, ctx.opts.applyBatch, ctx.faults, {
    onBatch: (r) => {
      if (link.direction === 'forward') state.applied.forward += r.changes;
      else state.applied.reverse += r.changes;
      state.applied.batches += 1;
    },
  });
  ctx.progress.begin(`verify ${ctx.service.name}`, Object.keys(v.tables).length * 10000);
  try {
    let tIndex = 0;
    const fast = await sameFlavour(link);
    for (const [t, shape] of link.shapes) {
      const vt = v.tables[t];
      if (!vt.done && vt.lastPk === null && fast) {
        // whole-table native checksum first when the table looks quiet (nothing to catch up):
        // it settles the table without formatting every column; under writes it would only waste a scan
        const quiet = (await catchUp()) === 0;
        const whole = quiet ? await tableChecksums(link, t) : { equal: false, rows: 0 };
        if (whole.equal) {
          vt.rows = whole.rows;
          vt.chunks = 1;
          vt.done = true;
          rowsThisRun += whole.rows;
          await ctx.store.save(state);
          ctx.faults.hit('during-verify');
          ctx.progress.update((tIndex + 1) * 10000, { rows: rowsThisRun });
          tIndex++;
          continue;
        }
      }
      const bounds = await rangeOf(link, shape);
      while (!vt.done) {
        if (ctx.signal.aborted) return v;
        const lo = vt.lastPk;
        // upper bound from the source's key order; the last chunk is open-ended so target extras are seen
        const [hiRows] = await link.from.knex.raw(
          `SELECT ${q(shape.pk)} AS k FROM ${qq(link.from.db, t)} WHERE ${rangeWhere(shape.pk, lo, null)} ORDER BY ${q(shape.pk)} LIMIT 1 OFFSET ${ctx.opts.verifyChunk - 1}`);
        const hiFound = (hiRows as Array<{ k: string }>)[0];
        const hi = hiFound ? String(hiFound.k) : null;
        await catchUp();
        const result = await compareChunk(link, shape, lo, hi);
        if (!result.equal) {
          vt.mismatchedChunks += 1;
          const { diffs, inFlight } = await narrow(link, shape, lo, hi, bounds, ctx.opts.verifyRechecks, ctx.opts.verifyLeafRows, catchUp, 0);
          v.inFlight += inFlight;
          for (const d of diffs) if (v.differences.length < MAX_REPORTED_DIFFERENCES) v.differences.push({ table: t, ...d });
        }
        vt.rows += result.n;
        rowsThisRun += result.n;
        vt.chunks += 1;
        vt.lastPk = hi;
        if (hi === null) vt.done = true;
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
  v.ok = v.differences.length === 0;
  v.rowsPerSecond = Math.round(rowsThisRun / Math.max(0.001, (Date.now() - started) / 1000));
  note(state, 'verified', `${v.differences.length} difference(s), ${v.inFlight} in flight`);
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

async function sameFlavour(link: Link): Promise<boolean> {
  const [[a], [b]] = await Promise.all([link.from.knex.raw('SELECT VERSION() AS v'), link.to.knex.raw('SELECT VERSION() AS v')]);
  return String(a[0].v) === String(b[0].v);
}

/** CHECKSUM TABLE on both servers at once (same server version ⇒ same record format ⇒ comparable). */
async function tableChecksums(link: Link, table: string): Promise<{ equal: boolean; rows: number }> {
  const sum = async (side: Link['from']) => {
    const [rows] = await side.knex.raw(`CHECKSUM TABLE ${qq(side.db, table)} EXTENDED`);
    return String((rows as Array<{ Checksum: string | null }>)[0]?.Checksum);
  };
  const [a, b] = await Promise.all([sum(link.from), sum(link.to)]);
  if (a !== b || a === 'null') return { equal: false, rows: 0 };
  const [[c]] = await link.from.knex.raw(`SELECT COUNT(*) AS n FROM ${qq(link.from.db, table)}`);
  return { equal: true, rows: Number(c.n) };
}

const FANOUT = 8;

/**
 * A chunk whose checksums differ is re-checked after catching up; if it still
 * differs it is split into key sub-ranges, and only differing sub-ranges are
 * followed down to small leaves, which get the row-by-row diff. Under a
 * steady write load this costs a few small checksums, not a full row diff.
 */
async function narrow(link: Link, shape: TableShape, lo: string | null, hi: string | null, bounds: { min: string | null; max: string | null },
  rechecks: number, leafRows: number, catchUp: () => Promise<number>, depth: number): Promise<{ diffs: RowDiff[]; inFlight: number }> {
  let r = { equal: false, n: Infinity };
  for (let i = 0; i < Math.min(2, rechecks); i++) {
    await sleep(10 * (i + 1));
    await catchUp();
    r = await compareChunk(link, shape, lo, hi);
    if (r.equal) return { diffs: [], inFlight: 0 };
  }
  const loV = lo === null ? (bounds.min === null ? null : BigInt(bounds.min) - 1n) : BigInt(lo);
  const hiV = hi === null ? (bounds.max === null ? null : BigInt(bounds.max)) : BigInt(hi);
  if (r.n <= leafRows || depth >= 8 || loV === null || hiV === null || hiV - loV <= BigInt(FANOUT)) {
    return diffChunk(link, shape, lo, hi, rechecks, catchUp);
  }
  const out = { diffs: [] as RowDiff[], inFlight: 0 };
  const step = (hiV - loV) / BigInt(FANOUT);
  for (let i = 0; i < FANOUT; i++) {
    const a = i === 0 ? lo : (loV + step * BigInt(i)).toString();
    const b = i === FANOUT - 1 ? hi : (loV + step * BigInt(i + 1)).toString();
    const c = await compareChunk(link, shape, a, b);
    if (c.equal) continue;
    const sub = await narrow(link, shape, a, b, bounds, rechecks, leafRows, catchUp, depth + 1);
    out.diffs.push(...sub.diffs);
    out.inFlight += sub.inFlight;
  }
  return out;
}

export async function compareChunk(link: Link, shape: TableShape, lo: string | null, hi: string | null): Promise<{ equal: boolean; n: number }> {
  const [[a], [b]] = await Promise.all([
    link.from.knex.raw(checksumSql(link.from.db, shape, lo, hi)).then((r) => r[0] as Array<{ n: string; x: string }>),
    link.to.knex.raw(checksumSql(link.to.db, shape, lo, hi)).then((r) => r[0] as Array<{ n: string; x: string }>),
  ]);
  return { equal: String(a.n) === String(b.n) && String(a.x) === String(b.x), n: Number(a.n) };
}

async function readChunk(side: Link['from'], shape: TableShape, lo: string | null, hi: string | null): Promise<Array<Record<string, unknown>>> {
  const [rows] = await side.knex.raw(`SELECT ${selectList(shape)} FROM ${qq(side.db, shape.name)} WHERE ${rangeWhere(shape.pk, lo, hi)} ORDER BY ${q(shape.pk)}`);
  return rows as Array<Record<string, unknown>>;
}

/** Row diff of one chunk; rows that keep changing (pending in the changelog) are in flight, not differences. */
async function diffChunk(link: Link, shape: TableShape, lo: string | null, hi: string | null, rechecks: number, catchUp: () => Promise<number>): Promise<{ diffs: RowDiff[]; inFlight: number }> {
  let diffs = diffRows(shape, await readChunk(link.from, shape, lo, hi), await readChunk(link.to, shape, lo, hi));
  for (let i = 0; diffs.length && i < rechecks; i++) {
    await catchUp();
    const keys = diffs.map((d) => d.pk);
    const where = `${q(shape.pk)} IN (${pkList(keys)})`;
    const [[s], [t]] = await Promise.all([
      link.from.knex.raw(`SELECT ${selectList(shape)} FROM ${qq(link.from.db, shape.name)} WHERE ${where}`),
      link.to.knex.raw(`SELECT ${selectList(shape)} FROM ${qq(link.to.db, shape.name)} WHERE ${where}`),
    ]);
    diffs = diffRows(shape, s as Array<Record<string, unknown>>, t as Array<Record<string, unknown>>);
  }
  if (!diffs.length) return { diffs, inFlight: 0 };
  const [pending] = await link.from.knex.raw(
    `SELECT DISTINCT pk FROM ${qq(link.from.db, changelogTable(link.service))} WHERE tbl = ? AND pk IN (${pkList(diffs.map((d) => d.pk))})`, [shape.name]);
  const busy = new Set((pending as Array<{ pk: string }>).map((r) => String(r.pk)));
  return { diffs: diffs.filter((d) => !busy.has(d.pk)), inFlight: busy.size };
}
