import { chooseCapture, type CaptureChoice } from './binlog.ts';
import type { SplitContext } from './context.ts';
import { assessColumnTypes } from './checks/column-types.ts';
import { assessCrossing, crossingForeignKeys, type CrossingFk } from './checks/crossing-fks.ts';
import { Facts } from './checks/facts.ts';
import { assessKey } from './checks/key.ts';
import { assessCode } from './checks/legacy-code.ts';
import { CHECKS, runChecks } from './checks/registry.ts';
import { assessTables } from './checks/tables.ts';
import { assessTargetSchema } from './checks/target-schema.ts';
import { assessTriggerNames } from './checks/trigger-names.ts';
import type { CheckResult, Finding } from './checks/types.ts';
import type { TableInfo } from './introspect.ts';
import type { CodeHit, CodeScan } from './scan.ts';
import { schemaDifferences } from './schema.ts';
import type { TableShape } from './sql.ts';
import { describeSchemaSource } from './target-ddl.ts';
import { chooseWritePath } from './loader.ts';
import { defersIndexesFor } from './deferred-indexes.ts';

export { crossingForeignKeys, type CrossingFk };

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
  /** How the copy writes into the target, and why (stream mode: LOAD DATA LOCAL or batch REPLACE, loader.ts). */
  copyWrite: string;
  /** The capture start would choose (binlog.ts), and why; a --capture binlog that cannot be honoured is a blocker. */
  capture?: CaptureChoice;
  server: { version: string; logBin: boolean };
  tables: PlanTable[];
  crossingForeignKeys: CrossingFk[];
  /** Statements of the application's code touching the moved tables (empty when no code was given). */
  code: CodeHit[];
  /** The code scan: folders read, files parsed, SQL the parser could not read. */
  codeScan: { roots: string[]; files: number; unparsed: CodeScan['unparsed'] };
  /** Every check with pass/fail and its findings (lib/checks). */
  checks: CheckResult[];
  findings: Finding[];
  /** The blocker and warning messages of `findings`, as text. */
  blockers: string[];
  warnings: string[];
  steps: string[];
}

/**
 * Pure: the table-shape, schema, crossing-FK and code findings as text (kept
 * for callers of the former single assess function; plan runs lib/checks).
 */
export function assess(tables: TableInfo[], targets: Map<string, TableInfo>, crossing: CrossingFk[], code: CodeScan, service: string): { blockers: string[]; warnings: string[] } {
  const findings: Finding[] = [];
  for (const t of tables) {
    findings.push(...assessTables([t]), ...assessKey(t), ...assessColumnTypes(t), ...(t.exists ? assessTriggerNames(service, [t.name]) : []), ...assessTargetSchema(t, targets.get(t.name)));
  }
  findings.push(...assessCrossing(crossing), ...assessCode(code));
  return { blockers: findings.filter((f) => f.severity === 'blocker').map((f) => f.message), warnings: findings.filter((f) => f.severity === 'warning').map((f) => f.message) };
}

export async function buildPlan(ctx: SplitContext, checks = CHECKS): Promise<Plan> {
  const spec = ctx.service.spec;
  const facts = new Facts(ctx);
  const results = await runChecks(facts, checks);
  const findings = results.flatMap((r) => r.findings);
  const cat = await facts.catalog();
  const targets = await facts.targetTables();
  const srv = await facts.source();
  const crossing = crossingForeignKeys(cat.fks, new Set(spec.tables), ctx.service.owners, ctx.service.name, spec.crossingForeignKeys);
  const scan: CodeScan = checks.some((c) => c.name === 'legacy-code') ? await facts.code() : { roots: [], files: 0, hits: [], unparsed: [] };
  const tables = spec.tables.map((t) => cat.infos.get(t)!);
  const copyMode = ctx.opts.copyMode === 'stream' || !ctx.sameServer ? 'stream' : 'sql';
  const copyWrite = copyMode === 'sql' ? 'server-side REPLACE … SELECT (same server)'
    : await chooseWritePath(ctx.target, ctx.opts.streamWrite).then((w) => w.why, (err: Error) => `unknown (${err.message.split('\n')[0].slice(0, 200)})`);
  const capture = await planCapture(ctx, cat.shapes);
  const blockers = findings.filter((f) => f.severity === 'blocker').map((f) => f.message);
  if (capture.refused) blockers.push(capture.choice.why);
  return {
    service: ctx.service.name,
    domain: spec.domain,
    source: ctx.source.masked,
    target: ctx.target.masked,
    sameServer: ctx.sameServer,
    copyMode,
    copyWrite,
    capture: capture.choice,
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
    code: scan.hits,
    codeScan: { roots: scan.roots, files: scan.files, unparsed: scan.unparsed },
    checks: results,
    findings,
    blockers,
    warnings: findings.filter((f) => f.severity === 'warning').map((f) => f.message),
    steps: [
      `create ${ctx.target.masked} and ${describeSchemaSource(spec)}`,
      'drop FKs from tables staying in legacy into the moved tables where the manifest says "drop" (integrity moves to the application)',
      capture.choice.mode === 'binlog'
        ? `save the binlog position, then install fence-only triggers on ${spec.tables.join(', ')}; the tool reads the binlog into _split_${ctx.service.name}_changelog (${capture.choice.why})`
        : `install capture triggers on ${spec.tables.join(', ')} (changelog _split_${ctx.service.name}_changelog) before the first chunk is read (${capture.choice.why})`,
      ...(defersIndexesFor(ctx.opts.deferIndexes)
        ? ['drop the target tables\' non-unique secondary indexes (kept: PRIMARY/UNIQUE, FULLTEXT/SPATIAL, indexes a foreign key or the AUTO_INCREMENT column needs, indexes over VIRTUAL columns), recorded in the state first (--defer-indexes)']
        : []),
      `copy in primary-key chunks (${copyMode === 'sql' ? 'server-side INSERT … SELECT, same server' : `rows streamed through the tool: ${copyWrite}`}), applying captured changes between chunks`,
      ...(defersIndexesFor(ctx.opts.deferIndexes)
        ? ['add the dropped indexes back in one ALTER TABLE … ALGORITHM=INPLACE, LOCK=NONE per table (sorted index build) while captured changes keep being applied; check each table\'s definition is again the recorded one; only then is the copy done']
        : []),
      'verify: per-chunk COUNT + SHA1 over every row\'s exact bytes on both servers (CHECKSUM TABLE as an extra guard), row diff of mismatching chunks',
      `cutover: fence writes (abort limit ${ctx.opts.freezeAbortMs} ms), final catch-up, newest-rows check, reverse capture, flip ownership of ${spec.domain} to service/own`,
      'rollback (optional): catch the source up from the reverse capture, fence the target, flip back',
      'complete: remove capture machinery and rename the old tables to _old_<table>_<timestamp> (drop only with --confirm)',
    ],
  };
}

/** The capture mode start would use; never throws (an unreadable server or a refused --capture binlog is reported). */
async function planCapture(ctx: SplitContext, shapes: Map<string, TableShape>): Promise<{ choice: CaptureChoice; refused: boolean }> {
  try {
    return { choice: await chooseCapture(ctx.source, shapes, ctx.opts.capture), refused: false };
  } catch (err) {
    return { choice: { mode: 'triggers', why: (err as Error).message }, refused: ctx.opts.capture === 'binlog' };
  }
}
