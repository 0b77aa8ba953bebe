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
        await catchUp();
        let result = await compareChunk(link, shape, lo, hi);
        for (let i = 0; !result.equal && i < ctx.opts.verifyRechecks; i++) {
          await sleep(20 * (i + 1));
          await catchUp();
          result = await compareChunk(link, shape, lo, hi);
        }
        if (!result.equal) {
          vt.mismatchedChunks += 1;
          const { diffs, inFlight } = await diffChunk(link, shape, lo, hi, ctx.opts.verifyRechecks, catchUp);
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

async function rangeOf(link: Link, shape: TableShape): Promise<{ min: string | null; max: string | null }> {
  const [[r]] = await link.from.knex.raw(`SELECT MIN(${q(shape.pk)}) AS mn, MAX(${q(shape.pk)}) AS mx FROM ${qq(link.from.db, shape.name)}`);
  return { min: r.mn === null ? null : String(r.mn), max: r.mx === null ? null : String(r.mx) };
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
