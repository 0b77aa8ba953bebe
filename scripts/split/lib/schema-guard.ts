/**
 * Schema changes on moved tables while a split runs. A split records each
 * moved table's definition (columns, types, nullability, collation, key) when
 * its copy starts. A migration that alters a moved table on one side only
 * afterwards would otherwise surface as parked poison rows, an unknown-column
 * error, or not at all (a dropped column the target still has; a column the
 * follow loop's old column list leaves out). So every command that reads or
 * writes both sides compares the live definitions with the recorded ones:
 *
 * - neither side changed: go on;
 * - one side changed, or both differently: refuse (BLOCKED, exit 3), naming
 *   the side, what changed (columns added, dropped, retyped; the key), and
 *   what to do: the same ALTER on the other side, then verify;
 * - both sides changed alike (the DBA mirrored the migration): the new
 *   definitions become the record, the event is noted, and the cutover's
 *   verify gate wants a verify started after it (rows changed while the sides
 *   differed may hold what the old column list carried: verify finds them,
 *   repair mends them). A running `start --follow` goes on with the new
 *   columns.
 *
 * Pure parts here; reading the catalogs in checkSchema.
 */
import type { SplitContext } from './context.ts';
import { SplitError } from './errors.ts';
import { tableInfo, type TableInfo } from './introspect.ts';
import { schemaDifferences } from './schema.ts';
import { note, type SplitState } from './state.ts';

/** Pure: a table's definition as far as moving it goes, as one comparable string. */
export function fingerprint(info: TableInfo): string {
  return JSON.stringify({
    columns: info.allColumns.map((c) => [c.name, c.columnType, c.nullable, c.collation ?? '', c.generated, c.isJson]),
    pk: info.pk,
  });
}

/** The recorded definitions: per moved table, each side's fingerprint. */
export type SchemaRecord = NonNullable<SplitState['schema']>;

export interface Drift {
  /** One per table whose sides no longer agree: the table, and a line naming the side that changed and how. Empty: nothing to refuse. */
  blockers: Array<{ table: string; text: string }>;
  /** Tables changed alike on both sides since the record: their record moves to the new definitions, and the cutover wants a new verify. */
  changed: string[];
}

type Fingerprint = { columns: Array<[string, string, boolean, string, boolean, boolean]>; pk: string[] };

/** Pure: what changed from one fingerprint to another, in words (`column color added; column name varchar(200) → varchar(255)`). */
export function describeChange(from: string, to: string): string {
  const a = JSON.parse(from) as Fingerprint;
  const b = JSON.parse(to) as Fingerprint;
  const out: string[] = [];
  const before = new Map(a.columns.map((c) => [c[0], c]));
  const after = new Map(b.columns.map((c) => [c[0], c]));
  const show = (c: Fingerprint['columns'][number]) => `${c[1]}${c[2] ? ' NULL' : ' NOT NULL'}${c[3] ? ` ${c[3]}` : ''}${c[4] ? ' generated' : ''}`;
  for (const [n, c] of after) {
    const o = before.get(n);
    if (!o) out.push(`column ${n} added (${show(c)})`);
    else if (show(o) !== show(c) || o[5] !== c[5]) out.push(`column ${n} ${show(o)} → ${show(c)}`);
  }
  for (const n of before.keys()) if (!after.has(n)) out.push(`column ${n} dropped`);
  if (out.length === 0 && a.columns.map((c) => c[0]).join() !== b.columns.map((c) => c[0]).join()) out.push(`columns reordered (${b.columns.map((c) => c[0]).join(', ')})`);
  if (a.pk.join() !== b.pk.join()) out.push(`primary key (${a.pk.join(', ')}) → (${b.pk.join(', ')})`);
  return out.join('; ') || 'definition changed';
}

/**
 * Pure: the live definitions against the record. A table changed on one side
 * only is a blocker even where the sides would still pass the start's target
 * check (a nullable column dropped on the source is still on the target, with
 * values nobody keeps up); changed on both sides, they must agree again.
 */
export function assessDrift(recorded: SchemaRecord, src: Map<string, TableInfo>, dst: Map<string, TableInfo>): Drift {
  const out: Drift = { blockers: [], changed: [] };
  for (const [t, s] of src) {
    const d = dst.get(t);
    if (!s.exists || !d?.exists) {
      out.blockers.push({ table: t, text: `${t}: no longer exists on the ${!s.exists ? 'source' : 'target'}` });
      continue;
    }
    const r = recorded[t];
    const [fs, fd] = [fingerprint(s), fingerprint(d)];
    const srcChanged = r !== undefined && fs !== r.source;
    const dstChanged = r !== undefined && fd !== r.target;
    const diffs = schemaDifferences(s, d);
    if (srcChanged && dstChanged && diffs.length === 0) {
      out.changed.push(t);
      continue;
    }
    if (!srcChanged && !dstChanged && diffs.length === 0) continue;
    const parts = [
      ...(srcChanged ? [`changed on the source since the split recorded it (${describeChange(r.source, fs)})`] : []),
      ...(dstChanged ? [`changed on the target since the split recorded it (${describeChange(r.target, fd)})`] : []),
      ...(srcChanged !== dstChanged ? [`the ${srcChanged ? 'target' : 'source'} was not changed`] : []),
      ...(diffs.length && (srcChanged === dstChanged) ? [`the sides differ: ${diffs.join('; ')}`] : []),
    ];
    out.blockers.push({ table: t, text: `${t} ${parts.join('; ')}` });
  }
  return out;
}

