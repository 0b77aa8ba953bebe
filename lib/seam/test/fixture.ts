import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { uniqueRedisPrefix } from '../../../test/helpers/wait.ts';
import { createMysqlOwnershipRegistry, type MysqlOwnershipRegistry } from '../../ownership/index.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const FENCE_MESSAGE = 'split-db: writes to items are fenced (cutover in progress)';

/**
 * Two real databases (the monolith's `legacy` and the domain's `own`), an
 * `items` table in each, the registry in legacy, and a second registry
 * handle standing in for split-db (the process that flips ownership).
 */
export class SeamFixture {
  legacy!: TestDatabase;
  own!: TestDatabase;
  app!: MysqlOwnershipRegistry;
  cutover!: MysqlOwnershipRegistry;
  readonly channel = `${uniqueRedisPrefix('seam')}ownership`;

  static async create(opts: { appPollMs?: number } = {}): Promise<SeamFixture> {
    const f = new SeamFixture();
    f.legacy = await createTestDatabase('seamL', []);
    f.own = await createTestDatabase('seamO', []);
    for (const k of [f.legacy.knex, f.own.knex]) await k.raw('CREATE TABLE items (id INT NOT NULL PRIMARY KEY, writer INT NOT NULL)');
    f.app = await createMysqlOwnershipRegistry({ knex: f.legacy.knex, domains: ['items'], pollMs: opts.appPollMs ?? 0, redisUrl: REDIS_URL, channel: f.channel, redisWaitMs: 2000 });
    f.cutover = await createMysqlOwnershipRegistry({ knex: f.legacy.knex, pollMs: 0, redisUrl: REDIS_URL, channel: f.channel, redisWaitMs: 2000 });
    return f;
  }

  /** What split-db's fence does to the old copy: triggers that SIGNAL 45000, or the table renamed away. */
  async raiseFence(kind: 'trigger' | 'rename', side: 'legacy' | 'own' = 'legacy'): Promise<void> {
    const k = this[side].knex;
    if (kind === 'rename') await k.raw('RENAME TABLE items TO _items_fenced');
    else {
      for (const ev of ['INSERT', 'UPDATE', 'DELETE']) {
        await k.raw(`CREATE TRIGGER items_fence_${ev.toLowerCase()} BEFORE ${ev} ON items FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${FENCE_MESSAGE}'`);
      }
    }
  }

  async lowerFence(side: 'legacy' | 'own'): Promise<void> {
    for (const ev of ['insert', 'update', 'delete']) await this[side].knex.raw(`DROP TRIGGER IF EXISTS items_fence_${ev}`);
  }

  async legacyIds(kind: 'trigger' | 'rename' = 'trigger'): Promise<number[]> {
    return ids(this.legacy.knex, kind === 'rename' ? '_items_fenced' : 'items');
  }

  async ownIds(): Promise<number[]> {
    return ids(this.own.knex, 'items');
  }

  flip(): Promise<unknown> {
    return this.cutover.set('items', { owner: 'service', database: 'own' }, { actor: 'test-cutover', reason: 'seam test' });
  }

  flipBack(): Promise<unknown> {
    return this.cutover.set('items', { owner: 'legacy', database: 'legacy' }, { actor: 'test-rollback', reason: 'seam test' });
  }

  async close(): Promise<void> {
    await this.app?.close();
    await this.cutover?.close();
    await this.legacy?.drop();
    await this.own?.drop();
  }
}

async function ids(k: Knex, table: string): Promise<number[]> {
  return ((await k(table).select('id').orderBy('id')) as Array<{ id: number }>).map((r) => Number(r.id));
}
