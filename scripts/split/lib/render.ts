import { formatPos, type BinlogPos } from './binlog-keys.ts';
import type { Machinery } from './capture.ts';
import type { CancelResult, CompleteResult } from './finish.ts';
import type { Plan } from './plan.ts';
import type { ServiceStatus } from './status.ts';
import type { VerifyState } from './state.ts';

/** Human-readable output of the CLI (the --json output is the result object itself). Pure. */
export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function renderPlan(p: Plan): string {
  const out: string[] = [];
  out.push(`plan for ${p.service} (domain ${p.domain})`);
  out.push(`  source ${p.source}`);
  out.push(`  target ${p.target}  (${p.sameServer ? 'same server' : 'other server'}; copy mode ${p.copyMode}: ${p.copyWrite})`);
  out.push(`  server ${p.server.version}, log_bin ${p.server.logBin ? 'ON' : 'OFF'} → ${p.capture ? `${p.capture.mode} capture: ${p.capture.why}` : 'trigger-based capture'}`);
  out.push('', 'tables:');
  for (const t of p.tables) {
    if (!t.exists) {
      out.push(`  ${t.name}: MISSING`);
      continue;
    }
    out.push(`  ${t.name}: pk ${t.primaryKey.join(',') || '-'} (${t.pkType ?? '?'}), ~${t.rowsEstimate} rows (estimate), data ${fmtBytes(t.dataBytes)}, index ${fmtBytes(t.indexBytes)}, ` +
      `auto_increment ${t.autoIncrement ?? '-'}, ${t.columns} columns${t.generatedColumns.length ? `, generated: ${t.generatedColumns.join(',')}` : ''}${t.jsonColumns.length ? `, json: ${t.jsonColumns.join(',')}` : ''}; target ${t.target}`);
  }
  out.push('', 'foreign keys crossing the boundary:');
  if (!p.crossingForeignKeys.length) out.push('  none');
  for (const f of p.crossingForeignKeys) {
    out.push(`  ${f.direction} ${f.table}.${f.constraint} (${f.columns.join(',')}) → ${f.refTable}, ON DELETE ${f.onDelete}; other side ${f.otherSide}; decision: ${f.decision ?? 'NONE'}${f.note ? ` (${f.note})` : ''}`);
  }
  const scan = p.codeScan;
  if (!scan?.roots.length) out.push('', 'code touching these tables: not scanned (give --code <dir> or the manifest\'s "code")');
  else {
    out.push('', `code touching these tables (${p.code.length} statement(s) in ${scan.files} file(s) under ${scan.roots.join(', ')}):`);
    for (const h of p.code) {
      out.push(`  ${h.file}:${h.line}${h.site ? ` ${h.site}` : ''} ${h.kind} ${h.tables.join(',')}${h.dynamic ? ' (+dynamic)' : ''} → ${h.throughSeam ? 'through the seam' : 'direct'}${h.crossesBoundaryWith.length ? `; CROSSES the boundary with ${h.crossesBoundaryWith.join(',')}` : ''}`);
    }
    const crossing = p.code.filter((h) => h.crossesBoundaryWith.length);
    out.push('', `crossing the boundary (${crossing.length}): a moved table together with one that stays`);
    for (const h of crossing) out.push(`  ${h.file}:${h.line}${h.site ? ` ${h.site}` : ''}: ${h.moved.join(',')} + ${h.crossesBoundaryWith.join(',')}${h.kind === 'transaction' ? ' (one transaction)' : ''}`);
    if (scan.unparsed.length) {
      out.push('', `unparsed SQL (${scan.unparsed.length}): check by hand`);
      for (const u of scan.unparsed) out.push(`  ${u.file}:${u.line}${u.site ? ` ${u.site}` : ''}: ${u.error}${u.mentions.length ? ` [mentions ${u.mentions.join(',')}]` : ''}`);
    }
  }
  out.push('', 'checks:');
  for (const c of p.checks) {
    const warnings = c.findings.filter((f) => f.severity === 'warning').length;
    out.push(`  ${c.ok ? 'pass' : 'FAIL'} ${c.name}${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}`);
  }
  const blockers = p.findings.filter((f) => f.severity === 'blocker');
  out.push('', `blockers (${blockers.length}):`);
  for (const b of blockers) out.push(`  ✗ [${b.check}] ${b.message}${b.fix ? `\n      fix: ${b.fix}` : ''}`);
  if (!blockers.length) out.push('  none');
  const warnings = p.findings.filter((f) => f.severity === 'warning');
  if (warnings.length) {
    out.push('', `warnings (${warnings.length}):`);
    for (const w of warnings) out.push(`  ! [${w.check}] ${w.message}`);
  }
  out.push('', 'steps:');
  p.steps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  return out.join('\n');
}

