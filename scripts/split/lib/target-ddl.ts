import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { SplitError } from './errors.ts';
import type { ServiceSpec } from './manifest.ts';

/** A foreign key as SHOW CREATE TABLE writes it. */
const FK_LINE = /^\s*CONSTRAINT\s+`((?:[^`]|``)+)`\s+FOREIGN KEY\s*\([^)]*\)\s*REFERENCES\s+(?:`((?:[^`]|``)+)`\.)?`((?:[^`]|``)+)`/i;

export interface TargetDdl {
  sql: string;
  /** Constraints left out (crossing foreign keys the manifest decided to drop). */
  dropped: string[];
}

/**
 * Pure: the CREATE TABLE for the target from the source's SHOW CREATE TABLE:
 * foreign keys to tables that stay (or to another database) are left out when
 * the manifest decides "drop" for `<table>.<constraint>`, and refused
 * otherwise; everything else (columns, keys, charset, collation,
 * AUTO_INCREMENT, row format) is carried. Triggers are not part of SHOW CREATE
 * TABLE, so neither the tool's capture triggers nor the application's go with it.
 */
export function targetDdl(table: string, createSql: string, moved: Set<string>, decisions: ServiceSpec['crossingForeignKeys']): TargetDdl {
  const dropped: string[] = [];
  const kept: string[] = [];
  for (const line of createSql.split('\n')) {
    const m = FK_LINE.exec(line);
    if (m) {
      const [, name, db, ref] = m;
      const crossing = !!db || !moved.has(ref);
      if (crossing) {
        if (decisions[`${table}.${name}`]?.action !== 'drop') {
          throw new SplitError('BLOCKED', `${table}.${name} references ${db ? `${db}.` : ''}${ref}, which is not moved; the manifest must decide "drop" for it under crossingForeignKeys`);
        }
        dropped.push(name);
        continue;
      }
    }
    kept.push(line);
  }
  // the line before the closing parenthesis must not end with a comma
  for (let i = 0; i < kept.length - 1; i++) {
    if (/^\s*\)/.test(kept[i + 1]) && kept[i].endsWith(',')) kept[i] = kept[i].slice(0, -1);
  }
  const sql = kept.join('\n').replace(/^CREATE TABLE\s+(?!IF NOT EXISTS)/i, 'CREATE TABLE IF NOT EXISTS ');
  return { sql, dropped };
}

/** Statements of a SQL file, split at a `;` ending a line. Pure. */
export function sqlStatements(text: string): string[] {
  return text.split(/;[ \t]*(?:\r?\n|$)/).map((s) => s.replace(/^(?:\s*--[^\n]*\n)+/, '').trim()).filter(Boolean);
}

/** knex.raw treats `?` as a binding; DDL text must keep it literal. */
export const rawLiteral = (sql: string) => sql.replace(/\?/g, '\\?');

const MIGRATION_FILE = /\.(?:js|mjs|cjs|ts|mts|cts)$/;

/** A knex migration source over any folder: JS or TS files (imported by Node, TS through type stripping), by name. */
export function anyFolderSource(dir: string): Knex.MigrationSource<string> {
  return {
    async getMigrations() {
      return (await readdir(dir)).filter((f) => MIGRATION_FILE.test(f) && !/\.d\.[cm]?ts$/.test(f) && !/\.(test|spec)\./.test(f) && extname(f) !== '').sort();
    },
    getMigrationName: (file) => file,
    async getMigration(file) {
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as Knex.Migration & { default?: Knex.Migration };
      return typeof mod.up === 'function' ? mod : (mod.default ?? mod);
    },
  };
}

/** One line for plan: where the target schema comes from. */
export function describeSchemaSource(spec: ServiceSpec): string {
  if (spec.migrations) return `apply migrations/${spec.migrations}`;
  const s = spec.schema;
  if (s && 'migrations' in s) return `run the knex migrations in ${s.migrations} (migrations table ${s.table})`;
  if (s && 'sql' in s) return `run ${s.sql}`;
  return 'create the moved tables from the source\'s SHOW CREATE TABLE (crossing FKs decided "drop" left out, AUTO_INCREMENT carried)';
}
