import { expect } from 'chai';
import knexFactory from 'knex';
import { MemoryOwnershipRegistry } from '../../ownership/index.ts';
import { createSeam, isFenceError, resolveSeamOptions, type SeamOptions } from '../index.ts';

const k = knexFactory({ client: 'mysql2' }); // never connects: options are checked before any I/O
const registry = new MemoryOwnershipRegistry({}, { domains: ['orders'] });

describe('seam options and fence recognition (unit)', () => {
  after(async () => k.destroy());

  const cases: Array<[string, Partial<SeamOptions> & Record<string, unknown>, string]> = [
    ['no registry', { registry: undefined }, 'registry: an ownership registry (get, refresh, onChange)'],
    ['no legacy', { connections: { orders: k } as never }, 'connections.legacy: a knex instance'],
    ['bad domain key', { connections: { legacy: k, 'Orders!': k } }, 'connections.Orders!: not a domain name'],
    ['bad connection', { connections: { legacy: k, orders: 'mysql://x' as never } }, 'connections.orders: a knex instance or a function returning one'],
    ['negative maxMs', { writeRetry: { maxMs: -1 } }, 'writeRetry.maxMs: an integer from 0 to 600000'],
    ['zero backoff', { readRetry: { backoffMs: 0 } }, 'readRetry.backoffMs: an integer from 1 to 60000'],
    ['cap below backoff', { writeRetry: { backoffMs: 100, maxBackoffMs: 50 } }, 'writeRetry.maxBackoffMs: an integer at least backoffMs'],
    ['retry-after', { retryAfterSeconds: 0 }, 'retryAfterSeconds: an integer from 1 to 3600'],
  ];
  for (const [name, over, msg] of cases) {
    it(`rejects ${name} with one clear message`, () => {
      const opts = { registry, connections: { legacy: k, orders: k }, ...over } as SeamOptions;
      expect(() => resolveSeamOptions(opts)).to.throw(msg);
    });
  }

  it('applies the documented defaults', () => {
    expect(resolveSeamOptions({ registry, connections: { legacy: k, orders: () => k } })).to.deep.equal({
      write: { maxMs: 5000, backoffMs: 25, maxBackoffMs: 250 }, read: { maxMs: 5000, backoffMs: 25, maxBackoffMs: 250 }, retryAfterSeconds: 2, domains: ['orders'],
    });
    const seam = createSeam({ registry, connections: { legacy: k, orders: k } });
    expect(seam.state()).to.deep.equal([{ domain: 'orders', owner: 'legacy', database: 'legacy', version: 1, changedAt: '1970-01-01T00:00:00.000Z', lastSwitchAt: null, fenceHits: 0, retries: 0, unavailable: 0 }]);
  });

  it('recognises the fence (triggers, renamed tables, across a process boundary) and nothing else', () => {
    expect(isFenceError({ sqlState: '45000', message: 'insert … - split-db: writes to items are fenced' })).to.equal(true);
    expect(isFenceError({ errno: 1146, code: 'ER_NO_SUCH_TABLE', message: "Table 'x.items' doesn't exist" })).to.equal(true);
    expect(isFenceError({ code: 'WRITE_FENCED' })).to.equal(true);
    expect(isFenceError(new Error('wrapped', { cause: { sqlState: '45000', sqlMessage: 'split-db: fenced' } }))).to.equal(true);
    expect(isFenceError({ sqlState: '45000', message: 'app trigger: price must be positive' })).to.equal(false);
    expect(isFenceError({ errno: 1062, code: 'ER_DUP_ENTRY' })).to.equal(false);
    expect(isFenceError(null)).to.equal(false);
    const loop: { cause?: unknown } = {};
    loop.cause = { cause: loop };
    expect(isFenceError(loop)).to.equal(false);
  });
});
