import { createKnex, type Knex } from '../../../lib/db.ts';
import { createMysqlOwnershipRegistry, type MysqlOwnershipRegistry } from '../../../lib/ownership/index.ts';
import type { SplitContext } from './context.ts';

export interface OwnershipHandle {
  registry: MysqlOwnershipRegistry;
  knex: Knex;
  close(): Promise<void>;
}

/** The registry the cutover flips (legacy database by default), announced over Redis when configured. */
export async function openOwnership(ctx: SplitContext, opts: { announce?: boolean; session?: string[]; onConnect?: (threadId: number) => void } = {}): Promise<OwnershipHandle> {
  const knex = createKnex(ctx.service.ownershipDsn, { pool: { min: 0, max: 2 }, session: opts.session, onConnect: opts.onConnect });
  const registry = await createMysqlOwnershipRegistry({ knex, pollMs: 0, redisUrl: opts.announce ? ctx.redisUrl : undefined, redisWaitMs: 1000, logger: ctx.log, channel: ctx.ownershipChannel });
  return {
    registry,
    knex,
    async close() {
      await registry.close();
      await knex.destroy();
    },
  };
}
