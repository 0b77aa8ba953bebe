import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SplitContext } from './context.ts';
import { readCatalog } from './context.ts';
import type { ForeignKey, TableInfo } from './introspect.ts';
import { serverInfo, tableInfo } from './introspect.ts';
import { scanTree, type CodeHit } from './scan.ts';
import { schemaDifferences } from './schema.ts';
import { keyOf } from './keys.ts';
import { triggerName } from './sql.ts';
import { databaseExists } from './side.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CrossingFk {
  constraint: string;
  table: string;
  columns: string[];
  refTable: string;
  onDelete: string;
  onUpdate: string;
  /** outgoing: a moved table points out of the service; incoming: a table staying behind points in. */
  direction: 'outgoing' | 'incoming';
  otherSide: string;
  decision: string | null;
  note?: string;
}

export interface PlanTable {
  name: string;
  exists: boolean;
  primaryKey: string[];
  pkType: string | null;
  rowsEstimate: number;
  dataBytes: number;
  indexBytes: number;
  autoIncrement: string | null;
  columns: number;
  generatedColumns: string[];
  jsonColumns: string[];
  target: 'absent' | 'matches' | 'differs';
}

export interface Plan {
  service: string;
  domain: string;
  source: string;
  target: string;
  sameServer: boolean;
  copyMode: 'sql' | 'stream';
  server: { version: string; logBin: boolean };
  tables: PlanTable[];
  crossingForeignKeys: CrossingFk[];
  code: CodeHit[];
  blockers: string[];
  warnings: string[];
  steps: string[];
}

const UNSUPPORTED_TYPES = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;

/** Pure part: blockers and warnings from what was read. */
export function assess(tables: TableInfo[], targets: Map<string, TableInfo>, crossing: CrossingFk[], code: CodeHit[], service: string): { blockers: string[]; warnings: string[] } {
  const blockers: string[] = [];
  const warnings: string[] = [];
  for (const t of tables) {
    if (!t.exists) {
      blockers.push(`${t.name}: table does not exist on the source`);
      continue;
    }
    if (t.engine && t.engine.toLowerCase() !== 'innodb') blockers.push(`${t.name}: engine ${t.engine} (transactions needed; only InnoDB is supported)`);
    const key = keyOf(t);
    if ('refusal' in key) blockers.push(key.refusal);
    for (const c of t.allColumns) {
      if (UNSUPPORTED_TYPES.test(c.dataType)) blockers.push(`${t.name}.${c.name}: type ${c.dataType} is not supported`);
      if (c.dataType === 'float') warnings.push(`${t.name}.${c.name}: FLOAT is approximate; verify compares its text form`);
    }
    if (triggerName(service, t.name, 'update').length > 64) blockers.push(`${t.name}: name too long for the capture trigger names`);
    const dst = targets.get(t.name);
    if (dst?.exists) for (const d of schemaDifferences(t, dst)) blockers.push(`target schema: ${d}`);
  }
  for (const fk of crossing) {
    if (!fk.decision) blockers.push(`FK ${fk.table}.${fk.constraint} → ${fk.refTable} crosses the boundary (${fk.otherSide}) with no decision in the manifest (crossingForeignKeys."${fk.table}.${fk.constraint}")`);
    if (fk.direction === 'incoming' && fk.onUpdate === 'CASCADE') blockers.push(`FK ${fk.table}.${fk.constraint}: ON UPDATE CASCADE into a moved table is not supported`);
  }
  for (const h of code) {
    if (h.crossesBoundaryWith.length) warnings.push(`${h.file}:${h.line}: ${h.kind} query joins ${h.table} with ${h.crossesBoundaryWith.join(', ')} (crosses the boundary; must become a Thrift call + in-memory join)`);
    else if (!h.switchesToThrift) warnings.push(`${h.file}:${h.line}: direct ${h.kind} access to ${h.table} outside the repository seam${h.job ? ' (job)' : ''}`);
  }
  return { blockers, warnings };
}

