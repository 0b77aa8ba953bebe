/**
 * The second example application (examples/taskboard, "someone else's app"):
 * its migrations and its server are started as its README says, as separate
 * processes, on a fresh database; then its own black-box suite runs against
 * the running server over HTTP, twice (it must be re-runnable against one
 * instance), and once against a dead address (it must be able to fail).
 * The schema is checked here independently of the app, because later tests of
 * the facade and split-db rely on its shapes (UUID CHAR(36) keys with a
 * case-insensitive collation, composite keys, BINARY(16), cascades).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKnex, dropDatabase, withDatabase, type Knex } from '../../lib/db.ts';
import { testServerDsn, uniqueName } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const APP = join(ROOT, 'examples/taskboard');
const MOCHA = join(ROOT, 'node_modules/mocha/bin/mocha.js');

interface Run {
  code: number | null;
  out: string;
}

function run(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, out });
    });
  });
}

function suite(url: string, extra: string[] = []): Promise<Run> {
  return run([MOCHA, '--no-config', '--timeout', '10000', '--exit', '--reporter', 'dot', ...extra, 'examples/taskboard/test/*.test.ts'], { TASKBOARD_URL: url });
}

function passing(out: string): number {
  return Number(/(\d+) passing/.exec(out)?.[1] ?? 0);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('system: the Taskboard example app passes its own black-box suite @integration', function () {
  this.timeout(60_000);
  const dsn = withDatabase(testServerDsn(), uniqueName('taskboard'));
  let server: ChildProcess | undefined;
  let serverOut = '';
  let url = '';
  let knex: Knex;
  const secret = randomBytes(16).toString('hex');

  before(async function () {
    this.timeout(30_000);
    const env = { DATABASE_URL: dsn };
    const migrated = await run(['examples/taskboard/src/migrate.ts'], env);
    expect(migrated.code, migrated.out).to.equal(0);
    expect(migrated.out).to.match(/applied 3 migration/);
    knex = createKnex(dsn, { pool: { max: 1 } });
    server = spawn(process.execPath, ['examples/taskboard/src/server.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: '0', SCRYPT_COST: '1024', JWT_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (b: Buffer) => (serverOut += b.toString()));
    server.stderr!.on('data', (b: Buffer) => (serverOut += b.toString()));
    const died = new Promise<never>((_, reject) => server!.once('exit', (code) => reject(new Error(`taskboard exited (${code}) before listening:\n${serverOut}`))));
    url = (await Promise.race([waitFor(() => /taskboard listening on (http:\/\/\S+)/.exec(serverOut)?.[1], { timeoutMs: 15_000, what: 'taskboard to listen' }), died]))!;
    died.catch(() => undefined);
  });

  after(async function () {
    this.timeout(20_000);
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await knex?.destroy();
    await dropDatabase(dsn);
  });

  it('has the schema shapes later tests rely on (checked in information_schema, not by the app)', async () => {
    const db = new URL(dsn).pathname.slice(1);
    const [cols] = await knex.raw(
      `SELECT TABLE_NAME t, COLUMN_NAME c, COLUMN_TYPE ty, COLLATION_NAME co, EXTRA x FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`, [db]);
    const col = (t: string, c: string) => (cols as Array<{ t: string; c: string; ty: string; co: string | null; x: string }>).find((r) => r.t === t && r.c === c);
    for (const t of ['users', 'projects', 'tasks']) {
      expect(col(t, 'id')?.ty, `${t}.id`).to.equal('char(36)');
      expect(col(t, 'id')?.co, `${t}.id`).to.match(/^utf8mb4_(general|unicode)_ci$/);
      expect(col(t, 'created_at')?.ty, `${t}.created_at`).to.equal('datetime(3)');
    }
    expect(col('labels', 'id')?.ty).to.equal('binary(16)');
    expect(col('comments', 'id')?.x).to.match(/auto_increment/);
    const [keys] = await knex.raw(
      `SELECT TABLE_NAME t, GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) k FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = ? AND CONSTRAINT_NAME = 'PRIMARY' GROUP BY TABLE_NAME`, [db]);
    const pk = Object.fromEntries((keys as Array<{ t: string; k: string }>).map((r) => [r.t, r.k]));
    expect(pk.project_members).to.equal('project_id,user_id');
    expect(pk.task_labels).to.equal('project_id,task_id,label_id');
    const [fks] = await knex.raw(
      `SELECT TABLE_NAME t, REFERENCED_TABLE_NAME r, DELETE_RULE d FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`, [db]);
    const rules = (fks as Array<{ t: string; r: string; d: string }>).map((f) => `${f.t}->${f.r}:${f.d}`);
    expect(rules).to.include.members(['tasks->projects:CASCADE', 'project_members->projects:CASCADE', 'comments->tasks:CASCADE', 'tasks->users:SET NULL']);
  });

  it('boundaries.json (the expected answer for a split) is true to the schema and the source', async () => {
    const b = JSON.parse(await readFile(join(APP, 'boundaries.json'), 'utf8')) as {
      services: Record<string, string[]>;
      crossingForeignKeys: Array<{ table: string; column: string; references: string; onDelete: string }>;
      crossBoundaryQueries: Array<{ file: string; site: string; tables: string[] }>;
    };
    const owner = new Map(Object.entries(b.services).flatMap(([svc, tables]) => tables.map((t) => [t, svc] as const)));
    const db = new URL(dsn).pathname.slice(1);
    const [tables] = await knex.raw(`SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME NOT LIKE 'knex%'`, [db]);
    expect([...owner.keys()].sort(), 'every table has one service').to.deep.equal((tables as Array<{ t: string }>).map((r) => r.t).sort());
    const [fks] = await knex.raw(
      `SELECT k.TABLE_NAME t, k.COLUMN_NAME c, k.REFERENCED_TABLE_NAME r, rc.DELETE_RULE d
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS rc ON rc.CONSTRAINT_SCHEMA = k.TABLE_SCHEMA AND rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME
        WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL`, [db]);
    const crossing = (fks as Array<{ t: string; c: string; r: string; d: string }>)
      .filter((f) => owner.get(f.t) !== owner.get(f.r))
      .map((f) => `${f.t}.${f.c}->${f.r}:${f.d}`).sort();
    expect(b.crossingForeignKeys.map((f) => `${f.table}.${f.column}->${f.references}:${f.onDelete}`).sort()).to.deep.equal(crossing);
    for (const q of b.crossBoundaryQueries) {
      const src = await readFile(join(APP, q.file), 'utf8');
      expect(src, `${q.file} ${q.site}`).to.include(q.site);
      expect(new Set(q.tables.map((t) => owner.get(t))).size, `${q.site} crosses a boundary`).to.be.greaterThan(1);
      for (const t of q.tables) expect(src, `${q.file} names ${t}`).to.match(new RegExp(`\\b${t}\\b`));
    }
  });

  it('passes its suite against the running server, over HTTP', async () => {
    const r = await suite(url);
    expect(r.code, r.out).to.equal(0);
    expect(passing(r.out), r.out).to.be.greaterThan(25);
    expect(r.out).to.not.match(/failing/);
  });

  it('passes it again against the same instance (re-runnable: no state shared between runs)', async () => {
    const users = async () => Number((await knex.raw('SELECT COUNT(*) n FROM users'))[0][0].n);
    const before = await users();
    const r = await suite(url);
    expect(r.code, r.out).to.equal(0);
    expect(passing(r.out), r.out).to.be.greaterThan(25);
    expect(await users() - before, 'the second run signed up users of its own').to.be.greaterThan(10);
    expect(serverOut, 'the server logged no internal error').to.not.match(/\berror (GET|POST|PUT|PATCH|DELETE)\b/);
  });

  it('issues standard HS256 tokens: one signed here with its secret is accepted, an expired or re-signed one refused', async () => {
    const hs256 = (claims: object, key = secret) => {
      const input = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
    };
    const signup = await fetch(`${url}/auth/signup`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `jwt.${randomBytes(4).toString('hex')}@sys.test`, password: 'long enough', name: 'Jay' }),
    });
    expect(signup.status).to.equal(201);
    const { user } = (await signup.json()) as { user: { id: string } };
    const now = Math.floor(Date.now() / 1000);
    const me = (token: string) => fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
    const ok = await me(hs256({ sub: user.id, iat: now, exp: now + 60 }));
    expect(ok.status).to.equal(200);
    expect(((await ok.json()) as { id: string }).id).to.equal(user.id);
    const expired = await me(hs256({ sub: user.id, iat: now - 120, exp: now - 60 }));
    expect([expired.status, await expired.json()]).to.deep.equal([401, { message: 'token expired', status: 401 }]);
    const forged = await me(hs256({ sub: user.id, iat: now, exp: now + 60 }, 'not-the-secret'));
    expect([forged.status, await forged.json()]).to.deep.equal([401, { message: 'bad token signature', status: 401 }]);
  });

  it('fails when nothing answers at the URL (the suite can fail)', async () => {
    const r = await suite(`http://127.0.0.1:${await freePort()}`, ['--bail']);
    expect(r.code, r.out).to.not.equal(0);
    expect(r.out).to.match(/failing/);
  });

  it('stands alone: imports only node:*, express, knex, mysql2 and its own files', async () => {
    const allowed = /^(node:|express$|knex$|mysql2)/;
    const bad: string[] = [];
    for (const file of await tsFiles(APP)) {
      const src = await readFile(file, 'utf8');
      for (const m of src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
        const spec = m[1];
        if (spec.startsWith('.')) {
          if (relative(APP, resolve(dirname(file), spec)).startsWith('..')) bad.push(`${relative(ROOT, file)}: ${spec}`);
        } else if (!allowed.test(spec)) bad.push(`${relative(ROOT, file)}: ${spec}`);
      }
    }
    expect(bad).to.deep.equal([]);
  });
});
