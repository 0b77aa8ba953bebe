import { ensureDatabase } from '../../../lib/db.ts';
import { migrateLatest } from '../../../lib/migrate.ts';
import type { SplitContext } from './context.ts';
import { readFile } from 'node:fs/promises';
import { SplitError } from './errors.ts';
import { tableInfo, type TableInfo } from './introspect.ts';
import { keyOf, type TableKey } from './keys.ts';
import { qq } from './sql.ts';
import { anyFolderSource, rawLiteral, sqlStatements, targetDdl } from './target-ddl.ts';

/** Differences between a source and a target table definition that would break a byte-exact move. Pure. */
export function schemaDifferences(src: TableInfo, dst: TableInfo): string[] {
  if (!dst.exists) return [`${src.name}: missing on the target`];
  const out: string[] = [];
  const d = new Map(dst.allColumns.map((c) => [c.name, c]));
  for (const c of src.allColumns) {
    const o = d.get(c.name);
    if (!o) {
      out.push(`${src.name}.${c.name}: missing on the target`);
      continue;
    }
    d.delete(c.name);
    if (o.columnType !== c.columnType) out.push(`${src.name}.${c.name}: ${c.columnType} on the source, ${o.columnType} on the target`);
    else if ((o.collation ?? '') !== (c.collation ?? '')) out.push(`${src.name}.${c.name}: collation ${c.collation ?? 'none'} on the source, ${o.collation ?? 'none'} on the target (string bytes are copied as they are)`);
    if (o.nullable !== c.nullable) out.push(`${src.name}.${c.name}: nullability differs`);
    if (o.generated !== c.generated) out.push(`${src.name}.${c.name}: generated on one side only`);
    if (o.isJson !== c.isJson) out.push(`${src.name}.${c.name}: JSON on one side only`);
  }
  for (const name of d.keys()) {
    const o = d.get(name)!;
    if (!o.nullable && !o.generated) out.push(`${src.name}.${name}: only on the target and NOT NULL`);
  }
  if (src.pk.join(',') !== dst.pk.join(',')) out.push(`${src.name}: primary key (${src.pk.join(',')}) vs (${dst.pk.join(',')})`);
  // the key the tool moves by must identify rows the same way on both sides (same columns, same collations)
  const [ks, kd] = [keyOf(src), keyOf(dst)];
  if ('key' in ks) {
    const cols = (k: TableKey) => k.columns.map((c) => `${c.name}${c.collation ? ` ${c.collation}` : ''}`).join(', ');
    if (!('key' in kd)) out.push(`${src.name}: key ${ks.key.index} (${cols(ks.key)}) has no counterpart on the target`);
    else if (cols(ks.key) !== cols(kd.key)) out.push(`${src.name}: key (${cols(ks.key)}) on the source, (${cols(kd.key)}) on the target`);
  }
  return out;
}

/** Runs statements on one target connection with foreign key checks off (tables may reference each other in any order). */
async function runOnTarget(ctx: SplitContext, statements: string[]): Promise<void> {
  await ctx.target.knex.transaction(async (trx) => {
    await trx.raw('SET FOREIGN_KEY_CHECKS = 0');
    try {
      for (const sql of statements) await trx.raw(rawLiteral(sql));
    } finally {
      await trx.raw('SET FOREIGN_KEY_CHECKS = 1');
    }
  });
}

async function missingOnTarget(ctx: SplitContext): Promise<string[]> {
  const [rows] = await ctx.target.knex.raw('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [ctx.target.db]);
  const have = new Set((rows as Array<{ t: string }>).map((r) => r.t));
  return ctx.service.spec.tables.filter((t) => !have.has(t));
}

/** The target schema from the manifest's source of it: this repo's migrations, a knex migrations folder, a SQL file, or (default) the source's own DDL. */
async function createTargetSchema(ctx: SplitContext): Promise<void> {
  const spec = ctx.service.spec;
  if (spec.migrations) {
    await migrateLatest(ctx.target.knex, spec.migrations);
    return;
  }
  const sch = spec.schema ?? { from: 'source' as const };
  if ('migrations' in sch) {
    await ctx.target.knex.migrate.latest({ migrationSource: anyFolderSource(sch.migrations), tableName: sch.table, disableMigrationsListValidation: true });
    return;
  }
  const missing = await missingOnTarget(ctx);
  if (!missing.length) return;
  if ('sql' in sch) {
    let text: string;
    try {
      text = await readFile(sch.sql, 'utf8');
    } catch (err) {
      throw new SplitError('BAD_MANIFEST', `cannot read schema.sql ${sch.sql}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    await runOnTarget(ctx, sqlStatements(text));
    return;
  }
  const moved = new Set(spec.tables);
  const ddl: string[] = [];
  for (const t of missing) {
    const [[row]] = await ctx.source.knex.raw(`SHOW CREATE TABLE ${qq(ctx.source.db, t)}`);
    const d = targetDdl(t, String(row['Create Table']), moved, spec.crossingForeignKeys);
    if (d.dropped.length) ctx.log?.info({ table: t, dropped: d.dropped }, 'target table created without crossing foreign keys');
    ddl.push(d.sql);
  }
  await runOnTarget(ctx, ddl);
}

/** Creates the target database and its schema (see createTargetSchema), then checks it matches the source. */
export async function prepareTarget(ctx: SplitContext): Promise<void> {
  await ensureDatabase(ctx.service.targetDsn);
  await createTargetSchema(ctx);
  const problems: string[] = [];
  for (const t of ctx.service.spec.tables) {
    const [s, d] = await Promise.all([tableInfo(ctx.source.knex, ctx.source.db, t), tableInfo(ctx.target.knex, ctx.target.db, t)]);
    problems.push(...schemaDifferences(s, d));
  }
  if (problems.length) throw new SplitError('SCHEMA_MISMATCH', `target schema does not match the source: ${problems.join('; ')}`);
}