export function renderStatus(s: ServiceStatus): string {
  const lines = [
    `${s.service}: ${s.phase}${s.switching ? ` (${s.switching})` : ''}`,
    `  copy ${(s.copied * 100).toFixed(1)} % (${s.rowsCopied} rows); backlog forward ${s.backlog.forward}, reverse ${s.backlog.reverse}` +
      (s.applied ? `; applied forward ${s.applied.forward}, reverse ${s.applied.reverse}` : ''),
    ...(s.copyPath ? [`  copy path ${s.copyPath}`] : []),
    ...(s.pendingIndexes ?? []).map((x) => `  deferred indexes of ${x.table} (${x.step}): ${x.indexes.join(', ')} — added back in one online ALTER when the copy is done; verify and cutover wait for them`),
    `  ownership ${s.ownership ? `${s.ownership.owner}/${s.ownership.database} (v${s.ownership.version})` : 'unavailable'}`,
    `  triggers: source ${sourceTriggers(s)}; target ${triggerSummary(s.triggers.target)}`,
    ...(s.capture?.mode === 'binlog' ? [`  capture binlog, read up to ${s.capture.position ?? 'none'}${s.capture.gtid ? ` (GTID ${s.capture.gtid})` : ''}`] : []),
    ...(s.capture?.cannotResume ? [`  CAPTURE CANNOT RESUME: ${s.capture.cannotResume}`] : []),
    ...(s.schema ? [`  SCHEMA: ${s.schema}`] : []),
  ];
  if (s.verify) lines.push(`  verify ${s.verify.finishedAt ? (s.verify.ok ? 'OK' : `${s.verify.truncated ? '≥ ' : ''}${s.verify.differences.toLocaleString('en-US')} difference(s)`) : 'in progress'}${s.verify.inFlight ? `, ${s.verify.inFlight} in flight` : ''}`);
  for (const [dir, r] of [['forward', s.poison.forward], ['reverse', s.poison.reverse]] as const) {
    if (!r.count) continue;
    lines.push(`  POISON ${dir}: ${r.count} row(s) the other side refuses (retried until they apply; cutover refuses meanwhile)`);
    for (const p of r.rows) lines.push(`    ${p.table} ${p.key}: ${p.error} (${p.attempts} attempt(s), since ${p.firstSeen})`);
  }
  if (s.lastCutover) lines.push(`  last ${s.lastCutover.kind}: ${s.lastCutover.ok ? 'ok' : 'aborted'}${s.lastCutover.freezeMs !== undefined ? `, freeze ${s.lastCutover.freezeMs} ms` : ''}${s.lastCutover.error ? ` (${s.lastCutover.error})` : ''}`);
  lines.push(`  source ${s.source}`, `  target ${s.target}`);
  return lines.join('\n');
}

/** Binlog capture needs no row triggers on the source before the cutover installs the fence: say so rather than a bare "none". */
function sourceTriggers(s: ServiceStatus): string {
  const summary = triggerSummary(s.triggers.source);
  return summary === 'none' && s.capture?.mode === 'binlog' ? 'none (binlog capture reads the binlog; the fence triggers are installed at cutover)' : summary;
}

/** "1,000" or, when the list was cut, "≥ 1,000" (issue #11 item 13: counts are honest). */
export function differenceCount(v: Pick<VerifyState, 'differences' | 'differencesFound' | 'truncated'>): string {
  const n = Math.max(v.differencesFound ?? 0, v.differences.length);
  return `${v.truncated ? '≥ ' : ''}${n.toLocaleString('en-US')}`;
}

export function renderVerify(service: string, v: VerifyState): string {
  const rows = Object.entries(v.tables).map(([t, x]) => `  ${t}: ${x.rows} rows in ${x.chunks} chunk(s), ${x.mismatchedChunks} re-diffed${x.checksumTable ? `; CHECKSUM TABLE ${x.checksumTable}` : ''}`);
  const head = v.ok ? `verify ${service} (${v.direction}): OK, 0 differences` : `verify ${service} (${v.direction}): ${differenceCount(v)} difference(s)${v.truncated ? ` (truncated: the first ${v.differences.length} are listed)` : ''}`;
  const diffs = v.differences.slice(0, 20).map((d) => `  ${d.table} ${d.key ?? `pk=${d.pk}`}: ${d.kind}${d.columns ? ` (${d.columns.join(',')})` : ''}`);
  return [head, ...rows, ...(v.inFlight ? [`  ${v.inFlight} row(s) still changing were re-checked and left in flight`] : []), ...(v.rowsPerSecond ? [`  ${v.rowsPerSecond} rows/s`] : []), ...diffs].join('\n');
}

