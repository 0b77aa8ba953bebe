import { pendingIndexes } from './deferred-indexes.ts';
import { poisonRows } from './applier.ts';
import { binaryLogs, savedPos, unreadableWhy } from './binlog.ts';
import { schemaDriftNow } from './schema-guard.ts';
import { formatPos } from './binlog-keys.ts';
import { backlog, triggerModes } from './capture.ts';
import { describeKey } from './keys.ts';
import { readCatalog, type SplitContext } from './context.ts';
import { openOwnership } from './ownership.ts';
import { copyFraction } from './progress.ts';
import { databaseExists } from './side.ts';
import type { SplitState } from './state.ts';

export interface ServiceStatus {
  service: string;
  phase: string;
  switching: string | null;
  copied: number;
  rowsCopied: number;
  /** How the copy writes into the target (`sql`, or the stream copy's LOAD DATA / batch REPLACE path and why). */
  copyPath: string | null;
  /** Target secondary indexes deferred during the copy and not added back yet (deferred-indexes.ts): verify and cutover wait for them. */
  pendingIndexes: Array<{ table: string; indexes: string[]; step: string }>;
  backlog: { forward: number; reverse: number };
  /** Rows the other side refused (applier.ts): parked with the server's error, retried until they apply. */
  poison: { forward: PoisonReport; reverse: PoisonReport };
  applied: SplitState['applied'] | null;
  verify: { ok?: boolean; differences: number; truncated?: boolean; inFlight: number; finishedAt?: string } | null;
  ownership: { owner: string; database: string; version: number } | null;
  triggers: { source: Record<string, string>; target: Record<string, string> };
  /**
   * Capture mode of the forward direction (binlog.ts) and, in binlog mode, the position read up to (file:offset, and its MariaDB GTID);
   * before the cutover, `cannotResume` when the source's binlog no longer holds that position (binlog.ts unreadableWhy).
   */
  capture?: { mode: string; why: string; position?: string; gtid?: string; cannotResume?: string } | null;
  lastCutover: SplitState['attempts'][number] | null;
  /** A moved table's definition changed since the split recorded it (schema-guard.ts): the refusal the next command would give, or what it would record. */
  schema?: string;
  source: string;
  target: string;
}

export interface PoisonReport {
  count: number;
  rows: Array<{ table: string; key: string; error: string; attempts: number; firstSeen: string; lastSeen: string }>;
}

export async function serviceStatus(ctx: SplitContext, state: SplitState | undefined): Promise<ServiceStatus> {
  const targetExists = await databaseExists(ctx.service.targetDsn);
  const [fwd, rev] = await Promise.all([backlog(ctx.source, ctx.service.name), targetExists ? backlog(ctx.target, ctx.service.name) : 0]);
  let ownership: ServiceStatus['ownership'] = null;
  try {
    const own = await openOwnership(ctx);
    try {
      const r = own.registry.get(ctx.service.spec.domain);
      ownership = { owner: r.owner, database: r.database, version: r.version };
    } finally {
      await own.close();
    }
  } catch {
    ownership = null;
  }
  const cat = await readCatalog(ctx.source, ctx.service.spec.tables);
  const [srcT, dstT] = await Promise.all([
    triggerModes(ctx.source, ctx.service.name, cat.shapes.values()),
    targetExists ? triggerModes(ctx.target, ctx.service.name, cat.shapes.values()) : {},
  ]);
  const tables = state ? Object.values(state.tables) : [];
  const described = (r: PoisonReport): PoisonReport => ({
    count: r.count,
    rows: r.rows.map((p) => ({ ...p, key: cat.shapes.has(p.table) ? describeKey(cat.shapes.get(p.table)!.key, p.key) : p.key })),
  });
  const [pf, pr] = await Promise.all([poisonRows(ctx.source, ctx.service.name), targetExists ? poisonRows(ctx.target, ctx.service.name) : { count: 0, rows: [] }]);
  return {
    service: ctx.service.name,
    phase: state?.phase ?? 'not started',
    switching: state?.switching ? `${state.switching.kind} interrupted at ${state.switching.step}` : null,
    copied: tables.length ? copyFraction(tables) : 0, // weighted by rows, as the bar
    rowsCopied: tables.reduce((a, p) => a + p.rows, 0),
    copyPath: state?.copyPath ?? null,
    pendingIndexes: state ? pendingIndexes(state) : [],
    backlog: { forward: fwd, reverse: rev },
    poison: { forward: described(pf), reverse: described(pr) },
    applied: state?.applied ?? null,
    verify: state?.verify ? { ok: state.verify.ok, differences: Math.max(state.verify.differencesFound ?? 0, state.verify.differences.length), truncated: !!state.verify.truncated, inFlight: state.verify.inFlight, finishedAt: state.verify.finishedAt } : null,
    ownership,
    triggers: { source: srcT, target: dstT as Record<string, string> },
    capture: state?.capture ? { ...state.capture, ...(state.capture.mode === 'binlog' ? await binlogStatus(ctx, state) : {}) } : null,
    lastCutover: state?.attempts.at(-1) ?? null,
    ...(state && targetExists ? await schemaNote(ctx, state) : {}),
    source: ctx.source.masked,
    target: ctx.target.masked,
  };
}

async function schemaNote(ctx: SplitContext, state: SplitState): Promise<{ schema?: string }> {
  const why = await schemaDriftNow(ctx, state);
  return why ? { schema: why } : {};
}

/** Where binlog capture read up to and, while the forward direction still reads it, whether the source still holds that point. */
async function binlogStatus(ctx: SplitContext, state: SplitState): Promise<{ position: string; gtid?: string; cannotResume?: string }> {
  const p = await savedPos(ctx.source, ctx.service.name);
  const reading = state.phase === 'copying' || state.phase === 'copied';
  const why = p && reading ? unreadableWhy(p, await binaryLogs(ctx.source)) : null;
  return { position: formatPos(p), ...(p?.gtid ? { gtid: p.gtid } : {}), ...(why ? { cannotResume: why } : {}) };
}
