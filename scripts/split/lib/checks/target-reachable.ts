import { findingsOf, type Check } from './types.ts';

export const NAME = 'target-reachable';
const f = findingsOf(NAME);

export const targetReachable: Check = {
  name: NAME,
  what: 'the target server answers with the target DSN\'s credentials (the database itself may be missing: start creates it)',
  async run(facts) {
    const t = await facts.target();
    if (!t.reachable) return [f.blocker(`target ${facts.ctx.target.masked} is not reachable: ${t.error}`, { fix: 'check the target DSN (manifest, --target or SPLIT_TARGET_URL_<SERVICE>), the server and the user' })];
    if (!t.databaseExists) return [f.warning(`target database ${facts.ctx.target.db} does not exist yet; start creates it`)];
    return [];
  },
};