export function crossingForeignKeys(fks: ForeignKey[], moved: Set<string>, owners: Map<string, string>, service: string, decisions: Record<string, { action: string; note?: string }>): CrossingFk[] {
  const out: CrossingFk[] = [];
  for (const fk of fks) {
    const childIn = moved.has(fk.table);
    const parentIn = moved.has(fk.refTable);
    if (childIn === parentIn) continue;
    const other = childIn ? fk.refTable : fk.table;
    const d = decisions[`${fk.table}.${fk.name}`];
    out.push({
      constraint: fk.name, table: fk.table, columns: fk.columns, refTable: fk.refTable, onDelete: fk.onDelete, onUpdate: fk.onUpdate,
      direction: childIn ? 'outgoing' : 'incoming', otherSide: `${other} (${owners.get(other) ?? 'legacy'})`,
      decision: d?.action ?? null, ...(d?.note ? { note: d.note } : {}),
    });
  }
  return out;
}

export async function buildPlan(ctx: SplitContext): Promise<Plan> {
  const spec = ctx.service.spec;
  const cat = await readCatalog(ctx.source, spec.tables);
  const targets = new Map<string, TableInfo>();
  const targetReachable = await databaseExists(ctx.service.targetDsn);
  if (targetReachable) for (const t of spec.tables) targets.set(t, await tableInfo(ctx.target.knex, ctx.target.db, t));
  const srv = await serverInfo(ctx.source.knex);
  const moved = new Set(spec.tables);
  const crossing = crossingForeignKeys(cat.fks, moved, ctx.service.owners, ctx.service.name, spec.crossingForeignKeys);
  const code = await scanTree(REPO_ROOT, join(REPO_ROOT, 'legacy'), ctx.service.owners, ctx.service.name);
  const tables = spec.tables.map((t) => cat.infos.get(t)!);
  const { blockers, warnings } = assess(tables, targets, crossing, code, ctx.service.name);
  if (!targetReachable) warnings.push('target database does not exist yet; start creates it');
  const copyMode = ctx.opts.copyMode === 'stream' || !ctx.sameServer ? 'stream' : 'sql';
  return {
    service: ctx.service.name,
    domain: spec.domain,
    source: ctx.source.masked,
    target: ctx.target.masked,
    sameServer: ctx.sameServer,
    copyMode,
    server: { version: srv.version, logBin: srv.logBin },
    tables: tables.map((t) => {
      const d = targets.get(t.name);
      return {
        name: t.name, exists: t.exists, primaryKey: t.pk, pkType: t.pkType, rowsEstimate: t.rowsEstimate, dataBytes: t.dataBytes, indexBytes: t.indexBytes,
        autoIncrement: t.autoIncrement, columns: t.allColumns.length, generatedColumns: t.allColumns.filter((c) => c.generated).map((c) => c.name),
        jsonColumns: t.allColumns.filter((c) => c.isJson).map((c) => c.name),
        target: !d?.exists ? 'absent' : schemaDifferences(t, d).length ? 'differs' : 'matches',
      };
    }),
    crossingForeignKeys: crossing,
    code,
    blockers,
    warnings,
    steps: [
      `create ${ctx.target.masked} and apply migrations/${spec.migrations}`,
      'drop FKs from tables staying in legacy into the moved tables where the manifest says "drop" (integrity moves to the application)',
      `install capture triggers on ${spec.tables.join(', ')} (changelog _split_${ctx.service.name}_changelog) before the first chunk is read`,
      `copy in primary-key chunks (${copyMode === 'sql' ? 'server-side INSERT … SELECT, same server' : 'rows streamed through the tool'}), applying captured changes between chunks`,
      'verify: per-chunk COUNT + BIT_XOR(CRC32) on both servers, row diff of mismatching chunks',
      `cutover: fence writes (abort limit ${ctx.opts.freezeAbortMs} ms), final catch-up, newest-rows check, reverse capture, flip ownership of ${spec.domain} to service/own`,
      'rollback (optional): catch the source up from the reverse capture, fence the target, flip back',
      'complete: remove capture machinery and rename the old tables to _old_<table>_<timestamp> (drop only with --confirm)',
    ],
  };
}
