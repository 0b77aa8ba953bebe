import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createKnex, dropDatabase, withDatabase } from '../../lib/db.ts';
import { testServerDsn, uniqueName } from '../../test/helpers/db.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { DEMO_USER } from '../seed/demo.ts';

const START = fileURLToPath(new URL('../start.ts', import.meta.url));

function listenAnywhere(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => resolve(s)).on('error', reject);
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

function runStart(args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [START, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  return { proc, out: () => out, exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
}

describe('npm start (scripts/start.ts) @integration', function () {
  this.timeout(90_000);
  const dsn = withDatabase(testServerDsn(), uniqueName('start'));

  after(async () => {
    await dropDatabase(dsn);
  });

  it('creates, migrates and seeds an empty database, starts the chosen processes, prints where they run, stops on SIGTERM', async () => {
    const taken = await listenAnywhere();
    const port = portOf(taken);
    await new Promise((r) => taken.close(r));
    const run = runStart(['--only', 'legacy-user,legacy-jobs'], { MYSQL_URL: dsn, USER_API_PORT: String(port), START_SEED_SCALE: '0.1' });
    try {
      await waitFor(() => run.out().includes('Ctrl-C stops everything'), { timeoutMs: 60_000, what: `the stack to come up:\n${run.out()}` });
      const out = run.out();
      expect(out).to.match(/empty, seeding demo data \(scale 0\.1\)/);
      expect(out).to.match(/total\s+[\d,]+ rows/);
      expect(out).to.match(new RegExp(`legacy-user\\s+legacy user API\\s+http://localhost:${port}`));
      expect(out).to.match(/legacy-jobs\s+jobs scheduler/);
      expect(out).to.include('demo@zigzag.test');
      expect(out).to.not.match(/legacy-admin\s+legacy admin API/);
      const res = await fetch(`http://127.0.0.1:${port}/api/products?size=3`);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as { items: { name: string }[] };
      expect(body.items).to.have.length(3);
      // the seeded demo shopper logs in with the documented password (seeder and API hash alike)
      const login = await fetch(`http://127.0.0.1:${port}/api/sessions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: DEMO_USER.email, password: DEMO_USER.password }),
      });
      expect(login.status).to.equal(200);
      expect(((await login.json()) as { token: string }).token).to.match(/^1\./);
      // the scheduler runs once on start: popularity scores and today's shop stats appear
      const knex = createKnex(dsn, { pool: { max: 1 } });
      try {
        await waitFor(async () => {
          const [[p], [s]] = await Promise.all([knex('products').where('popularity_score', '>', 0).count({ n: '*' }), knex('shop_daily_stats').count({ n: '*' })]);
          return Number(p.n) > 0 && Number(s.n) > 0;
        }, { timeoutMs: 30_000, what: 'the jobs scheduler to rank products' });
      } finally {
        await knex.destroy();
      }
    } finally {
      run.proc.kill('SIGTERM');
    }
    expect(await run.exited).to.equal(0);
    expect(run.out()).to.match(/start: legacy-user exited with code 0/);
    expect(run.out()).to.match(/start: legacy-jobs exited with code 0/);
  });

  it('does not seed twice, and fails with one clear line and exit 1 when a child cannot start', async () => {
    const taken = await listenAnywhere();
    try {
      const run = runStart(['--only', 'legacy-user'], { MYSQL_URL: dsn, USER_API_PORT: String(portOf(taken)), START_READY_TIMEOUT_MS: '30000' });
      expect(await run.exited).to.equal(1);
      expect(run.out()).to.match(/has data \(\d+ shops\), not seeding/);
      expect(run.out()).to.match(/start: legacy-user: exited with code 1 before it was ready\n/);
    } finally {
      taken.close();
    }
  });

  it('rejects unknown process names and bad ports before touching anything', async () => {
    const a = runStart(['--only', 'legacy-user,nope'], { MYSQL_URL: dsn });
    expect(await a.exited).to.equal(1);
    expect(a.out().trim()).to.equal('start: unknown process "nope" (known: ' + a.out().match(/known: ([^)]+)\)/)![1] + ')');
    const b = runStart([], { MYSQL_URL: dsn, ADMIN_API_PORT: 'eighty' });
    expect(await b.exited).to.equal(1);
    expect(b.out().trim()).to.match(/^start: invalid configuration: ADMIN_API_PORT: /);
  });
});