/** `capture on categories, products` / `fence on all 3 tables` / `none`: per-table trigger modes in words. */
export function triggerSummary(modes: Record<string, string>): string {
  const byMode = new Map<string, string[]>();
  for (const [t, m] of Object.entries(modes)) byMode.set(m, [...(byMode.get(m) ?? []), t]);
  if (!byMode.size) return 'none';
  const all = Object.keys(modes).length;
  if (byMode.size === 1) {
    const [[mode, tables]] = [...byMode];
    return mode === 'none' ? 'none' : `${mode} on ${all === 1 ? tables[0] : `all ${all} tables`}`;
  }
  return [...byMode].map(([mode, tables]) => `${mode} on ${tables.join(', ')}`).join(', ');
}

function machineryLines(verb: string, side: string, m: Machinery): string[] {
  const out: string[] = [];
  if (m.triggers.length) out.push(`  ${verb} ${m.triggers.length} trigger(s) on ${side} ${m.database}: ${m.triggers.join(', ')}`);
  for (const t of m.tables) out.push(`  ${verb} table ${m.database}.${t.name} (${t.role})`);
  if (!out.length) out.push(`  nothing of the tool's left on ${side} ${m.database}`);
  return out;
}

/** What complete removed and renamed, or with --dry-run everything it would: triggers, tables, renames, drops. */
export function renderComplete(service: string, r: CompleteResult): string {
  const verb = (now: string, would: string) => (r.dryRun ? `would ${would}` : now);
  return [
    `${r.dryRun ? `dry run: complete ${service} would change` : `completed ${service}:`}`,
    ...machineryLines(verb('dropped', 'drop'), 'source', r.removes.source),
    ...machineryLines(verb('dropped', 'drop'), 'target', r.removes.target),
    ...r.renamed.map((x) => `  ${verb('renamed', 'rename')} ${x.from} → ${x.to}`),
    ...(r.dropped.length ? r.dropped.map((t) => `  ${verb('dropped', 'drop')} the old copy ${t}`) : [`  the old copies are kept (drop them with --confirm)`]),
  ].join('\n');
}

/** What cancel removed, or with --dry-run would; says which target database is (would be) dropped. */
export function renderCancel(service: string, r: CancelResult): string {
  const verb = r.dryRun ? 'would drop' : 'dropped';
  return [
    r.dryRun ? `dry run: cancel ${service} would remove its capture and forget its state` : `cancelled ${service}: capture removed, state forgotten`,
    ...machineryLines(verb, 'source', r.removes.source),
    ...machineryLines(verb, 'target', r.removes.target),
    r.droppedTarget ? `  ${verb} the target database ${r.targetDatabase}` : `  the target database ${r.targetDatabase} is kept (drop it with --drop-target --confirm)`,
  ].join('\n');
}

/** `split-db repoint`: where the binlog position went, or why it stays. */
export function renderRepoint(r: { service: string; changed: boolean; dryRun: boolean; why: string; from?: BinlogPos | null; to?: BinlogPos | null; scanned?: number }): string {
  const at = (p: BinlogPos | null | undefined) => `${formatPos(p)}${p?.gtid !== undefined ? ` (GTID ${p.gtid || 'none'})` : ''}`;
  if (r.changed) return `${r.service}: binlog position moved from ${at(r.from)} to ${at(r.to)} (${r.scanned ?? 0} binlog events searched); run start or verify to read on from there`;
  if (r.dryRun && r.to && r.from && formatPos(r.to) !== formatPos(r.from)) return `dry run: ${r.service}'s binlog position would move from ${at(r.from)} to ${at(r.to)}\n  ${r.why}`;
  return `${r.service}: unchanged — ${r.why}`;
}

/** `split-db repair`: what was logged and applied, and what is left. */
export function renderRepair(r: { service: string; direction: string; dryRun: boolean; tables: Record<string, number>; unrepairable: string[]; why: string }): string {
  const per = Object.entries(r.tables).map(([t, n]) => `  ${t}: ${n} key(s)`);
  return [
    `${r.dryRun ? 'dry run: ' : ''}${r.service} (${r.direction}): ${r.why}`,
    ...per,
    ...r.unrepairable.map((u) => `  not repairable by key: ${u}`),
  ].join('\n');
}
