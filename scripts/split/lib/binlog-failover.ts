/**
 * After a failover of the source: moving the split's binlog position to the new
 * primary's binlog by its MariaDB GTID position (`split-db repoint`).
 *
 * A saved file+offset names a point in one server's binlog only; a replica
 * promoted to primary has the same transactions (with log_slave_updates, under
 * the same GTIDs) at offsets of its own, and the reader refuses to resume from
 * the old offset there (binlog.ts `movedWhy`, `purgedWhy`). The GTID position
 * saved with the offset says which transactions the changelog already holds
 * (every transaction up to it, per replication domain). Here the new server's
 * binlog is searched for the first transaction group the saved position does
 * not contain; its start is the new position: every transaction before it is
 * in the changelog already, and reading goes on from there. A group at or
 * below the saved position that lies after it (another domain's, interleaved)
 * is read again, which only logs its keys again (re-applying is idempotent).
 *
 * The server cannot tell a failover from a RESET MASTER that started the
 * sequence numbers over (the same GTIDs would then name other transactions):
 * that is why this is a command the operator runs, not something the reader
 * does by itself.
 */
import { binlogFiles, gtidAt, masterPos, movedWhy, positionTable, purgedWhy, savedPos } from './binlog.ts';
import { comparePos, contains, formatGtidPos, formatPos, parseGtidPos, type BinlogPos, type Gtid } from './binlog-keys.ts';
import { SplitError } from './errors.ts';
import type { Side } from './side.ts';
import { lit, q } from './sql.ts';

/**
 * Pure: the domains in which the server's binlog (ending at `here`) lacks
 * transactions up to `saved` — its sequence number is lower, or the domain is
 * missing. Empty when the server has every transaction the split has read.
 */
export function behindDomains(saved: Map<number, Gtid>, here: Map<number, Gtid>): string[] {
  const out: string[] = [];
  for (const g of saved.values()) {
    const h = here.get(g.domain);
    if (!h) out.push(`domain ${g.domain}: none (the split read up to ${g.domain}-${g.server}-${g.seq})`);
    else if (h.seq < g.seq) out.push(`domain ${g.domain}: ${h.domain}-${h.server}-${h.seq} (the split read up to ${g.domain}-${g.server}-${g.seq})`);
  }
  return out;
}

/** Pure: the GTID list a binlog file starts with (SHOW BINLOG EVENTS' Info of its Gtid_list event: `[0-1-7,1-2-3]`). */
export function gtidListInfo(info: string): Map<number, Gtid> {
  const m = /^\s*\[(.*)\]\s*$/.exec(info);
  if (!m) throw new Error(`not a Gtid_list event: ${JSON.stringify(info)}`);
  return parseGtidPos(m[1]);
}

/** Pure: the GTID a Gtid event starts (SHOW BINLOG EVENTS' Info: `BEGIN GTID 0-1-8`, `GTID 0-1-2` for DDL, `… cid=…`), or null. */
export function gtidEventInfo(info: string): Gtid | null {
  const m = /\bGTID (\d+)-(\d+)-(\d+)\b/.exec(info);
  return m ? { domain: Number(m[1]), server: Number(m[2]), seq: BigInt(m[3]) } : null;
}

interface EventRow {
  Log_name: string;
  Pos: number | string;
  Event_type: string;
  End_log_pos: number | string;
  Info: string;
}

/** SHOW BINLOG EVENTS rows fetched per statement while searching. */
export const SCAN_PAGE = 5000;

async function events(side: Side, file: string, from: number, limit: number): Promise<EventRow[]> {
  const [rows] = await side.knex.raw(`SHOW BINLOG EVENTS IN ${lit(file)} FROM ${Math.trunc(from)} LIMIT ${Math.trunc(limit)}`);
  return rows as EventRow[];
}

export interface Placement {
  /** The first point of this server's binlog not contained in the saved position (its binlog end when there is none). */
  pos: BinlogPos;
  /** Binlog events read to find it. */
  scanned: number;
}

/**
 * Where, in this server's binlog, reading must go on for a split that has read
 * every transaction up to the GTID position `saved`: the start of the first
 * transaction group the position does not contain. The search starts in the
 * newest file whose starting GTID list the position contains (every group
 * before that file is contained), so it reads at most that file and the ones
 * after it. Refuses (SplitError BLOCKED) when the server lacks transactions the
 * split has read, or when the groups after the position were purged.
 */
