import { sleep } from './context.ts';
import type { Link } from './link.ts';
import { keyIn, keySelect } from './keys.ts';
import { diffRows, type RowDiff } from './rowdiff.ts';
import { changelogTable, compareList, qq, type TableShape } from './sql.ts';
import type { QuietCatchUp } from './verify-catchup.ts';

/**
 * Verify's last word on suspect keys (the keys applied while a chunk was
 * compared, and the rows its snapshots found different): their current rows
 * on both sides, a few times, each time right after a catch-up and inside its
 * quiet window (verify-catchup.ts: no other catch-up runs until the look is
 * over). In that window the target does not change, and every change the
 * source committed since the catch-up read its changelog is still pending
 * there; so a key whose rows differ is *in flight* when the changelog holds
 * it, and a difference when it does not. Outside the window another chunk's
 * catch-up could apply and consume a change between the rows' read and the
 * changelog's, and a change on its way would be reported as a difference.
 */
export async function recheckKeys(link: Link, shape: TableShape, keys: string[], rechecks: number, catchUp: QuietCatchUp): Promise<{ diffs: RowDiff[]; inFlight: number }> {
  const read = async (side: Link['from'], ks: string[]) => {
    const [rows] = await side.knex.raw(`SELECT ${keySelect(shape.key)}, ${compareList(shape)} FROM ${qq(side.db, shape.name)} WHERE ${keyIn(shape.key, ks)}`);
    return rows as Array<Record<string, unknown>>;
  };
  let last = { diffs: [] as RowDiff[], busy: new Set<string>() };
  let pending = keys;
  for (let i = 0; i <= rechecks && pending.length; i++) {
    if (i > 0) await sleep(10 * i);
    last = await catchUp(async (w) => {
      const [s, t] = await Promise.all([read(link.from, pending), read(link.to, pending)]);
      const diffs = diffRows(shape, s, t);
      if (!diffs.length) return { diffs, busy: new Set<string>() };
      await w.captured(); // binlog capture: a change the source's read saw is in the changelog now
      return { diffs, busy: await inChangelog(link, shape, diffs.map((d) => d.pk)) };
    });
    pending = last.diffs.map((d) => d.pk);
  }
  return { diffs: last.diffs.filter((d) => !last.busy.has(d.pk)), inFlight: last.busy.size };
}

/** Of `keys`, those with a change pending in the changelog. */
async function inChangelog(link: Link, shape: TableShape, keys: string[]): Promise<Set<string>> {
  const [rows] = await link.from.knex.raw(
    `SELECT DISTINCT pk FROM ${qq(link.from.db, changelogTable(link.service))} WHERE tbl = ? AND pk IN (${keys.map(() => '?').join(', ')})`, [shape.name, ...keys]);
  return new Set((rows as Array<{ pk: string }>).map((r) => String(r.pk)));
}
