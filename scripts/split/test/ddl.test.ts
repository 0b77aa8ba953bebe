import { expect } from 'chai';
import { createKnex } from '../../../lib/db.ts';
import { closeContext } from '../lib/context.ts';
import { startCommand } from '../lib/commands.ts';
import { backoffMs, describeBlockers } from '../lib/ddl.ts';
import { validateOptions } from '../lib/options.ts';
import { createPair, productContext, seedCatalog, type Pair } from './helpers.ts';
import { StallMeter } from './stall.ts';

const LOCK_WAIT_MS = 300;

describe('split-db DDL never stalls the application (#5) @integration', function () {
  this.timeout(60_000);
  let pair: Pair;

  before(async () => {
    pair = await createPair('ddl');
    await seedCatalog(pair.source.knex, 200);
  });
  after(async () => {
    await pair.drop();
  });

  it('start behind a long transaction on a moved table: writers never wait past the short lock wait; the error names the transaction; start works once it ends', async () => {
    const holder = createKnex(pair.source.dsn, { pool: { min: 1, max: 1 } });
    const tx = await holder.transaction();
    const [[me]] = await tx.raw('SELECT CONNECTION_ID() AS id');
    await tx.raw("UPDATE products SET name = 'held by a long transaction' WHERE id = 1");
    const meter = new StallMeter(pair.source.dsn, (k, i) => k.raw('UPDATE products SET view_count = view_count + 1 WHERE id = ?', [2 + (i % 150)]));
    meter.start();
    // on the old code start waits for the metadata lock as long as the transaction stays open: end it after 6 s
    const release = setTimeout(() => void tx.commit().catch(() => undefined), 6000);
    const ctx = productContext(pair, { ddlLockWaitMs: LOCK_WAIT_MS, ddlRetries: 2 });
    let err: { code?: string; message?: string } | undefined;
    try {
      await startCommand(ctx, {});
    } catch (e) {
      err = e as typeof err;
    } finally {
      clearTimeout(release);
      await tx.rollback().catch(() => undefined);
      await holder.destroy();
      await meter.stop();
      await closeContext(ctx);
    }
    // the writer kept writing, and no write waited much longer than one DDL attempt
    expect(meter.ok).to.be.greaterThan(20);
    expect(meter.maxMs, `longest write ${Math.round(meter.maxMs)} ms`).to.be.lessThan(LOCK_WAIT_MS + 700);
    expect(err?.code, err?.message).to.equal('LOCKED');
    expect(err?.message).to.include(`session ${me.id}`);
    expect(err?.message).to.match(/transaction open \d+ s/);
    expect(err?.message).to.match(/--ddl-lock-wait-ms/);
    expect(err?.message).not.to.match(/mysql:\/\//);

    // nothing blocks any more: the same start resumes and finishes
    const ctx2 = productContext(pair, { ddlLockWaitMs: LOCK_WAIT_MS, ddlRetries: 2 });
    try {
      const r = await startCommand(ctx2, {});
      expect('state' in r && r.state.phase).to.equal('copied');
    } finally {
      await closeContext(ctx2);
    }
  });

  it('backs off between attempts and describes blockers without credentials', () => {
    expect([2, 3, 4, 10].map(backoffMs)).to.deep.equal([100, 200, 400, 2000]);
    const text = describeBlockers([{ id: 7, user: 'app', host: '10.0.0.1:5555', seconds: 12, state: null, info: "UPDATE x SET dsn = 'mysql://u:secret@h/db'" }]);
    expect(text).to.include('session 7, app@10.0.0.1:5555, transaction open 12 s');
    expect(text).not.to.include('secret');
    expect(describeBlockers([])).to.match(/no open InnoDB transaction/);
  });

  it('validates --ddl-lock-wait-ms and --ddl-retries up front', () => {
    expect(validateOptions({ ddlLockWaitMs: '250', ddlRetries: '0' })).to.include({ ddlLockWaitMs: 250, ddlRetries: 0 });
    expect(() => validateOptions({ ddlLockWaitMs: 50, ddlRetries: -1 })).to.throw('ddlLockWaitMs: must be an integer between 100 and 60000; ddlRetries: must be an integer between 0 and 100');
    expect(validateOptions({}).ddlWait).to.equal(false);
    expect(validateOptions({ ddlWait: true }).ddlWait).to.equal(true);
    expect(() => validateOptions({ ddlWait: 'yes' })).to.throw('ddlWait: must be true or false');
  });
});