export async function placeGtid(side: Side, savedText: string, pageSize = SCAN_PAGE): Promise<Placement> {
  const saved = parseGtidPos(savedText);
  if (!saved.size) throw new SplitError('BLOCKED', 'the split saved an empty GTID position: it cannot be placed in another binlog; cancel the split and start it again');
  const end = await masterPos(side);
  const endGtid = await gtidAt(side, end);
  if (endGtid === null) throw new SplitError('BLOCKED', `the server cannot give the GTID position of its binlog end (${formatPos(end)}): it is not a MariaDB server with GTIDs, so the split's position cannot be placed in its binlog`);
  const behind = behindDomains(saved, parseGtidPos(endGtid));
  if (behind.length) {
    throw new SplitError('BLOCKED', `this server's binlog ends at GTID position ${endGtid || '(empty)'}, behind the split's ${savedText} — ${behind.join('; ')}: it does not have every transaction the split has read ` +
      '(a replica that had not caught up, or another server). Point --source at the new primary once it has them; otherwise cancel the split and start it again');
  }
  const files = await binlogFiles(side);
  let scanned = 0;
  // newest first: the first file whose start the saved position contains
  let first = -1;
  for (let i = files.length - 1; i >= 0; i--) {
    const head = await events(side, files[i], 4, 8);
    scanned += head.length;
    const list = head.find((e) => e.Event_type === 'Gtid_list');
    if (!list) throw new SplitError('BLOCKED', `${files[i]} has no Gtid_list event: the server's binlog has no GTIDs, so the split's position cannot be placed in it`);
    if ([...gtidListInfo(list.Info).values()].every((g) => contains(saved, g))) {
      first = i;
      break;
    }
  }
  if (first < 0) {
    const head = await events(side, files[0], 4, 8);
    const list = gtidListInfo(head.find((e) => e.Event_type === 'Gtid_list')!.Info);
    const foreign = [...list.values()].filter((g) => !saved.has(g.domain));
    if (foreign.length) {
      throw new SplitError('BLOCKED', `this server's oldest binlog file, ${files[0]}, starts after transactions of replication domain ${foreign.map((g) => g.domain).join(', ')}, ` +
        `which the split's GTID position ${savedText} does not name: the split cannot tell whether it has read them. Cancel the split and start it again (a new copy)`);
    }
    throw new SplitError('BLOCKED', `the transactions after the split's GTID position ${savedText} are no longer in this server's binlog: its oldest file, ${files[0]}, ` +
      `starts after GTID position ${formatGtidPos(list)} (purged), so the changes since that position cannot be read. ` +
      'Cancel the split and start it again (a new copy)');
  }
  for (let i = first; i < files.length; i++) {
    let from = 4;
    for (;;) {
      const page = await events(side, files[i], from, pageSize);
      scanned += page.length;
      for (const e of page) {
        if (e.Event_type !== 'Gtid') continue;
        const g = gtidEventInfo(e.Info);
        if (g && !contains(saved, g)) return { pos: { file: files[i], pos: Number(e.Pos) }, scanned };
      }
      if (page.length < pageSize) break;
      from = Number(page[page.length - 1].End_log_pos);
    }
  }
  // nothing after the saved position yet: the binlog's end as it was before the search (later groups are after it)
  return { pos: end, scanned };
}

export interface RepointResult {
  service: string;
  /** What the source's binlog holds now at the saved position, in words. */
  why: string;
  from: BinlogPos | null;
  to: BinlogPos | null;
  changed: boolean;
  dryRun: boolean;
  scanned: number;
}

/**
 * Moves the saved position of a split's binlog capture to this server's binlog
 * (the caller holds the split's lock and has checked that it reads the
 * binlog). Nothing to do when the reader would resume from the saved position
 * here (binlog.ts purgedWhy and movedWhy say nothing against it).
 */
export async function repointPosition(side: Side, service: string, dryRun: boolean): Promise<RepointResult> {
  const from = await savedPos(side, service);
  const base = { service, from, dryRun, scanned: 0 };
  if (!from) throw new SplitError('WRONG_PHASE', `${service} has no saved binlog position: its binlog capture has not started`);
  const moved = purgedWhy(from, await binlogFiles(side)) ?? (await movedWhy(side, from));
  if (moved === null) return { ...base, to: from, changed: false, why: `the saved position ${formatPos(from)} is in this server's binlog: nothing to move` };
  if (!from.gtid) {
    throw new SplitError('BLOCKED', `the position ${formatPos(from)} was saved without a GTID position (a MySQL source, or a split started by an older version): ` +
      'it cannot be placed in another server\'s binlog. Cancel the split and start it again (a new copy)');
  }
  const placed = await placeGtid(side, from.gtid);
  const gtid = await gtidAt(side, placed.pos);
  if (gtid === null) throw new SplitError('BLOCKED', `the server cannot give the GTID position at ${formatPos(placed.pos)}`);
  const to: BinlogPos = { ...placed.pos, gtid };
  const why = `the saved position ${formatPos(from)} (GTID ${from.gtid}) is not in this server's binlog; the first transaction after GTID ${from.gtid} here starts at ${formatPos(to)} (GTID position ${gtid || '(empty)'} before it)`;
  if (dryRun) return { ...base, to, changed: false, why, scanned: placed.scanned };
  await side.knex.raw(`UPDATE ${q(positionTable(service))} SET file = ?, pos = ?, gtid = ? WHERE id = 1`, [to.file, to.pos, to.gtid ?? null]);
  const now = await savedPos(side, service);
  if (!now || comparePos(now, to) !== 0 || now.gtid !== to.gtid) throw new Error(`the new binlog position was not saved: ${formatPos(now)}`);
  return { ...base, to, changed: true, why, scanned: placed.scanned };
}
