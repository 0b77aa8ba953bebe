import assert from 'node:assert/strict';
import { ISO_MS, MISSING_UUID, RUN, UUID_RE, addMember, badFields, call, expectStatus, newProject, newTask, signup, type TestUser } from './harness.ts';

describe('taskboard: projects and members', () => {
  let owner: TestUser;
  let admin: TestUser;
  let member: TestUser;
  let outsider: TestUser;

  before(async () => {
    [owner, admin, member, outsider] = await Promise.all([signup('owner', `Olga ${RUN}`), signup('admin', `Adam ${RUN}`), signup('member', `Mia ${RUN}`), signup('outsider')]);
  });

  it('creates a project (201): the creator is its owner', async () => {
    const r = await call('POST', '/projects', { token: owner.token, json: { name: '  Launch  ', description: 'The launch plan' } });
    expectStatus(r, 201);
    assert.match(r.body.id, UUID_RE);
    assert.deepEqual(r.body, {
      id: r.body.id, name: 'Launch', description: 'The launch plan', ownerId: owner.id,
      createdAt: r.body.createdAt, updatedAt: r.body.createdAt, role: 'owner', memberCount: 1, openTaskCount: 0,
    });
    assert.match(r.body.createdAt, ISO_MS);
    const got = await call('GET', `/projects/${r.body.id}`, { token: owner.token });
    expectStatus(got, 200);
    assert.equal(got.text, r.text, 'reading it back gives the same bytes');
  });

  it('validates new projects (400)', async () => {
    assert.deepEqual(badFields(await call('POST', '/projects', { token: owner.token, json: { description: 'no name' } })), ['name']);
    assert.deepEqual(badFields(await call('POST', '/projects', { token: owner.token, json: { name: 'x'.repeat(121), description: 7 } })), ['description', 'name']);
  });

  it('lists only my projects, by name, with my role and counts, byte-stable', async () => {
    const u = await signup('lister');
    const z = await newProject(u, 'Zeta');
    const a = await newProject(u, 'alpha');
    const m = await newProject(u, 'Mu');
    await newProject(outsider, 'Not mine');
    await newTask(u, m.id, { title: 'open one' });
    await newTask(u, m.id, { title: 'closed one', status: 'done' });
    const r = await call('GET', '/projects', { token: u.token });
    expectStatus(r, 200);
    assert.deepEqual(r.body.items.map((p: { id: string }) => p.id), [a.id, m.id, z.id], 'by name, case-insensitively');
    assert.deepEqual(r.body.items.map((p: { role: string; memberCount: number; openTaskCount: number }) => [p.role, p.memberCount, p.openTaskCount]), [['owner', 1, 0], ['owner', 1, 1], ['owner', 1, 0]]);
    assert.equal((await call('GET', '/projects', { token: u.token })).text, r.text);
  });

  it('hides other people\'s projects: 404 for outsiders, malformed and unknown ids', async () => {
    const p = await newProject(owner, 'Private');
    expectStatus(await call('GET', `/projects/${p.id}`, { token: outsider.token }), 404, 'project not found');
    expectStatus(await call('GET', `/projects/${MISSING_UUID}`, { token: owner.token }), 404, 'project not found');
    expectStatus(await call('GET', '/projects/not-a-uuid', { token: owner.token }), 404, 'project not found');
    expectStatus(await call('PATCH', `/projects/${p.id}`, { token: outsider.token, json: { name: 'mine now' } }), 404);
    expectStatus(await call('DELETE', `/projects/${p.id}`, { token: outsider.token }), 404);
    expectStatus(await call('GET', `/projects/${p.id}/members`, { token: outsider.token }), 404);
  });

  it('finds a project by its id in upper case too (the id column is case-insensitive)', async () => {
    const p = await newProject(owner, 'Shouting');
    const r = await call('GET', `/projects/${p.id.toUpperCase()}`, { token: owner.token });
    expectStatus(r, 200);
    assert.equal(r.body.id, p.id);
  });

  it('manages members: add by e-mail (201), list owner → admin → member by name, 409 twice, 404 unknown e-mail, 400 bad role', async () => {
    const p = await newProject(owner, 'Team');
    const r = await call('POST', `/projects/${p.id}/members`, { token: owner.token, json: { email: member.email.toUpperCase() } });
    expectStatus(r, 201);
    assert.deepEqual(r.body, { userId: member.id, name: member.name, email: member.email, role: 'member', addedAt: r.body.addedAt });
    await addMember(owner, p.id, admin, 'admin');
    expectStatus(await call('POST', `/projects/${p.id}/members`, { token: owner.token, json: { email: member.email } }), 409, 'already a member of this project');
    expectStatus(await call('POST', `/projects/${p.id}/members`, { token: owner.token, json: { email: `ghost.${RUN}@taskboard.test` } }), 404, 'no user with that email');
    assert.deepEqual(badFields(await call('POST', `/projects/${p.id}/members`, { token: owner.token, json: { email: outsider.email, role: 'owner' } })), ['role']);
    assert.deepEqual(badFields(await call('POST', `/projects/${p.id}/members`, { token: owner.token, json: {} })), ['email']);
    const list = await call('GET', `/projects/${p.id}/members`, { token: member.token });
    expectStatus(list, 200);
    assert.deepEqual(list.body.items.map((m: { userId: string; role: string }) => [m.userId, m.role]), [[owner.id, 'owner'], [admin.id, 'admin'], [member.id, 'member']]);
    const summary = await call('GET', `/projects/${p.id}`, { token: member.token });
    assert.equal(summary.body.role, 'member');
    assert.equal(summary.body.memberCount, 3);
  });

  it('enforces roles: a member cannot edit, add, remove others or delete (403); an admin can edit and add', async () => {
    const p = await newProject(owner, 'Roles');
    await addMember(owner, p.id, admin, 'admin');
    await addMember(owner, p.id, member);
    expectStatus(await call('PATCH', `/projects/${p.id}`, { token: member.token, json: { name: 'Mine' } }), 403, 'only owner or admin may edit the project');
    expectStatus(await call('POST', `/projects/${p.id}/members`, { token: member.token, json: { email: outsider.email } }), 403);
    expectStatus(await call('DELETE', `/projects/${p.id}/members/${admin.id}`, { token: member.token }), 403);
    expectStatus(await call('DELETE', `/projects/${p.id}`, { token: member.token }), 403, 'only owner may delete the project');
    expectStatus(await call('DELETE', `/projects/${p.id}`, { token: admin.token }), 403);
    const edit = await call('PATCH', `/projects/${p.id}`, { token: admin.token, json: { description: null } });
    expectStatus(edit, 200);
    assert.equal(edit.body.description, null);
    assert.equal(edit.body.name, 'Roles');
    assert.ok(edit.body.updatedAt >= edit.body.createdAt);
    expectStatus(await call('POST', `/projects/${p.id}/members`, { token: admin.token, json: { email: outsider.email } }), 201);
  });

  it('updates a project (200) and refuses an empty or invalid change (400)', async () => {
    const p = await newProject(owner, 'Old name');
    const r = await call('PATCH', `/projects/${p.id}`, { token: owner.token, json: { name: 'New name', description: 'now described' } });
    expectStatus(r, 200);
    assert.equal(r.body.name, 'New name');
    assert.equal(r.body.description, 'now described');
    assert.deepEqual(badFields(await call('PATCH', `/projects/${p.id}`, { token: owner.token, json: {} })), ['(body)']);
    assert.deepEqual(badFields(await call('PATCH', `/projects/${p.id}`, { token: owner.token, json: { name: '' } })), ['name']);
  });

  it('removes members (204): their tasks become unassigned; the owner cannot be removed (409); a member may leave', async () => {
    const p = await newProject(owner, 'Churn');
    await addMember(owner, p.id, member);
    await addMember(owner, p.id, admin, 'admin');
    const t = await newTask(owner, p.id, { title: 'for mia', assigneeId: member.id });
    assert.equal(t.assignee.id, member.id);
    expectStatus(await call('DELETE', `/projects/${p.id}/members/${member.id}`, { token: owner.token }), 204);
    expectStatus(await call('DELETE', `/projects/${p.id}/members/${member.id}`, { token: owner.token }), 404, 'member not found');
    expectStatus(await call('DELETE', `/projects/${p.id}/members/bogus`, { token: owner.token }), 404, 'member not found');
    expectStatus(await call('GET', `/projects/${p.id}`, { token: member.token }), 404);
    const after = await call('GET', `/tasks/${t.id}`, { token: owner.token });
    assert.equal(after.body.assignee, null);
    expectStatus(await call('DELETE', `/projects/${p.id}/members/${owner.id}`, { token: admin.token }), 409, 'the owner cannot be removed from the project');
    expectStatus(await call('DELETE', `/projects/${p.id}/members/${admin.id}`, { token: admin.token }), 204);
    const list = await call('GET', `/projects/${p.id}/members`, { token: owner.token });
    assert.deepEqual(list.body.items.map((m: { userId: string }) => m.userId), [owner.id]);
  });

  it('deletes a project (204) with its tasks, comments and labels', async () => {
    const p = await newProject(owner, 'Doomed');
    const t = await newTask(owner, p.id, { title: 'goes too' });
    expectStatus(await call('POST', `/tasks/${t.id}/comments`, { token: owner.token, json: { body: 'bye' } }), 201);
    expectStatus(await call('POST', `/projects/${p.id}/labels`, { token: owner.token, json: { name: 'gone' } }), 201);
    expectStatus(await call('DELETE', `/projects/${p.id}`, { token: owner.token }), 204);
    expectStatus(await call('GET', `/projects/${p.id}`, { token: owner.token }), 404);
    expectStatus(await call('GET', `/tasks/${t.id}`, { token: owner.token }), 404, 'task not found');
    expectStatus(await call('GET', `/tasks/${t.id}/comments`, { token: owner.token }), 404);
    expectStatus(await call('DELETE', `/projects/${p.id}`, { token: owner.token }), 404);
  });
});
