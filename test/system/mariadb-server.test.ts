import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { waitFor } from '../helpers/wait.ts';
import { INSTANCES_DIR, mariaDbAvailable, pidAlive as alive, reapLeftovers, startMariaDb } from '../helpers/mariadb-server.ts';


describe('test harness: a second MariaDB server @integration', function () {
  this.timeout(60_000);
  before(function () {
    if (!mariaDbAvailable()) this.skip();
  });

  it('starts on its own port with a row binlog, answers, and stop() ends the process and removes the datadir', async () => {
    const s = await startMariaDb({ binlog: true });
    const pid = Number(readFileSync(`${s.dir}/pid`, 'utf8'));
    try {
      expect(s.port).to.not.equal(3306);
      const conn = await mysql.createConnection({ host: '127.0.0.1', port: s.port, user: 'root' });
      try {
        const [rows] = await conn.query('SELECT @@port AS port, @@log_bin AS lb, @@binlog_format AS bf, @@server_id AS sid');
        expect((rows as Array<Record<string, unknown>>)[0]).to.deep.include({ port: s.port, lb: 1, bf: 'ROW', sid: 2 });
      } finally {
        await conn.end();
      }
      console.log(`      second server ready in ${s.startMs.toFixed(0)} ms (install + start)`);
    } finally {
      await s.stop();
    }
    expect(alive(pid)).to.equal(false);
    expect(existsSync(s.dir)).to.equal(false);
  });

  it("starting leaves the main server's temporary tables alone (a server deletes every #sql* file in its tmpdir at start)", async function () {
    const main = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    try {
      const [[t]] = (await main.query('SELECT @@tmpdir AS d')) as unknown as [[{ d: string }]];
      if (!existsSync(t.d)) this.skip(); // the main server is not on this host
      await main.query('CREATE TEMPORARY TABLE information_schema_probe (a TEXT) ENGINE=Aria').catch(async () => {
        await main.query('CREATE DATABASE IF NOT EXISTS t_tmpdir_probe');
        await main.query('CREATE TEMPORARY TABLE t_tmpdir_probe.information_schema_probe (a TEXT) ENGINE=Aria');
      });
      const files = () => new Set(readdirSync(t.d).filter((f) => f.startsWith('#sql')));
      const before = files();
      expect(before.size, `an Aria temporary table has files in ${t.d}`).to.be.greaterThan(0);
      const s = await startMariaDb();
      try {
        const after = files();
        expect([...before].filter((f) => !after.has(f)), 'files of the main server deleted by the second one').to.deep.equal([]);
      } finally {
        await s.stop();
      }
    } finally {
      await main.end();
      const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await admin.query('DROP DATABASE IF EXISTS t_tmpdir_probe').finally(() => admin.end());
    }
  });

  it('a run killed before its cleanup leaves an instance that the next start reaps by its pid file', async () => {
    // a child process starts an instance, prints its directory, and is then SIGKILLed (no exit handler runs)
    const code = `import { startMariaDb } from ${JSON.stringify(new URL('../helpers/mariadb-server.ts', import.meta.url).pathname)};
      const s = await startMariaDb(); console.log(s.dir); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const dir: string = await waitFor(() => (out.includes('\n') ? out.trim() : ''), { timeoutMs: 30_000, what: 'the child to start its server' });
    expect(dir.startsWith(INSTANCES_DIR)).to.equal(true);
    const pid = Number(readFileSync(`${dir}/pid`, 'utf8'));
    child.kill('SIGKILL');
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, { what: 'the child to die' });
    expect(alive(pid), 'the orphaned server still runs').to.equal(true);
    expect(reapLeftovers()).to.be.at.least(1);
    await waitFor(() => !alive(pid), { timeoutMs: 10_000, what: 'the orphaned server to be gone' });
    expect(existsSync(dir)).to.equal(false);
  });
});
