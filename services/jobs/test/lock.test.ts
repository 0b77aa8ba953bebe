import { expect } from 'chai';
import { withJobLock as legacyLock } from '../../../legacy/jobs/lock.ts';
import { jobLockKey } from '../../../lib/contract/jobs/periodic.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { withJobLock as eventsLock } from '../lock.ts';

/**
 * The events process and legacy's scheduler each have their own copy of the job lock (services/ never imports
 * legacy/); the two copies must take the same named lock, or a run of each could overlap.
 */
describe('periodic job lock: the events process and legacy exclude each other @integration', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase('job_lock', []); });
  after(async () => { await db?.drop(); });

  for (const [holder, other, holderName] of [[legacyLock, eventsLock, 'legacy'], [eventsLock, legacyLock, 'the events process']] as const) {
    it(`while ${holderName} runs a job, the other side's run of the same job is refused; another day is not`, async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let started!: () => void;
      const running = new Promise<void>((r) => { started = r; });
      const first = holder(db.knex, jobLockKey('shop-stats', '2024-03-01'), 0, async () => { started(); await held; return 'first'; });
      try {
        await running;
        expect(await other(db.knex, jobLockKey('shop-stats', '2024-03-01'), 0, async () => 'second')).to.deep.equal({ ran: false });
        expect(await other(db.knex, jobLockKey('shop-stats', '2024-03-02'), 0, async () => 'other day')).to.deep.equal({ ran: true, value: 'other day' });
      } finally {
        release(); // also when an assertion failed: the holder must let go, or the test hangs
      }
      expect(await first).to.deep.equal({ ran: true, value: 'first' });
      expect(await other(db.knex, jobLockKey('shop-stats', '2024-03-01'), 0, async () => 'after')).to.deep.equal({ ran: true, value: 'after' });
    });
  }
});
