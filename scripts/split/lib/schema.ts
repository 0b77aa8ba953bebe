import { ensureDatabase } from '../../../lib/db.ts';
import { migrateLatest } from '../../../lib/migrate.ts';
import type { SplitContext } from './context.ts';
import { SplitError } from './errors.ts';
import { tableInfo, type TableInfo } from './introspect.ts';
import { keyOf, type TableKey } from './keys.ts';

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

/** Creates the target database and its schema from migrations/<service>, then checks it matches the source. */
export async function prepareTarget(ctx: SplitContext): Promise<void> {
  await ensureDatabase(ctx.service.targetDsn);
  await migrateLatest(ctx.target.knex, ctx.service.spec.migrations);
  const problems: string[] = [];
  for (const t of ctx.service.spec.tables) {
    const [s, d] = await Promise.all([tableInfo(ctx.source.knex, ctx.source.db, t), tableInfo(ctx.target.knex, ctx.target.db, t)]);
    problems.push(...schemaDifferences(s, d));
  }
  if (problems.length) throw new SplitError('SCHEMA_MISMATCH', `target schema does not match the source: ${problems.join('; ')}`);
}
