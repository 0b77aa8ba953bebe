import type { Knex } from '../../../lib/db.ts';
import { drain } from './applier.ts';
import { isRetryable, sleep, type SplitContext } from './context.ts';
import { openConnection } from './side.ts';
import { SplitError } from './errors.ts';
import type { Link } from './link.ts';
import { qq } from './sql.ts';
import { note, type IndexDeferral, type SplitState } from './state.ts';

/**
 * Secondary indexes built after the copy (myloader's --innodb-optimize-keys,
 * Vitess' --defer-secondary-keys, Spirit's DeferSecondaryIndexes): before the
 * first chunk, the target table's non-unique secondary indexes are dropped;
 * when every chunk is on the target, they are added back in one
 * `ALTER TABLE … ADD KEY …, ADD KEY …, ALGORITHM=INPLACE, LOCK=NONE` — InnoDB
 * builds each by sorting the table's rows once, instead of one random B-tree
 * insert per row per index during the copy — while the applier keeps
 * applying captured changes (LOCK=NONE). The copy is declared done (phase
 * `copied`, so verify and cutover can run) only after that ALTER and a check
 * that the table's definition is again exactly what it was.
 *
 * Kept (never dropped): PRIMARY and UNIQUE keys (REPLACE finds the rows it
 * replaces through them; dropping one would change what the copy and the
 * applier write), FULLTEXT and SPATIAL keys (no LOCK=NONE build), an index a
 * foreign key needs (its leading columns are an FK's columns, on either side),
 * the index whose first column is the AUTO_INCREMENT column, indexes over
 * VIRTUAL columns, and every index of a table whose engine is not InnoDB.
 *
 * Crash safety: the decision (the indexes and the table's whole definition) is
 * saved in the state BEFORE the drop (step `planned`); after the drop it is
 * `dropped`; after the re-add and the definition check, `restored`. The drop
 * (`DROP KEY IF EXISTS`) and the re-add (`ADD KEY IF NOT EXISTS`) are both
 * idempotent, so a kill -9 anywhere — between the drop and its save, during
 * the copy, during the ALTER (the server finishes or rolls back the ALTER on
 * its own; a resumed ALTER waits for it behind the metadata lock) or after it
 * — resumes to the same end: the recorded definition.
 */

