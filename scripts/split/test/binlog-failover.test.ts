import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createKnex, dropDatabase, ensureDatabase, withDatabase, type Knex } from '../../../lib/db.ts';
import { createTestDatabase, testServerDsn, uniqueName } from '../../../test/helpers/db.ts';
import { mariaDbAvailable, startMariaDb, type MariaDbServer } from '../../../test/helpers/mariadb-server.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { BinlogPump, binlogFiles, gtidAt, initCapturePos, masterPos, positionTable, savedPos } from '../lib/binlog.ts';
import { behindDomains, gtidEventInfo, gtidListInfo, placeGtid, repointPosition } from '../lib/binlog-failover.ts';
import { contains, parseGtidPos } from '../lib/binlog-keys.ts';
import { ensureMachinery } from '../lib/capture.ts';
import { afterReaching, errorLine, LOST_CONNECTION_HINT, lostConnection } from '../lib/cli-errors.ts';
import { readCatalog } from '../lib/context.ts';
import { renderRepoint } from '../lib/render.ts';
import { openSide } from '../lib/side.ts';
import { q } from '../lib/sql.ts';
import { binlogServer, ownBinlogServer, seedCatalog } from './helpers.ts';
import { checkExpectation, compareDatabases, isClean, summary } from './harness/checker.ts';
import { runCli, type CliRun } from './harness/killer.ts';
import type { RowImage } from './harness/row-image.ts';
import { CommittedWriter, WRITER_TABLES } from './harness/writer.ts';

describe('split-db repoint: pure parts', () => {
  it('reads MariaDB GTID positions per domain, 64-bit sequence numbers included, and refuses anything else', () => {
    const p = parseGtidPos('0-1-10,3-11-18446744073709551615');
    expect(p.get(0)).to.deep.equal({ domain: 0, server: 1, seq: 10n });
    expect(p.get(3)!.seq).to.equal(18446744073709551615n);
    expect(parseGtidPos('').size).to.equal(0);
    expect(() => parseGtidPos('3E11FA47-71CA-11E1-9E33-C80AA9429562:23')).to.throw(/not a MariaDB GTID position/);
  });

  it('a transaction is contained in a position by its domain\'s sequence number, whichever server logged it', () => {
    const saved = parseGtidPos('0-1-100,1-5-7');
    expect(contains(saved, { domain: 0, server: 11, seq: 100n }), 'same seq, logged again by the replica').to.equal(true);
    expect(contains(saved, { domain: 0, server: 1, seq: 101n })).to.equal(false);
    expect(contains(saved, { domain: 2, server: 1, seq: 1n }), 'a domain the split never read').to.equal(false);
  });

  it('names the domains in which a server lacks transactions the split read', () => {
    expect(behindDomains(parseGtidPos('0-1-100'), parseGtidPos('0-11-150'))).to.deep.equal([]);
    expect(behindDomains(parseGtidPos('0-1-100,1-1-3'), parseGtidPos('0-11-99'))).to.deep.equal([
      'domain 0: 0-11-99 (the split read up to 0-1-100)', 'domain 1: none (the split read up to 1-1-3)']);
  });

  it('reads SHOW BINLOG EVENTS\' Gtid_list and Gtid infos', () => {
    expect([...gtidListInfo('[]').values()]).to.deep.equal([]);
    expect([...gtidListInfo('[0-1-7,2-3-9]').keys()]).to.deep.equal([0, 2]);
    expect(gtidEventInfo('BEGIN GTID 0-1-8')).to.deep.equal({ domain: 0, server: 1, seq: 8n });
    expect(gtidEventInfo('GTID 0-1-2')).to.deep.equal({ domain: 0, server: 1, seq: 2n });
    expect(gtidEventInfo('BEGIN GTID 0-1-9 cid=42')).to.deep.equal({ domain: 0, server: 1, seq: 9n });
    expect(gtidEventInfo('COMMIT /* xid=8 */')).to.equal(null);
    expect(() => gtidListInfo('binlog.000001')).to.throw(/not a Gtid_list/);
  });

  it('an error line says a server went away for a lost connection, and for a refused connect only after the command reached its servers', () => {
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' });
    expect(lostConnection(lost)).to.equal(true);
    expect(errorLine(lost)).to.equal(`split-db: Connection lost: The server closed the connection. — ${LOST_CONNECTION_HINT}`);
    expect(lostConnection(Object.assign(new Error('gone away'), { errno: 2006 }))).to.equal(true);
    expect(lostConnection(new Error("Can't add new command when connection is in closed state"))).to.equal(true);
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(errorLine(refused()), 'a wrong DSN at the first connect').to.equal('split-db: connect ECONNREFUSED 127.0.0.1:1');
    expect(errorLine(afterReaching(refused()))).to.match(/^split-db: connect ECONNREFUSED 127\.0\.0\.1:1 — a database server went away/);
    expect(lostConnection(afterReaching(Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 }))), 'a refused login is no loss').to.equal(false);
    expect(lostConnection(new Error('Duplicate entry'))).to.equal(false);
  });

  it('renders a move, a dry run and an unchanged position', () => {
    const from = { file: 'binlog.000003', pos: 1006, gtid: '0-1-41' };
    const to = { file: 'binlog.000001', pos: 9263, gtid: '0-1-41' };
    expect(renderRepoint({ service: 'product', changed: true, dryRun: false, why: '', from, to, scanned: 212 }))
      .to.equal('product: binlog position moved from binlog.000003:1006 (GTID 0-1-41) to binlog.000001:9263 (GTID 0-1-41) (212 binlog events searched); run start or verify to read on from there');
    expect(renderRepoint({ service: 'product', changed: false, dryRun: true, why: 'because', from, to })).to.match(/^dry run: product's binlog position would move from binlog\.000003:1006 .* to binlog\.000001:9263/);
    expect(renderRepoint({ service: 'product', changed: false, dryRun: false, why: 'nothing to move', from, to: from })).to.equal('product: unchanged — nothing to move');
  });
});

