import type { Facts } from './facts.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'server';
const f = findingsOf(NAME);

/** Oldest MariaDB the tool runs on: JSON_TABLE (changelog consumption) needs 10.6. */
export const MIN_MARIADB: [number, number] = [10, 6];

/** Pure: is this VERSION() string a server the tool supports? */
export function assessServer(side: 'source' | 'target', version: string): Finding[] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return [f.blocker(`${side}: cannot read the server version "${version}"`)];
  const [maj, min] = [Number(m[1]), Number(m[2])];
  if (!/mariadb/i.test(version)) {
    return [f.blocker(`${side}: ${version} is MySQL; the capture and fence triggers use MariaDB syntax (CREATE OR REPLACE TRIGGER, JSON_TABLE deletes)`, { fix: `use MariaDB ≥ ${MIN_MARIADB.join('.')} on both sides` })];
  }
  if (maj < MIN_MARIADB[0] || (maj === MIN_MARIADB[0] && min < MIN_MARIADB[1])) {
    return [f.blocker(`${side}: MariaDB ${m[0]} is older than ${MIN_MARIADB.join('.')} (JSON_TABLE is needed)`, { fix: `upgrade to MariaDB ≥ ${MIN_MARIADB.join('.')}` })];
  }
  return [];
}

export const server: Check = {
  name: NAME,
  what: `both servers are MariaDB ≥ ${MIN_MARIADB.join('.')}`,
  async run(facts: Facts) {
    const out = assessServer('source', (await facts.source()).version);
    const t = await facts.target();
    if (t.reachable) out.push(...assessServer('target', t.server.version));
    return out;
  },
};