/** A key line of SHOW CREATE TABLE: `KEY \`name\` (\`a\`,\`b\`(10)) COMMENT '…'`. */
const KEY_LINE = /^\s*KEY\s+`((?:[^`]|``)+)`\s*\(/;
const COLUMN_LINE = /^\s*`((?:[^`]|``)+)`\s/;

export interface KeptIndex {
  name: string;
  why: string;
}

/** The columns of an index line, in order (backquoted names inside its first parenthesis). Pure. */
export function indexColumns(line: string): string[] {
  const open = line.indexOf('(', line.indexOf('`', line.indexOf('`') + 1) + 1);
  let depth = 0;
  let inName = false;
  let end = line.length;
  for (let i = open; i < line.length; i++) {
    const c = line[i];
    if (c === '`') inName = !inName;
    else if (!inName && c === '(') depth++;
    else if (!inName && c === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  return [...line.slice(open, end).matchAll(/`((?:[^`]|``)+)`/g)].map((m) => m[1].replace(/``/g, '`'));
}

/**
 * Pure: which secondary indexes of a table (its SHOW CREATE TABLE) can be
 * dropped for the copy and added back after it, and which stay and why.
 * `fkColumns`: the column lists of every foreign key that involves the table
 * (its own FKs' columns and the referenced columns of FKs pointing at it).
 */
export function deferrableIndexes(createSql: string, fkColumns: string[][]): { defer: Array<{ name: string; clause: string }>; kept: KeptIndex[] } {
  const lines = createSql.split('\n');
  const defer: Array<{ name: string; clause: string }> = [];
  const kept: KeptIndex[] = [];
  const engine = /\)\s*ENGINE=(\w+)/i.exec(createSql)?.[1];
  const autoInc = new Set<string>();
  const virtual = new Set<string>();
  for (const l of lines) {
    const m = COLUMN_LINE.exec(l);
    if (!m) continue;
    if (/\sAUTO_INCREMENT\b/i.test(l)) autoInc.add(m[1]);
    if (/\sGENERATED ALWAYS AS\b.*\sVIRTUAL\b/i.test(l) || /\sAS\s*\(.*\)\s*VIRTUAL\b/i.test(l)) virtual.add(m[1]);
  }
  const same = (a: string[], b: string[]) => a.length >= b.length && b.every((c, i) => a[i].toLowerCase() === c.toLowerCase());
  for (const l of lines) {
    const m = KEY_LINE.exec(l);
    if (!m) continue;
    const name = m[1].replace(/``/g, '`');
    const cols = indexColumns(l);
    let why: string | undefined;
    if (!engine || engine.toLowerCase() !== 'innodb') why = `engine ${engine ?? 'unknown'} (only InnoDB builds indexes online)`;
    else if (cols.length && autoInc.has(cols[0])) why = 'its first column is the AUTO_INCREMENT column';
    else if (fkColumns.some((fk) => fk.length && same(cols, fk))) why = 'a foreign key needs it';
    else if (cols.some((c) => virtual.has(c))) why = 'it covers a VIRTUAL column';
    if (why) kept.push({ name, why });
    else defer.push({ name, clause: l.trim().replace(/,$/, '') });
  }
  return { defer, kept };
}

/** A definition for comparison: no AUTO_INCREMENT counter, one line per element without its trailing comma, in order of text. Pure. */
export function definitionLines(createSql: string): string[] {
  return createSql.replace(/\sAUTO_INCREMENT=\d+/i, '').split('\n').map((l) => l.trim().replace(/,$/, '')).filter(Boolean).sort();
}

/** `ADD KEY IF NOT EXISTS …` of a deferred index's clause. Pure. */
export function addClause(clause: string): string {
  return `ADD ${clause.replace(/^KEY\s+/i, 'KEY IF NOT EXISTS ')}`;
}

async function showCreate(knex: Knex, db: string, table: string): Promise<string> {
  const [[row]] = await knex.raw(`SHOW CREATE TABLE ${qq(db, table)}`);
  return String((row as Record<string, unknown>)['Create Table']);
}

/** Column lists of every foreign key on the target that involves `table` (either side). */
async function fkColumnLists(knex: Knex, db: string, table: string): Promise<string[][]> {
  const [rows] = await knex.raw(
    `SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS c, COLUMN_NAME AS col, REFERENCED_TABLE_NAME AS rt, REFERENCED_COLUMN_NAME AS rcol
       FROM information_schema.KEY_COLUMN_USAGE
      WHERE REFERENCED_TABLE_NAME IS NOT NULL AND ((TABLE_SCHEMA = ? AND TABLE_NAME = ?) OR (REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?))
      ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, [db, table, db, table]);
  const lists = new Map<string, string[]>();
  for (const r of rows as Array<{ t: string; c: string; col: string; rt: string; rcol: string }>) {
    if (r.t === table) (lists.get(`c:${r.c}`) ?? lists.set(`c:${r.c}`, []).get(`c:${r.c}`)!).push(r.col);
    if (r.rt === table) (lists.get(`r:${r.t}.${r.c}`) ?? lists.set(`r:${r.t}.${r.c}`, []).get(`r:${r.t}.${r.c}`)!).push(r.rcol);
  }
  return [...lists.values()];
}

/**
 * Whether a copy defers indexes (`--defer-indexes`): `auto` and `on` defer on
 * both copy paths. `auto` once meant the stream copy only; on one server with
 * 1,000,000 products (249 MiB, a 128 MiB pool shared with the source) the
 * server-side copy with the keys in place took 39–42 s against the dump
 * pipe's 30, and 13.6–14.5 s with them built after (2026-12-07, bench split,
 * SPLIT_BENCH_DEFER): eight index write fronts do not fit the pool. Pure.
 */
export function defersIndexesFor(setting: 'auto' | 'on' | 'off'): boolean {
  return setting !== 'off';
}

/** Tables whose deferred indexes are not back yet, with the index names. Pure. */
export function pendingIndexes(state: SplitState): Array<{ table: string; indexes: string[]; step: IndexDeferral['step'] }> {
  return Object.entries(state.tables).flatMap(([table, p]) => (p.indexes && p.indexes.step !== 'restored' && p.indexes.indexes.length ? [{ table, indexes: p.indexes.indexes.map((i) => i.name), step: p.indexes.step }] : []));
}

/** The refusal of verify and cutover while indexes are pending (null when none are). Pure. */
export function pendingIndexesMessage(state: SplitState): string | null {
  const p = pendingIndexes(state);
  if (!p.length) return null;
  return `the target's secondary indexes ${p.map((x) => `${x.table}(${x.indexes.join(', ')})`).join('; ')} are not added back yet (deferred during the copy); run start to finish the copy`;
}

/**
 * Before the first chunk: decides per table (once, recorded in the state) and
 * drops the deferred indexes; a `planned` decision from a killed run is
 * carried out again. Tables whose copy has begun without a decision (a state
 * of an older version, or deferral off then) are left as they are.
 */
export async function dropDeferredIndexes(ctx: SplitContext, state: SplitState, link: Link): Promise<void> {
  const on = defersIndexesFor(ctx.opts.deferIndexes);
  for (const t of link.shapes.keys()) {
    const p = state.tables[t];
    if (!p.indexes) {
      if (!on || p.done || p.maxPk !== null || p.chunks > 0) continue;
      const definition = await showCreate(ctx.target.knex, ctx.target.db, t);
      const { defer, kept } = deferrableIndexes(definition, await fkColumnLists(ctx.target.knex, ctx.target.db, t));
      if (kept.length) ctx.log.info({ table: t, kept }, 'secondary indexes kept during the copy');
      // the definition is kept only where it is needed again (the state document is saved after every chunk)
      p.indexes = defer.length ? { definition, indexes: defer, step: 'planned' } : { definition: '', indexes: [], step: 'restored' };
      if (!defer.length) continue;
      // recorded before the drop: a kill right after the drop still knows what to add back
      note(state, 'indexes deferred', `${t}: ${defer.map((i) => i.name).join(', ')}`);
      await ctx.store.save(state);
    }
    if (p.indexes.step !== 'planned') continue;
    await ctx.target.knex.raw(`ALTER TABLE ${qq(ctx.target.db, t)} ${p.indexes.indexes.map((i) => `DROP KEY IF EXISTS \`${i.name.replace(/`/g, '``')}\``).join(', ')}`);
    ctx.log.info({ table: t, indexes: p.indexes.indexes.map((i) => i.name) }, 'target secondary indexes dropped for the copy; added back when it is done');
    ctx.faults.hit('indexes-dropped');
    p.indexes.step = 'dropped';
    await ctx.store.save(state);
  }
}

/**
 * Seconds a re-add ALTER waits for an InnoDB lock before it gives way and is
 * sent again (READD_ATTEMPTS in all). At its commit InnoDB locks the table
 * AND every table with a foreign key to it exclusively (MariaDB 10.6+: the
 * children too). A transaction holding a lock on such a child that then asks
 * for the table's metadata lock — held exclusively by the ALTER at that
 * moment — waits for the ALTER while the ALTER waits for it, a deadlock no
 * detector sees (one is InnoDB's, the other the server's): with the default
 * innodb_lock_wait_timeout the ALTER failed after 50 s (seen with the applier
 * applying an image row, then its product, while products' ALTER committed).
 * Given way, the ALTER's metadata lock is released, the other transaction
 * goes on, and the next attempt builds the keys again.
 */
export const READD_LOCK_WAIT_S = 10;
export const READD_ATTEMPTS = 5;

/**
 * Runs a re-add ALTER on a connection of its own (its lock wait bounded, see
 * READD_LOCK_WAIT_S), again after a lock wait timeout or deadlock.
 */
export async function runReAdd(dsn: string, sql: string, opts: { lockWaitS?: number; attempts?: number; onRetry?: (attempt: number, err: unknown) => void } = {}): Promise<void> {
  const attempts = opts.attempts ?? READD_ATTEMPTS;
  const conn = await openConnection(dsn);
  try {
    await conn.query(`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.floor(opts.lockWaitS ?? READD_LOCK_WAIT_S))}`);
    for (let i = 1; ; i++) {
      try {
        await conn.query(sql);
        return;
      } catch (err) {
        if (i >= attempts || !isRetryable(err)) throw err;
        opts.onRetry?.(i, err);
      }
    }
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

/** A re-add ALTER on its way (started by beginIndexRestore or restoreDeferredIndexes). */
interface RunningAlter {
  alter: Promise<unknown>;
  settled: boolean;
  t0: number;
}

/** Re-add ALTERs started while the copy of the other tables goes on, per run (per state document). */
const running = new WeakMap<SplitState, Map<string, RunningAlter>>();

function startAlter(ctx: SplitContext, state: SplitState, t: string, d: IndexDeferral): RunningAlter {
  const mine = running.get(state) ?? running.set(state, new Map()).get(state)!;
  const known = mine.get(t);
  if (known) return known;
  const sql = `ALTER TABLE ${qq(ctx.target.db, t)} ${d.indexes.map((i) => addClause(i.clause)).join(', ')}, ALGORITHM=INPLACE, LOCK=NONE`;
  ctx.log.info({ table: t, indexes: d.indexes.map((i) => i.name) }, 'adding the deferred secondary indexes back (online ALTER; the applier keeps applying)');
  const r: RunningAlter = { alter: Promise.resolve(), settled: false, t0: Date.now() };
  r.alter = runReAdd(ctx.target.dsn, sql, {
    onRetry: (attempt, err) => ctx.log.warn({ table: t, attempt, error: (err as Error).message }, 'the deferred indexes\' ALTER gave way to a lock wait; sent again'),
  }).finally(() => (r.settled = true));
  // awaited (and its failure reported) by restoreDeferredIndexes
  r.alter.catch(() => undefined);
  mine.set(t, r);
  return r;
}

/**
 * When a table's last chunk is on the target while other tables are still to
 * be copied: its deferred indexes start coming back at once, in the
 * background, so the server builds them while it loads the next tables (the
 * build is one thread; the loads of a table take turns on its AUTO-INC lock).
 * restoreDeferredIndexes awaits it (the applier keeps applying between the
 * copy's rounds meanwhile, as during any online ALTER) and checks the result.
 * A kill while it runs leaves the step at `dropped`: the next start adds the
 * indexes again (IF NOT EXISTS), as after a kill during restoreDeferredIndexes.
 */
export function beginIndexRestore(ctx: SplitContext, state: SplitState, table: string): void {
  const p = state.tables[table];
  if (p?.done && p.indexes?.step === 'dropped' && p.indexes.indexes.length) startAlter(ctx, state, table, p.indexes);
}

/**
 * After the last chunk: adds each table's deferred indexes back in one online
 * ALTER while the applier keeps applying (or awaits the ALTER beginIndexRestore
 * started), then checks the table's definition
 * is the recorded one (key lines may come back in another order when a kept
 * key stood after deferred ones; SHOW CREATE TABLE lists keys by kind, then
 * age). Throws SCHEMA_MISMATCH when a deferred index is not back as it was.
 */
export async function restoreDeferredIndexes(ctx: SplitContext, state: SplitState, link: Link, onApplied: (r: { changes: number }) => Promise<void>): Promise<void> {
  for (const t of link.shapes.keys()) {
    const d = state.tables[t]?.indexes;
    if (!d || d.step === 'restored') continue;
    const r = startAlter(ctx, state, t, d);
    const t0 = r.t0;
    const alter = r.alter;
    let applied = 0;
    for (let round = 0; ; round++) {
      const n = await drain(link, ctx.opts.applyBatch, ctx.faults, { maxMs: ctx.opts.targetChunkMs, signal: ctx.signal, onBatch: onApplied });
      applied += n;
      // after the first drain's round trips the ALTER is on the server, running
      if (round === 0) ctx.faults.hit('indexes-readding');
      if (r.settled || ctx.signal.aborted) break;
      if (n === 0) await Promise.race([alter.catch(() => undefined), sleep(100, ctx.signal)]);
    }
    // interrupted (SIGINT): the server finishes the ALTER on its own; the next start finds the indexes there (IF NOT EXISTS)
    if (!r.settled && ctx.signal.aborted) return;
    running.get(state)?.delete(t);
    try {
      await alter;
    } catch (err) {
      // the state still says the indexes are pending: verify and cutover refuse, the next start retries
      ctx.log.warn({ table: t, error: (err as Error).message }, 'adding the deferred indexes back failed; run start again to retry');
      throw err;
    }
    ctx.faults.hit('indexes-readded');
    const now = await showCreate(ctx.target.knex, ctx.target.db, t);
    const [want, got] = [definitionLines(d.definition), definitionLines(now)];
    if (want.join('\n') !== got.join('\n')) {
      const missing = want.filter((l) => !got.includes(l));
      const extra = got.filter((l) => !want.includes(l));
      ctx.log.warn({ table: t, missing, extra }, 'target table definition differs from the one recorded before the indexes were deferred');
      throw new SplitError('SCHEMA_MISMATCH', `${t} on the target is not its recorded definition after the deferred indexes were added back: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}`);
    }
    d.step = 'restored';
    note(state, 'indexes restored', `${t}: ${d.indexes.length} in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${applied} changes applied meanwhile`);
    await ctx.store.save(state);
  }
}
