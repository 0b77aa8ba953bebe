import { expect } from 'chai';
import { createKnex, type Knex } from '../../../lib/db.ts';
import { mariaDbAvailable, sharedMariaDb, stopSharedMariaDb, type MariaDbServer } from '../../../test/helpers/mariadb-server.ts';
import { planCommand, startCommand, statusCommand } from '../lib/commands.ts';
import { closeContext } from '../lib/context.ts';
import { compareDatabases, isClean, summary } from './harness/checker.ts';
import { createMatrixPair, MATRIX_TABLES, type MatrixPair } from './type-fixture.ts';

/**
 * The stream copy's write path across two servers: LOAD DATA LOCAL when the
 * target allows it, batch REPLACE statements when it has local_infile=OFF —
 * and plan, state and status say which and why.
 */
describe('split-db stream copy into a target with local_infile=OFF (second server) @integration', function () {
  this.timeout(90_000);
  let second: MariaDbServer;
  let admin: Knex;
  let pair: MatrixPair;
  before(async function () {
    if (!mariaDbAvailable()) this.skip();
    second = await sharedMariaDb();
    admin = createKnex(second.dsn(), { pool: { max: 1 } });
    pair = await createMatrixPair('sw', second.dsn());
  });
  after(async () => {
    await admin?.raw('SET GLOBAL local_infile = 1').catch(() => undefined);
    await admin?.destroy();
    await pair?.drop();
    await stopSharedMariaDb();
  });

  it('plan says LOAD DATA while the target allows it; with local_infile=OFF plan and status say batch REPLACE and why, and the copy is exact', async () => {
    const ctx = pair.context({ copyMode: 'stream' });
    try {
      // the harness's server runs MariaDB's default AUTO-INC lock mode (1): plan says what that costs the copy
      expect((await planCommand(ctx)).copyWrite).to.match(/^LOAD DATA LOCAL INFILE .*local_infile=ON\); chunks into a table with an AUTO_INCREMENT column load one at a time \(target innodb_autoinc_lock_mode=1;/);
      await admin.raw('SET GLOBAL local_infile = 0');
      const plan = await planCommand(ctx);
      expect(plan.copyWrite).to.match(/^batch REPLACE statements: the target has local_infile=OFF/);
      expect(plan.steps.join('\n')).to.contain('local_infile=OFF');
      const r = await startCommand(ctx, {});
      expect('state' in r && r.state.copyPath).to.match(/^stream: batch REPLACE statements: the target has local_infile=OFF/);
      expect((await statusCommand(ctx)).copyPath).to.match(/local_infile=OFF/);
      const check = await compareDatabases({ knex: pair.source, db: pair.sourceName }, { knex: pair.target, db: pair.targetName }, MATRIX_TABLES);
      expect(isClean(check), summary(check)).to.equal(true);
      expect(check.compared).to.be.greaterThan(300);
    } finally {
      await admin.raw('SET GLOBAL local_infile = 1');
      await closeContext(ctx);
    }
  });

  it('--stream-write load-data into a target with local_infile=OFF is refused with what to do', async () => {
    await admin.raw('SET GLOBAL local_infile = 0');
    const ctx = pair.context({ copyMode: 'stream', streamWrite: 'load-data' });
    try {
      const plan = await planCommand(ctx);
      expect(plan.copyWrite).to.match(/^unknown \(--stream-write load-data: the target .* has local_infile=OFF \(SET GLOBAL local_infile = 1 there/);
    } finally {
      await admin.raw('SET GLOBAL local_infile = 1');
      await closeContext(ctx);
    }
  });
});