/** The refusal's text: what differs and what to do about it. */
export function driftMessage(service: string, d: Drift): string {
  return `the moved tables' definitions no longer agree: ${d.blockers.map((b) => b.text).join('; ')}. ` +
    `While ${service} is split, a schema change on a moved table must be made on both sides: apply the same ALTER TABLE on the side that did not change ` +
    `(or undo it where it was made), then run split-db verify ${service} (captured changes parked meanwhile are retried; repair mends what verify finds)`;
}

/** Pure: the record of both sides' definitions now. */
export function recordOf(src: Map<string, TableInfo>, dst: Map<string, TableInfo>): SchemaRecord {
  const out: SchemaRecord = {};
  for (const [t, s] of src) if (s.exists && dst.get(t)?.exists) out[t] = { source: fingerprint(s), target: fingerprint(dst.get(t)!) };
  return out;
}

async function infos(side: SplitContext['source'], tables: string[]): Promise<Map<string, TableInfo>> {
  const out = new Map<string, TableInfo>();
  for (const t of tables) out.set(t, await tableInfo(side.knex, side.db, t));
  return out;
}

/** Both sides' definitions of the moved tables, read from information_schema. */
async function bothSides(ctx: SplitContext): Promise<[Map<string, TableInfo>, Map<string, TableInfo>]> {
  const tables = ctx.service.spec.tables;
  return Promise.all([infos(ctx.source, tables), infos(ctx.target, tables)]);
}

/** Records the moved tables' definitions as both sides have them now (start, once the target tables exist). */
export async function recordSchema(ctx: SplitContext, state: SplitState): Promise<void> {
  state.schema = recordOf(...(await bothSides(ctx)));
}

/**
 * Compares both sides with the record (module comment): the refusal when they
 * differ; a change made alike on both sides becomes the new record (saved,
 * noted, logged, `schemaChangedAt` set for the verify gate). A split started
 * by a version without the record gets today's definitions as its record, if
 * the sides agree. Read-only under a dry run.
 */
export async function reconcileSchema(ctx: SplitContext, state: SplitState): Promise<{ refusal: string | null; changed: boolean }> {
  const [src, dst] = await bothSides(ctx);
  const d = assessDrift(state.schema ?? recordOf(src, dst), src, dst);
  if (d.blockers.length) return { refusal: driftMessage(ctx.service.name, d), changed: false };
  if ((state.schema !== undefined && d.changed.length === 0) || ctx.dryRun) return { refusal: null, changed: false };
  const first = state.schema === undefined;
  state.schema = recordOf(src, dst);
  if (!first) {
    state.schemaChangedAt = new Date().toISOString();
    note(state, 'schema changed', `${d.changed.join(', ')}: changed alike on both sides; the cutover needs a verify started after this`);
    ctx.log.warn({ service: ctx.service.name, tables: d.changed }, 'split-db: moved tables changed alike on both sides; their new definitions are recorded');
  }
  await ctx.store.save(state);
  return { refusal: null, changed: !first };
}

/** reconcileSchema for a command that cannot go on while the sides differ: throws BLOCKED (exit 3) with the refusal. */
export async function checkSchema(ctx: SplitContext, state: SplitState): Promise<void> {
  const { refusal } = await reconcileSchema(ctx, state);
  if (refusal === null) return;
  ctx.log.warn({ service: ctx.service.name, refusal }, 'split-db: a moved table\'s definition changed on one side only');
  throw new SplitError('BLOCKED', refusal);
}

/** For status: the refusal checkSchema would throw now, or what it would record; null when nothing changed (never throws, never writes). */
export async function schemaDriftNow(ctx: SplitContext, state: SplitState): Promise<string | null> {
  if (state.schema === undefined || state.phase === 'completed') return null;
  const d = assessDrift(state.schema, ...(await bothSides(ctx)));
  if (d.blockers.length) return driftMessage(ctx.service.name, d);
  if (d.changed.length) return `${d.changed.join(', ')} changed alike on both sides since the split recorded them: the next command records the new definitions, and the cutover then needs a verify started after that`;
  return null;
}
