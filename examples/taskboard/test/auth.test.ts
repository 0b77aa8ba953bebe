import assert from 'node:assert/strict';
import { ISO_MS, RUN, UUID_RE, badFields, call, expectStatus, signup } from './harness.ts';

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describe('taskboard: health and accounts', () => {
  it('GET /health answers ok without a token', async () => {
    const r = await call('GET', '/health');
    expectStatus(r, 200);
    assert.equal(r.text, '{"status":"ok"}');
  });

  it('signs up: 201, an HS256 JWT whose sub is the new user id, the user without secrets', async () => {
    const email = `Signup.${RUN}@Taskboard.test`;
    const r = await call('POST', '/auth/signup', { json: { email, password: 'correct horse', name: '  Sam Signup  ' } });
    expectStatus(r, 201);
    assert.deepEqual(Object.keys(r.body).sort(), ['token', 'user']);
    assert.deepEqual(Object.keys(r.body.user), ['id', 'email', 'name', 'createdAt']);
    assert.match(r.body.user.id, UUID_RE);
    assert.equal(r.body.user.email, email, 'the e-mail is kept as typed');
    assert.equal(r.body.user.name, 'Sam Signup', 'names are trimmed');
    assert.match(r.body.user.createdAt, ISO_MS);
    const parts = r.body.token.split('.');
    assert.equal(parts.length, 3);
    assert.deepEqual(JSON.parse(Buffer.from(parts[0], 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
    const claims = claimsOf(r.body.token);
    assert.equal(claims.sub, r.body.user.id);
    assert.ok((claims.exp as number) > (claims.iat as number));
  });

  it('refuses a taken e-mail with 409, whatever its letter case', async () => {
    const u = await signup('dup');
    expectStatus(await call('POST', '/auth/signup', { json: { email: u.email, password: 'another-pass', name: 'Again' } }), 409, 'email already registered');
    expectStatus(await call('POST', '/auth/signup', { json: { email: u.email.toUpperCase(), password: 'another-pass', name: 'Again' } }), 409);
  });

  it('validates sign-up bodies: 400 naming every bad field', async () => {
    assert.deepEqual(badFields(await call('POST', '/auth/signup', { json: {} })), ['email', 'name', 'password']);
    assert.deepEqual(badFields(await call('POST', '/auth/signup', { json: { email: 'not-an-email', password: 'short', name: 'x' } })), ['email', 'password']);
    assert.deepEqual(badFields(await call('POST', '/auth/signup', { json: { email: `n.${RUN}@t.test`, password: 12345678, name: '' } })), ['name', 'password']);
    assert.deepEqual(badFields(await call('POST', '/auth/signup', { json: ['email'] })), ['(body)', 'email', 'name', 'password']);
    expectStatus(await call('POST', '/auth/signup', { raw: '{"email":' }), 400, 'request body is not valid JSON');
  });

  it('logs in with the e-mail in any case; the token works for /me', async () => {
    const u = await signup('login');
    const r = await call('POST', '/auth/login', { json: { email: u.email.toUpperCase(), password: u.password } });
    expectStatus(r, 200);
    assert.equal(r.body.user.id, u.id);
    assert.equal(claimsOf(r.body.token).sub, u.id);
    const me = await call('GET', '/me', { token: r.body.token });
    expectStatus(me, 200);
    assert.deepEqual(me.body, { id: u.id, email: u.email, name: u.name, createdAt: me.body.createdAt, projectCount: 0, openTaskCount: 0 });
  });

  it('refuses a wrong password or an unknown e-mail alike with 401; a login without fields with 400', async () => {
    const u = await signup('wrongpw');
    expectStatus(await call('POST', '/auth/login', { json: { email: u.email, password: 'wrong-password' } }), 401, 'wrong email or password');
    expectStatus(await call('POST', '/auth/login', { json: { email: `nobody.${RUN}@taskboard.test`, password: 'whatever1' } }), 401, 'wrong email or password');
    assert.deepEqual(badFields(await call('POST', '/auth/login', { json: { email: u.email } })), ['password']);
  });

  it('GET /me and every other route need a valid bearer token (401)', async () => {
    const u = await signup('tokens');
    expectStatus(await call('GET', '/me'), 401, 'missing bearer token');
    expectStatus(await call('GET', '/me', { headers: { authorization: u.token } }), 401, 'missing bearer token');
    expectStatus(await call('GET', '/me', { token: 'abc.def' }), 401, 'malformed token');
    const [h, p, s] = u.token.split('.');
    const otherSub = Buffer.from(JSON.stringify({ ...claimsOf(u.token), sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    expectStatus(await call('GET', '/me', { token: `${h}.${otherSub}.${s}` }), 401, 'bad token signature');
    const flipped = s.slice(0, -2) + (s.slice(-2) === 'AA' ? 'AB' : 'AA');
    expectStatus(await call('GET', '/me', { token: `${h}.${p}.${flipped}` }), 401);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expectStatus(await call('GET', '/me', { token: `${none}.${p}.` }), 401, 'unsupported token algorithm');
    const pid = '00000000-0000-4000-8000-000000000001';
    const t = '00000000-0000-4000-8000-000000000002';
    const l = '0'.repeat(32);
    const routes = [
      ['GET', '/me'], ['GET', '/projects'], ['POST', '/projects'], ['GET', `/projects/${pid}`], ['PATCH', `/projects/${pid}`], ['DELETE', `/projects/${pid}`],
      ['GET', `/projects/${pid}/members`], ['POST', `/projects/${pid}/members`], ['DELETE', `/projects/${pid}/members/${u.id}`],
      ['GET', `/projects/${pid}/tasks`], ['POST', `/projects/${pid}/tasks`], ['GET', `/tasks/${t}`], ['PATCH', `/tasks/${t}`], ['DELETE', `/tasks/${t}`],
      ['GET', `/tasks/${t}/comments`], ['POST', `/tasks/${t}/comments`], ['GET', `/projects/${pid}/labels`], ['POST', `/projects/${pid}/labels`],
      ['PUT', `/tasks/${t}/labels/${l}`], ['DELETE', `/tasks/${t}/labels/${l}`], ['GET', '/search?q=abc'],
    ];
    for (const [method, path] of routes) {
      expectStatus(await call(method, path, { json: method === 'POST' || method === 'PATCH' ? { name: 'x' } : undefined }), 401, 'missing bearer token');
      expectStatus(await call(method, path, { token: `${h}.${otherSub}.${s}` }), 401, 'bad token signature');
    }
  });

  it('answers an unknown route with 404 in the same shape', async () => {
    const u = await signup('unknown');
    expectStatus(await call('GET', '/no/such/route', { token: u.token }), 404, 'no route for GET /no/such/route');
  });
});
