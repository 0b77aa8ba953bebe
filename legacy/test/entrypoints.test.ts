import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import { waitFor } from '../../test/helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APIS = [
  { file: 'legacy/user-api/index.ts', portVar: 'USER_API_PORT', probe: '/api/shops' },
  { file: 'legacy/admin-api/index.ts', portVar: 'ADMIN_API_PORT', probe: '/admin/shops' },
  { file: 'legacy/merchant-api/index.ts', portVar: 'MERCHANT_API_PORT', probe: '/merchant/shop' },
];

function run(file: string, env: Record<string, string>): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

describe('legacy API entry points @integration', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase('entry'); });
  after(async () => { await db?.drop(); });

  for (const api of APIS) {
    it(`${api.file}: starts from env, serves, and exits 0 on SIGTERM`, async () => {
      const p = run(api.file, { [api.portVar]: '0', MYSQL_URL: db.dsn, LOG_LEVEL: 'info' });
      try {
        const port = await waitFor(() => /"port":(\d+)/.exec(p.out())?.[1], { timeoutMs: 10_000, what: 'listening line' });
        const health = await fetch(`http://127.0.0.1:${port}/health`);
        expect(health.status).to.equal(200);
        const probe = await fetch(`http://127.0.0.1:${port}${api.probe}`);
        expect(probe.status).to.be.oneOf([200, 401]);
        expect(probe.headers.get('x-request-id')).to.be.a('string');
        p.child.kill('SIGTERM');
        expect(await p.exit).to.equal(0);
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    });
  }

  it('refuses bad configuration with one line and exit code 1', async () => {
    const p = run('legacy/user-api/index.ts', { USER_API_PORT: 'seventy', MYSQL_URL: 'postgres://nope' });
    expect(await p.exit).to.equal(1);
    expect(p.out().trim().split('\n')).to.have.length(1);
    expect(p.out()).to.contain('USER_API_PORT').and.to.contain('MYSQL_URL');
  });
});
