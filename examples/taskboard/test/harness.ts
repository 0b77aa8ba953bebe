/**
 * The suite talks HTTP only. With TASKBOARD_URL it tests that running
 * instance (re-runnable: every run signs up its own users); without it,
 * it starts Taskboard in this process on a free port against a fresh
 * database on TASKBOARD_TEST_MYSQL (default mysql://root@127.0.0.1:3306/)
 * and drops that database afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

export const RUN = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

let base: Promise<string> | undefined;
let stop: (() => Promise<void>) | undefined;

async function startLocal(): Promise<string> {
  const { startServer } = await import('../src/server.ts');
  const { createDatabase, dropDatabase } = await import('../src/db/migrations.ts');
  const server = new URL(process.env.TASKBOARD_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/');
  server.pathname = `/taskboard_test_${RUN}`;
  const databaseUrl = server.toString();
  await createDatabase(databaseUrl);
  try {
    const running = await startServer(
      { databaseUrl, host: '127.0.0.1', port: 0, jwtSecret: `test-${RUN}`, tokenTtlSeconds: 3600, scryptCost: 1024, dbPoolMax: 5 },
      { migrate: true },
    );
    stop = async () => {
      await running.close();
      await dropDatabase(databaseUrl);
    };
    return running.url;
  } catch (err) {
    await dropDatabase(databaseUrl);
    throw err;
  }
}

export function baseUrl(): Promise<string> {
  base ??= process.env.TASKBOARD_URL ? Promise.resolve(process.env.TASKBOARD_URL.replace(/\/+$/, '')) : startLocal();
  return base;
}

after(async function () {
  this.timeout(20_000);
  if (stop) await stop();
});

export interface Reply {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

export async function call(method: string, path: string, opts: { token?: string; json?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.raw !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = opts.raw;
  }
  const res = await fetch(`${await baseUrl()}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, body: parsed, headers: res.headers };
}

/** Asserts the status and, for errors, the app's error shape `{message, status}` (plus `errors` on 400). */
export function expectStatus(r: Reply, status: number, message?: string | RegExp): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  if (status >= 400) {
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(typeof r.body?.message, 'string', r.text);
    assert.equal(r.body.status, status, r.text);
    const keys = Object.keys(r.body).sort();
    assert.deepEqual(keys, status === 400 && r.body.errors ? ['errors', 'message', 'status'] : ['message', 'status'], r.text);
    if (message instanceof RegExp) assert.match(r.body.message, message);
    else if (message !== undefined) assert.equal(r.body.message, message);
  }
}

/** The fields a 400 named. */
export function badFields(r: Reply): string[] {
  expectStatus(r, 400);
  return (r.body.errors ?? []).map((e: { field: string }) => e.field).sort();
}

let seq = 0;

export interface TestUser {
  id: string;
  email: string;
  name: string;
  password: string;
  token: string;
}

/** Signs up a user unique to this run. */
export async function signup(label: string, name = `${label[0].toUpperCase()}${label.slice(1)} ${RUN}`): Promise<TestUser> {
  const email = `${label}.${RUN}.${++seq}@taskboard.test`;
  const password = `pw-${label}-${RUN}`;
  const r = await call('POST', '/auth/signup', { json: { email, password, name } });
  expectStatus(r, 201);
  return { id: r.body.user.id, email, name, password, token: r.body.token };
}

export async function newProject(owner: TestUser, name: string, description?: string): Promise<{ id: string; name: string }> {
  const r = await call('POST', '/projects', { token: owner.token, json: description === undefined ? { name } : { name, description } });
  expectStatus(r, 201);
  return r.body;
}

export async function newTask(user: TestUser, projectId: string, fields: Record<string, unknown>) {
  const r = await call('POST', `/projects/${projectId}/tasks`, { token: user.token, json: fields });
  expectStatus(r, 201);
  return r.body;
}

export async function addMember(owner: TestUser, projectId: string, user: TestUser, role?: string): Promise<void> {
  expectStatus(await call('POST', `/projects/${projectId}/members`, { token: owner.token, json: role ? { email: user.email, role } : { email: user.email } }), 201);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

/** Ascending by (createdAt, id): the order the API promises for task lists. */
export function byCreated<T extends { createdAt: string; id: string }>(a: T, b: T): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