describe('split-db repoint: refusals on one server @integration', function () {
  this.timeout(120_000);
  const server = binlogServer();

  async function saved(): Promise<{ side: ReturnType<typeof openSide>; app: mysql.Connection; drop: () => Promise<void> }> {
    const name = uniqueName('repoint');
    const dsn = withDatabase(server().dsn(), name);
    await ensureDatabase(dsn);
    const side = openSide(dsn);
    await side.knex.raw('CREATE TABLE t (k INT NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB');
    const app = await mysql.createConnection({ host: '127.0.0.1', port: server().port, user: 'root', database: name });
    await ensureMachinery(side, 'rp', false);
    await initCapturePos(side, 'rp');
    const pump = new BinlogPump(side, 'rp', (await readCatalog(side, ['t'])).shapes);
    await pump.start();
    try {
      for (let i = 0; i < 5; i++) await app.query(`INSERT INTO t VALUES (${i}, ${i})`);
      await pump.waitFor(await masterPos(side), 30_000);
    } finally {
      await pump.stop();
    }
    return { side, app, drop: async () => { await app.end(); await side.knex.destroy(); await dropDatabase(dsn); } };
  }

  it('leaves a position this server\'s binlog holds alone, and refuses a server behind the split or without its domain', async () => {
    const f = await saved();
    try {
      const before = (await savedPos(f.side, 'rp'))!;
      const same = await repointPosition(f.side, 'rp', false);
      expect(same.changed).to.equal(false);
      expect(same.why).to.match(/is in this server's binlog: nothing to move/);
      expect(await savedPos(f.side, 'rp')).to.deep.equal(before);
      // a position read from a server further ahead (file and offset no server has)
      await f.side.knex.raw(`UPDATE ${q(positionTable('rp'))} SET file = 'binlog.999999', pos = 4, gtid = '0-2-99999999' WHERE id = 1`);
      expect(await refusal(repointPosition(f.side, 'rp', false))).to.match(/ends at GTID position 0-2-\d+, behind the split's 0-2-99999999 — domain 0: 0-2-\d+ \(the split read up to 0-2-99999999\)/);
      await f.side.knex.raw(`UPDATE ${q(positionTable('rp'))} SET gtid = '0-2-1,7-9-3' WHERE id = 1`);
      expect(await refusal(repointPosition(f.side, 'rp', false))).to.match(/domain 7: none/);
      expect((await savedPos(f.side, 'rp'))!.file, 'nothing written on refusal').to.equal('binlog.999999');
    } finally {
      await f.drop();
    }
  });

  it('refuses when the transactions after the split\'s GTID position were purged, and finds the first one after it otherwise', async () => {
    const f = await saved();
    try {
      const before = (await savedPos(f.side, 'rp'))!;
      // transactions after the saved position, then a rotation: the saved file+offset is made unreadable by hand
      for (let i = 5; i < 9; i++) await f.app.query(`INSERT INTO t VALUES (${i}, ${i})`);
      await f.side.knex.raw('FLUSH BINARY LOGS');
      await f.side.knex.raw(`UPDATE ${q(positionTable('rp'))} SET file = 'binlog.999999', pos = 4 WHERE id = 1`);
      // the first transaction after the saved GTID: found by its own GTID event, compared with an independent read
      const placed = await placeGtid(f.side, before.gtid!, 3);
      const [evs] = await f.side.knex.raw(`SHOW BINLOG EVENTS IN '${placed.pos.file}' FROM ${placed.pos.pos} LIMIT 1`);
      const seq = (g: string) => Number(g.split(',').find((x) => x.startsWith('0-'))!.split('-')[2]);
      expect((evs as Array<{ Event_type: string; Info: string }>)[0].Info).to.match(new RegExp(`GTID 0-\\d+-${seq(before.gtid!) + 1}\\b`));
      expect(await gtidAt(f.side, placed.pos), 'the GTID position before it is the saved one').to.equal(before.gtid);
      const dry = await repointPosition(f.side, 'rp', true);
      expect(dry.changed).to.equal(false);
      expect(dry.to).to.deep.equal({ ...placed.pos, gtid: before.gtid });
      expect((await savedPos(f.side, 'rp'))!.file, 'a dry run writes nothing').to.equal('binlog.999999');
      // now purge every file but the newest: the transactions after the saved position are gone
      const files = await binlogFiles(f.side);
      await waitFor(async () => {
        await f.side.knex.raw(`PURGE BINARY LOGS TO '${files[files.length - 1]}'`);
        return (await binlogFiles(f.side)).length === 1;
      }, { timeoutMs: 30_000, intervalMs: 100, what: 'the older binlog files to be purged' });
      expect(await refusal(repointPosition(f.side, 'rp', false))).to.match(new RegExp(`the transactions after the split's GTID position ${before.gtid} are no longer in this server's binlog: its oldest file, ${files[files.length - 1].replace('.', '\\.')}, starts after GTID position 0-2-\\d+ \\(purged\\)`));
    } finally {
      await f.drop();
    }
  });
});

/**
 * A primary (server id 1) and a replica (server id 11, log_slave_updates, GTID
 * replication), started by each test. The split captures (from the primary's
 * binlog, or with triggers) and is killed; the primary writes on, rotates its
 * binlog and dies (kill -9) once the replica has every transaction; the
 * replica is promoted and written to. Binlog capture: the old position is
 * refused and `split-db repoint` with --source naming the replica moves it;
 * trigger capture: nothing to move, the split goes on. Verify, catch-up and
 * cutover on the new primary; the independent checker compares the new
 * primary with the target, and both writers' committed rows with the target.
 * Then the lossy cases, source and target: the replica misses what the split
 * had already applied or copied; verify finds it and `split-db repair` mends it.
 */
describe('split-db repoint: the source fails over to its replica @integration', function () {
  this.timeout(300_000);
  const serverArgs = (id: number) => [`--server-id=${id}`, '--log-slave-updates', '--gtid-strict-mode=1'];

  before(function () {
    if (!mariaDbAvailable()) this.skip();
  });

  async function replicated(): Promise<{ primary: MariaDbServer; replica: MariaDbServer }> {
    const [primary, replica] = await Promise.all([startMariaDb({ binlog: true, args: serverArgs(1) }), startMariaDb({ binlog: true, args: serverArgs(11) })]);
    await onServer(replica, `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_USE_GTID=slave_pos`);
    await onServer(replica, 'START SLAVE');
    return { primary, replica };
  }

  /** One statement on its own connection to a test server; its rows. */
  async function onServer(server: MariaDbServer, sql: string): Promise<unknown> {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
    try {
      return (await c.query(sql))[0];
    } finally {
      await c.end();
    }
  }

  async function gtidVar(server: MariaDbServer, name: string): Promise<string> {
    return ((await onServer(server, `SELECT @@GLOBAL.${name} AS g`)) as Array<{ g: string }>)[0].g;
  }

  /** Waits until the replica has applied everything the primary has now. */
  async function caughtUp(primary: MariaDbServer, replica: MariaDbServer): Promise<void> {
    const end = await gtidVar(primary, 'gtid_binlog_pos');
    await waitFor(async () => hasApplied(await gtidVar(replica, 'gtid_slave_pos'), end), { timeoutMs: 30_000, intervalMs: 50, what: `the replica to reach ${end}` });
  }

  function merge(...maps: Array<Map<string, Map<string, RowImage | null>>>): Map<string, Map<string, RowImage | null>> {
    const out = new Map<string, Map<string, RowImage | null>>();
    for (const m of maps) for (const [t, rows] of m) for (const [k, v] of rows) (out.get(t) ?? out.set(t, new Map()).get(t)!).set(k, v);
    return out;
  }

  /** The replica has applied everything the primary has now, then stops replicating: what the primary commits next it never gets. */
  async function cutReplicaOff(primary: MariaDbServer, replica: MariaDbServer): Promise<void> {
    await caughtUp(primary, replica);
    await onServer(replica, 'STOP SLAVE');
  }

  /**
   * After a lossy failover: verify finds exactly the differences the independent checker counts between the live
   * side and the copy, repair logs them, verify is clean, and the checker agrees.
   */
  async function verifyRepairVerify(verifyArgs: string[], repairArgs: string[], live: { knex: Knex; db: string }, copy: { knex: Knex; db: string }): Promise<void> {
    const v = await runCli(verifyArgs);
    expect(v.code, v.stderr).to.equal(5);
    const found = (JSON.parse(v.stdout) as { differences: unknown[] }).differences.length;
    const lost = await compareDatabases(live, copy, [...WRITER_TABLES]);
    expect(lost.missing + lost.extra + lost.different, `independent: ${summary(lost)}`).to.equal(found);
    expect(found, 'the lost changes left differences').to.be.greaterThan(5);
    const r = await runCli(repairArgs);
    ok(r, 'repair');
    expect(JSON.parse(r.stdout).logged).to.equal(found);
    const clean = await runCli(verifyArgs);
    expect(clean.code, clean.stderr).to.equal(0);
    const check = await compareDatabases(live, copy, [...WRITER_TABLES]);
    expect(isClean(check), `live side vs copy after repair: ${summary(check)}`).to.equal(true);
    expect(check.compared).to.be.greaterThan(300);
  }

  for (const capture of ['binlog', 'triggers'] as const) {
    const title = capture === 'binlog'
      ? 'binlog capture: kill -9 of the split and of the primary, writes on the promoted replica, repoint, verify, cutover: 0 differences'
      : 'trigger capture: kill -9 of the split and of the primary, writes on the promoted replica, nothing to repoint, verify, cutover: 0 differences';
    it(title, async () => {
      const { primary, replica } = await replicated();
      const { source, targetName, targetDsn, args, drop } = await splitOn(primary, 'fo');
      const newSourceDsn = withDatabase(replica.dsn(), source.name);
      let writer: CommittedWriter | undefined;
      let writer2: CommittedWriter | undefined;
      let target: Knex | undefined;
      let onReplica: Knex | undefined;
      try {
        await seedCatalog(source.knex, 300);
        writer = new CommittedWriter({ sourceDsn: source.dsn, targetDsn, loops: 2, delayMs: 2, tag: 'p' });
        await writer.start();
        ok(await runCli(args('start', '--capture', capture)), 'start on the primary');
        const startedAt = capture === 'binlog' ? (await savedPos(openSideOnce(source.dsn), 'product'))! : null;
        // the primary's binlog moves on to files the replica's binlog does not have by those names
        await source.knex.raw('FLUSH BINARY LOGS');
        await source.knex.raw('FLUSH BINARY LOGS');
        await writer.more(30);
        // the split follows the primary and is killed (kill -9) while it does
        const kill = new AbortController();
        const follow = runCli(args('start', '--follow'), { killSignal: kill.signal });
        if (startedAt) {
          await waitFor(async () => {
            const p = await savedPos(openSideOnce(source.dsn), 'product');
            return p && p.file !== startedAt.file ? p : null;
          }, { timeoutMs: 30_000, intervalMs: 100, what: 'the follower to save a position in the newest binlog file' });
        }
        await writer.more(30);
        kill.abort();
        const killed = await follow;
        expect(killed.signal, `the follower was killed, not ended: ${killed.stderr}`).to.equal('SIGKILL');
        // the primary writes on after the split's last saved position, then the writer stops
        await writer.more(40);
        await writer.stop();
        const expectedOnPrimary = writer.expected;
        writer = undefined;
        const savedOnPrimary = startedAt ? (await savedPos(openSideOnce(source.dsn), 'product'))! : null;
        if (savedOnPrimary) expect(savedOnPrimary.gtid, 'the split saved a GTID with its position').to.match(/^0-1-\d+$/);
        // the replica has every transaction of the primary, then the primary dies
        await caughtUp(primary, replica);
        killServer(primary);
        await source.knex.destroy().catch(() => undefined);
        await onServer(replica, 'STOP SLAVE');
        await onServer(replica, 'RESET SLAVE ALL');
        // the application writes to the new primary
        writer2 = new CommittedWriter({ sourceDsn: newSourceDsn, targetDsn, loops: 2, delayMs: 2, tag: 'r' });
        await writer2.start();
        await writer2.more(40);
        const onNew = ['--source', newSourceDsn];
        if (savedOnPrimary) {
          // the saved position names the dead primary's binlog: the reader refuses it and says what to do
          const refused = await runCli(args('verify', ...onNew));
          expect(refused.code, refused.stderr).to.equal(3);
          expect(refused.stdout + refused.stderr).to.match(/split-db repoint/);
          const dry = await runCli(args('repoint', ...onNew, '--dry-run'));
          ok(dry, 'repoint --dry-run');
          const planned = JSON.parse(dry.stdout) as { changed: boolean; to: { file: string; pos: number; gtid: string } };
          expect(planned.changed).to.equal(false);
          const r = await runCli(args('repoint', ...onNew));
          ok(r, 'repoint');
          const moved = JSON.parse(r.stdout) as { changed: boolean; from: { file: string; pos: number; gtid: string }; to: { file: string; pos: number; gtid: string } };
          expect(moved.changed).to.equal(true);
          expect(moved.from).to.deep.equal(savedOnPrimary);
          expect(moved.to, 'the dry run said where').to.deep.equal(planned.to);
          // independent of the tool: the replica's own GTID position at the new offset is the one the split read up to
          const replicaSide = openSideOnce(newSourceDsn);
          expect(await gtidAt(replicaSide, moved.to)).to.equal(savedOnPrimary.gtid);
          expect(await binlogFiles(replicaSide)).to.include(moved.to.file);
        }
        const again = await runCli(args('repoint', ...onNew));
        ok(again, 'repoint (again)');
        const unchanged = JSON.parse(again.stdout) as { changed: boolean; why: string };
        expect(unchanged.changed, 'nothing (more) to move').to.equal(false);
        if (!savedOnPrimary) expect(unchanged.why).to.match(/captures changes with triggers: nothing to move/);
        const v = await runCli(args('verify', ...onNew));
        expect(v.code, v.stderr).to.equal(0);
        expect(JSON.parse(v.stdout).ok, 'verify on the new primary').to.equal(true);
        await writer2.stop();
        const expectedAll = merge(expectedOnPrimary, writer2.expected);
        writer2 = undefined;
        // the last writes reach the target: read from the replica's binlog from the new position, or its changelog
        ok(await runCli(args('start', ...onNew)), 'start (catch-up) on the new primary');
        target = createKnex(targetDsn, { profile: 'move' });
        onReplica = createKnex(newSourceDsn, { profile: 'move' });
        const check = await compareDatabases({ knex: onReplica, db: source.name }, { knex: target, db: targetName }, [...WRITER_TABLES]);
        expect(isClean(check), `new primary vs target: ${summary(check)}`).to.equal(true);
        expect(check.compared, 'rows compared').to.be.greaterThan(300);
        const expectTarget = await checkExpectation({ knex: target, db: targetName }, expectedAll);
        expect(isClean(expectTarget), `both writers' committed rows vs target: ${summary(expectTarget)}`).to.equal(true);
        expect(expectTarget.compared, 'committed rows checked').to.be.greaterThan(100);
        ok(await runCli(args('cutover', ...onNew)), 'cutover on the new primary');
      } finally {
        await writer?.stop().catch(() => undefined);
        await writer2?.stop().catch(() => undefined);
        await target?.destroy();
        await onReplica?.destroy();
        await closeSides();
        await drop();
        await Promise.all([primary.stop(), replica.stop()]);
      }
    });
  }

  it('the target fails over to a replica that missed changes the split had applied: verify finds them, repair, verify clean', async () => {
    const { primary, replica } = await replicated();
    const { source, targetName, targetDsn, args, drop } = await splitOn(primary, 'tfo', true);
    const newTargetDsn = withDatabase(replica.dsn(), targetName);
    let writer: CommittedWriter | undefined;
    let onReplica: Knex | undefined;
    try {
      await seedCatalog(source.knex, 300);
      writer = new CommittedWriter({ sourceDsn: source.dsn, targetDsn, loops: 2, delayMs: 2, tag: 'p' });
      await writer.start();
      ok(await runCli(args('start')), 'start (copy into the target primary)');
      // the target's replica has the copy, then stops replicating
      await cutReplicaOff(primary, replica);
      await writer.more(60);
      await writer.stop();
      writer = undefined;
      // applied to the target primary (and consumed from the changelog), never replicated: the target primary dies
      ok(await runCli(args('start')), 'catch-up into the target primary');
      killServer(primary);
      await onServer(replica, 'RESET SLAVE ALL');
      const onNew = ['--target', newTargetDsn];
      onReplica = createKnex(newTargetDsn, { profile: 'move' });
      await verifyRepairVerify(args('verify', ...onNew), args('repair', ...onNew), { knex: source.knex, db: source.name }, { knex: onReplica, db: targetName });
    } finally {
      await writer?.stop().catch(() => undefined);
      await onReplica?.destroy();
      await drop();
      await Promise.all([primary.stop(), replica.stop()]);
    }
  });

  it('binlog capture, lossy failover: the replica missed the primary\'s last transactions, which the target has; repoint, verify finds them, repair, verify clean', async () => {
    const { primary, replica } = await replicated();
    const { source, targetName, targetDsn, args, drop } = await splitOn(primary, 'lossy');
    const newSourceDsn = withDatabase(replica.dsn(), source.name);
    let writer: CommittedWriter | undefined;
    let target: Knex | undefined;
    let onReplica: Knex | undefined;
    try {
      await seedCatalog(source.knex, 300);
      await source.knex.raw('FLUSH BINARY LOGS');
      await source.knex.raw('FLUSH BINARY LOGS');
      writer = new CommittedWriter({ sourceDsn: source.dsn, targetDsn, loops: 2, delayMs: 2, tag: 'p' });
      await writer.start();
      ok(await runCli(args('start', '--capture', 'binlog')), 'start on the primary');
      await cutReplicaOff(primary, replica);
      await writer.more(60);
      await writer.stop();
      writer = undefined;
      // the split reads those transactions from the primary's binlog and applies them to the target
      ok(await runCli(args('start')), 'catch-up on the primary');
      killServer(primary);
      await source.knex.destroy().catch(() => undefined);
      await onServer(replica, 'RESET SLAVE ALL');
      const writer2 = new CommittedWriter({ sourceDsn: newSourceDsn, targetDsn, loops: 2, delayMs: 2, tag: 'r' });
      await writer2.start();
      await writer2.more(30);
      await writer2.stop();
      const onNew = ['--source', newSourceDsn];
      ok(await runCli(args('repoint', ...onNew)), 'repoint');
      target = createKnex(targetDsn, { profile: 'move' });
      onReplica = createKnex(newSourceDsn, { profile: 'move' });
      // the target holds the lost transactions' rows
      await verifyRepairVerify(args('verify', ...onNew), args('repair', ...onNew), { knex: onReplica, db: source.name }, { knex: target, db: targetName });
    } finally {
      await writer?.stop().catch(() => undefined);
      await target?.destroy();
      await onReplica?.destroy();
      await closeSides();
      await drop();
      await Promise.all([primary.stop(), replica.stop()]);
    }
  });
});

/** A split of the demo catalog with its source on `server` (a database of its own) and its target on the main server, or the other way round (`targetOn`). */
async function splitOn(server: MariaDbServer, prefix: string, targetOn = false) {
  const source = await createTestDatabase(`${prefix}_s`, ['legacy'], 'move', targetOn ? testServerDsn() : server.dsn());
  const targetName = uniqueName(`${prefix}_t`);
  const targetDsn = withDatabase(targetOn ? server.dsn() : testServerDsn(), targetName);
  const dir = await mkdtemp(join(tmpdir(), `split-${prefix}-`));
  const manifestPath = join(dir, 'manifest.json');
  await writeFile(manifestPath, JSON.stringify({
    version: 1, source: source.dsn,
    services: { product: { domain: 'product', target: targetDsn, migrations: 'product', tables: [...WRITER_TABLES],
      crossingForeignKeys: { 'products.fk_products_shop': { action: 'drop' }, 'likes.fk_likes_product': { action: 'drop' } } } },
  }));
  return {
    source, targetName, targetDsn, manifestPath,
    /** CLI arguments of a command on this split (small chunks, --json). */
    args: (cmd: string, ...more: string[]) => [cmd, 'product', '--manifest', manifestPath, '--chunk-size', '50', '--max-threads-running', '0', '--verify-chunk', '200', '--abort-after-ms', '5000', '--json', ...more],
    /** The database on the main server and the manifest's folder (the other goes with its server). */
    async drop() {
      if (targetOn) await source.drop();
      else await dropDatabase(targetDsn);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function ok(r: CliRun, what: string): void {
  expect(r.code, `${what}: ${r.signal ?? ''} ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`).to.equal(0);
}

/**
 * Whether a replica's gtid_slave_pos has every transaction up to `goal` (the primary's gtid_binlog_pos read
 * earlier): compared per domain by sequence number, since with writes going on it passes `goal` between two looks.
 */
function hasApplied(slavePos: string, goal: string): boolean {
  const have = parseGtidPos(slavePos);
  return [...parseGtidPos(goal).values()].every((g) => contains(have, g));
}

/** kill -9 of a test's own mariadbd. */
function killServer(server: MariaDbServer): void {
  process.kill(Number(readFileSync(join(server.dir, 'pid'), 'utf8').trim()), 'SIGKILL');
}

/** The message a promise is rejected with ('' when it resolves). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

const sides = new Map<string, ReturnType<typeof openSide>>();
function openSideOnce(dsn: string): ReturnType<typeof openSide> {
  let s = sides.get(dsn);
  if (!s) sides.set(dsn, (s = openSide(dsn)));
  return s;
}
async function closeSides(): Promise<void> {
  await Promise.all([...sides.values()].map((s) => s.knex.destroy()));
  sides.clear();
}

/**
 * The source dies (kill -9) under `start --follow`: the follower ends with one
 * line that says a server went away and what to do after a failover, not with
 * the error of a clean-up step that ran on the dead connection afterwards.
 */
describe('split-db start --follow: the source dies under it @integration', function () {
  this.timeout(120_000);
  const server = ownBinlogServer();

  it('ends with exit 1 and one line naming the lost server and split-db repoint', async () => {
    const { source, targetName, manifestPath, drop } = await splitOn(server(), 'gone');
    const kill = new AbortController();
    try {
      await seedCatalog(source.knex, 50);
      const follow = runCli(['start', 'product', '--manifest', manifestPath, '--capture', 'binlog', '--follow', '--max-threads-running', '0', '--apply-lag-ms', '50', '--json'], { killSignal: kill.signal });
      // following: the copy is done and the changes of an update reach the target
      await source.knex.raw('UPDATE products SET name = CONCAT(name, \'!\') WHERE id = 7');
      // connected without a database: until the copy creates it, the query fails (no connect error logged by knex)
      const target = createKnex(testServerDsn(), { profile: 'move' });
      try {
        await waitFor(async () => {
          const [rows] = await target.raw(`SELECT name FROM \`${targetName}\`.products WHERE id = 7`).catch(() => [[]]);
          return String((rows as Array<{ name: string }>)[0]?.name ?? '').endsWith('!');
        }, { timeoutMs: 60_000, intervalMs: 100, what: 'the follower to apply an update' });
      } finally {
        await target.destroy();
      }
      await source.knex.destroy();
      killServer(server());
      const r = await Promise.race([follow, new Promise<null>((res) => setTimeout(() => res(null), 60_000))]);
      expect(r, 'the follower ended by itself within 60 s').to.not.equal(null);
      expect(r!.code, r!.stderr).to.equal(1);
      const lines = r!.stderr.trimEnd().split('\n');
      expect(lines, r!.stderr).to.have.length(1);
      expect(lines[0]).to.match(/^split-db: .*a database server went away.*--source.*split-db repoint/);
    } finally {
      kill.abort();
      await drop();
    }
  });
});
