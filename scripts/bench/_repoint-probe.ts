/**
 * How long `split-db repoint` takes to place a GTID position in a binlog (docs/split.md "After a failover"):
 * a throwaway mariadbd with the binlog on, N single-row transactions (a server-side loop, autocommit), then
 * placeGtid (binlog-failover.ts) for positions at 0 %, 50 % and 100 % of them, each timed over a few rounds.
 * The search reads the binlog from the start of the file holding the position (SHOW BINLOG EVENTS, 5,000 events a
 * statement), so the time grows with the events before the position in its file.
 *
 *   node scripts/bench/_repoint-probe.ts [transactions=200000] [rounds=3]
 *
 * A tool to look with, not a benchmark of record.
 */
import { loadavg } from 'node:os';
import mysql from 'mysql2/promise';
import { startMariaDb } from '../../test/helpers/mariadb-server.ts';
import { placeGtid } from '../split/lib/binlog-failover.ts';
import { openSide } from '../split/lib/side.ts';

const n = Number(process.argv[2] ?? 200000);
const rounds = Number(process.argv[3] ?? 3);
const log = (s: string) => process.stdout.write(`${s}\n`);

const server = await startMariaDb({ binlog: true, args: ['--max-binlog-size=1073741824'] });
const c = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root', multipleStatements: true });
try {
  log(`load before ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  await c.query('CREATE DATABASE p; CREATE TABLE p.t (k INT NOT NULL PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB');
  await c.query(`CREATE PROCEDURE p.fill(IN n INT) BEGIN DECLARE i INT DEFAULT 0; WHILE i < n DO INSERT INTO p.t VALUES (i, REPEAT('x', 40)); SET i = i + 1; END WHILE; END`);
  await c.query('SET GLOBAL innodb_flush_log_at_trx_commit = 2, GLOBAL sync_binlog = 0');
  const t0 = performance.now();
  await c.query(`CALL p.fill(${n})`);
  const [[st]] = (await c.query('SELECT @@gtid_binlog_pos AS g')) as unknown as [[{ g: string }]];
  const [files] = (await c.query('SHOW BINARY LOGS')) as unknown as [Array<{ Log_name: string; File_size: number }>];
  log(`${n} transactions in ${((performance.now() - t0) / 1000).toFixed(1)} s; binlog ${files.map((f) => `${f.Log_name} ${(Number(f.File_size) / 1e6).toFixed(1)} MB`).join(', ')}; end ${st.g}`);
  const [domain, srv, seq] = st.g.split('-').map(Number);
  const first = seq - n;
  const side = openSide(server.dsn('p'));
  try {
    for (const frac of [0, 0.5, 1]) {
      const at = `${domain}-${srv}-${first + Math.round(n * frac)}`;
      const ms: number[] = [];
      let scanned = 0;
      for (let r = 0; r < rounds; r++) {
        const s = performance.now();
        const p = await placeGtid(side, at);
        ms.push(performance.now() - s);
        scanned = p.scanned;
      }
      ms.sort((a, b) => a - b);
      log(`position at ${Math.round(frac * 100)} % (${at}): ${scanned} events read, median ${ms[Math.floor(ms.length / 2)].toFixed(0)} ms (${ms.map((x) => x.toFixed(0)).join(', ')})`);
    }
  } finally {
    await side.knex.destroy();
  }
  log(`load after ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await c.end();
  await server.stop();
}
