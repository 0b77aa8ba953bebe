import { parseMysqlDsn } from '../../../../lib/db.ts';
import { sameServer } from '../side.ts';
import type { Facts, ServerFacts } from './facts.ts';
import { holds, parseGrants } from './grants.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'privileges';
const f = findingsOf(NAME);

type SideName = 'source' | 'target' | 'ownership';

export interface Requirement {
  side: SideName;
  privilege: string;
  /** null: a global privilege (ON *.*). */
  db: string | null;
  /** null: database level (the tool also creates tables there). */
  table: string | null;
  why: string;
  severity: 'blocker' | 'warning';
}

export interface PrivilegeInput {
  sourceDb: string;
  targetDb: string;
  ownershipDb: string;
  moved: string[];
  /** Tables staying behind whose FK into a moved table start drops. */
  fkDrops: string[];
  /** Parents of FK cascades into moved tables (they get the tool's cascade triggers). */
  cascadeParents: string[];
}

const DB_SOURCE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP'];
const DB_TARGET = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'ALTER', 'INDEX', 'REFERENCES', 'TRIGGER'];
const DB_OWNERSHIP = ['SELECT', 'INSERT', 'UPDATE'];

/** Every privilege a split needs, and where (pure). */
export function requiredPrivileges(i: PrivilegeInput): Requirement[] {
  const out: Requirement[] = [];
  const add = (side: SideName, privilege: string, db: string | null, table: string | null, why: string, severity: 'blocker' | 'warning' = 'blocker') => out.push({ side, privilege, db, table, why, severity });
  for (const p of DB_SOURCE) add('source', p, i.sourceDb, null, 'state, changelog and fence tables; reverse apply; complete renames the old tables');
  for (const t of i.moved) {
    add('source', 'TRIGGER', i.sourceDb, t, 'capture and fence triggers');
    add('source', 'ALTER', i.sourceDb, t, 'complete renames the old table');
  }
  for (const t of i.cascadeParents) add('source', 'TRIGGER', i.sourceDb, t, 'cascade capture trigger');
  for (const t of i.fkDrops) add('source', 'ALTER', i.sourceDb, t, 'start drops its foreign key into a moved table');
  for (const p of DB_TARGET) add('target', p, i.targetDb, null, 'create the schema from migrations, copy, fence and reverse-capture triggers');
  for (const p of DB_OWNERSHIP) add('ownership', p, i.ownershipDb, null, 'cutover flips service_ownership and writes its audit row');
  add('source', 'PROCESS', null, null, 'name the sessions that block DDL or the freeze', 'warning');
  add('target', 'PROCESS', null, null, 'name the sessions that block DDL or the freeze', 'warning');
  return out;
}

/** Findings for the requirements the grants do not meet, one per side and privilege (pure). */
export function assessPrivileges(reqs: Requirement[], servers: Partial<Record<SideName, ServerFacts>>, users: Partial<Record<SideName, string>>): Finding[] {
  const out: Finding[] = [];
  const grants = Object.fromEntries(Object.entries(servers).map(([k, s]) => [k, parseGrants(s!.grants)]));
  const missing = new Map<string, { r: Requirement; where: string[] }>();
  for (const r of reqs) {
    const g = grants[r.side];
    if (!g) continue;
    if (holds(g, r.privilege, r.db, r.table)) continue;
    const key = `${r.side}\0${r.privilege}\0${r.severity}`;
    const e = missing.get(key) ?? { r, where: [] };
    const where = r.db === null ? '*.*' : r.table === null ? `${r.db}.*` : `${r.db}.${r.table}`;
    if (!e.where.includes(where)) e.where.push(where);
    missing.set(key, e);
  }
  for (const { r, where } of missing.values()) {
    const user = users[r.side] ?? 'the tool user';
    const on = where.length > 3 ? `${where.slice(0, 3).join(', ')} and ${where.length - 3} more` : where.join(', ');
    const msg = `${r.side}: ${user} lacks ${r.privilege} on ${on} (needed to ${r.why})`;
    const fix = `GRANT ${r.privilege} ON ${r.db === null ? '*.*' : r.table === null ? `\`${r.db}\`.*` : `\`${r.db}\`.<table>`} TO ${user}`;
    out.push(r.severity === 'blocker' ? f.blocker(msg, { fix }) : f.warning(msg, { fix }));
  }
  for (const [side, s] of Object.entries(servers) as Array<[SideName, ServerFacts]>) {
    if (side === 'ownership' || !s.logBin || s.trustFunctionCreators) continue;
    if (!holds(grants[side], 'SUPER', null)) {
      out.push(f.blocker(`${side}: binary logging is on and log_bin_trust_function_creators is off, so CREATE TRIGGER needs SUPER, which ${users[side] ?? 'the tool user'} lacks`, {
        fix: 'SET GLOBAL log_bin_trust_function_creators = 1 (and in the server config), or GRANT SUPER ON *.*',
      }));
    }
  }
  return out;
}

function userOf(dsn: string): string {
  try {
    return `'${decodeURIComponent(new URL(dsn).username || 'root')}'`;
  } catch {
    return 'the tool user';
  }
}

export const privileges: Check = {
  name: NAME,
  what: 'the tool user holds TRIGGER, CREATE, DROP, ALTER, INSERT/UPDATE/DELETE/SELECT on the source; CREATE, DROP, ALTER, INDEX, REFERENCES, TRIGGER, DML on the target; DML on the ownership table; PROCESS (warning); SUPER when the binlog needs it',
  async run(facts) {
    const ctx = facts.ctx;
    const cat = await facts.catalog();
    const moved = new Set(facts.moved);
    const fkDrops = [...new Set(cat.fks.filter((fk) => !moved.has(fk.table) && moved.has(fk.refTable) && ctx.service.spec.crossingForeignKeys[`${fk.table}.${fk.name}`]).map((fk) => fk.table))];
    const acts = (r: string) => r === 'CASCADE' || r === 'SET NULL' || r === 'SET DEFAULT';
    const cascadeParents = [...new Set(cat.fks.filter((fk) => moved.has(fk.table) && (acts(fk.onDelete) || acts(fk.onUpdate))).map((fk) => fk.refTable))];
    const reqs = requiredPrivileges({ sourceDb: ctx.source.db, targetDb: ctx.target.db, ownershipDb: parseMysqlDsn(ctx.service.ownershipDsn).database ?? ctx.source.db, moved: facts.moved, fkDrops, cascadeParents });
    const servers: Partial<Record<SideName, ServerFacts>> = { source: await facts.source() };
    const t = await facts.target();
    if (t.reachable) servers.target = t.server; // unreachable: the target check reports it
    servers.ownership = sameServer(ctx.service.ownershipDsn, ctx.service.sourceDsn) ? servers.source : await facts.ownership();
    return assessPrivileges(reqs, servers, { source: userOf(ctx.service.sourceDsn), target: userOf(ctx.service.targetDsn), ownership: userOf(ctx.service.ownershipDsn) });
  },
};
