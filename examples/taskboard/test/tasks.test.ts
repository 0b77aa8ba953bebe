import assert from 'node:assert/strict';
import { ISO_MS, MISSING_UUID, RUN, UUID_RE, addMember, badFields, byCreated, call, expectStatus, newProject, newTask, signup, type TestUser } from './harness.ts';

describe('taskboard: tasks', () => {
  let owner: TestUser;
  let dev: TestUser;
  let outsider: TestUser;
  let project: { id: string };

  before(async () => {
    [owner, dev, outsider] = await Promise.all([signup('tasks-owner', `Tara ${RUN}`), signup('dev', `Dev ${RUN}`), signup('tasks-outsider')]);
    project = await newProject(owner, 'Tasks');
    await addMember(owner, project.id, dev);
  });

  it('creates a task (201) with the assignee\'s and creator\'s names', async () => {
    const r = await call('POST', `/projects/${project.id}/tasks`, {
      token: owner.token,
      json: { title: ' Write docs ', description: 'all of them', priority: 1, dueDate: '2028-02-29', assigneeId: dev.id.toUpperCase() },
    });
    expectStatus(r, 201);
    assert.match(r.body.id, UUID_RE);
    assert.match(r.body.createdAt, ISO_MS);
    assert.deepEqual(r.body, {
      id: r.body.id, projectId: project.id, title: 'Write docs', description: 'all of them', status: 'todo', priority: 1, dueDate: '2028-02-29',
      assignee: { id: dev.id, name: dev.name }, createdBy: { id: owner.id, name: owner.name }, labels: [], commentCount: 0,
      createdAt: r.body.createdAt, updatedAt: r.body.createdAt,
    });
    const got = await call('GET', `/tasks/${r.body.id}`, { token: dev.token });
    expectStatus(got, 200);
    assert.equal(got.text, r.text);
    const upper = await call('GET', `/tasks/${r.body.id.toUpperCase()}`, { token: dev.token });
    expectStatus(upper, 200);
    assert.equal(upper.text, r.text, 'an upper-case id finds the same task, answered with the stored id');
  });

  it('validates tasks (400): title, status, priority, calendar date, assignee membership', async () => {
    const post = (json: unknown) => call('POST', `/projects/${project.id}/tasks`, { token: owner.token, json });
    assert.deepEqual(badFields(await post({})), ['title']);
    assert.deepEqual(badFields(await post({ title: 'x', status: 'blocked', priority: 9 })), ['priority', 'status']);
    assert.deepEqual(badFields(await post({ title: 'x', priority: 2.5, dueDate: 'tomorrow' })), ['dueDate', 'priority']);
    assert.deepEqual(badFields(await post({ title: 'x', dueDate: '2027-02-29' })), ['dueDate']);
    assert.deepEqual(badFields(await post({ title: 'x', assigneeId: outsider.id })), ['assigneeId']);
    assert.deepEqual(badFields(await post({ title: 'x', assigneeId: 'bob' })), ['assigneeId']);
    expectStatus(await call('POST', `/projects/${project.id}/tasks`, { token: outsider.token, json: { title: 'sneaky' } }), 404, 'project not found');
  });

  it('lists with filters (status, assignee=me|none|id) and pages, oldest first, with a total; byte-stable', async () => {
    const p = await newProject(owner, 'Paging');
    await addMember(owner, p.id, dev);
    // created concurrently, so some may share a millisecond: the id breaks such ties
    const made = await Promise.all(
      Array.from({ length: 7 }, (_, i) => newTask(owner, p.id, { title: `task ${i}`, status: i % 3 === 0 ? 'done' : 'todo', assigneeId: i % 2 === 0 ? dev.id : null })),
    );
    const order = [...made].sort(byCreated).map((t) => t.id);
    const ids = (r: { body: { items: Array<{ id: string }> } }) => r.body.items.map((t) => t.id);
    const list = (q: string, who = owner) => call('GET', `/projects/${p.id}/tasks${q}`, { token: who.token });

    const all = await list('');
    expectStatus(all, 200);
    assert.deepEqual(ids(all), order);
    assert.deepEqual([all.body.page, all.body.pageSize, all.body.total], [1, 20, 7]);
    assert.equal((await list('')).text, all.text, 'the same list twice is the same bytes');

    const p1 = await list('?pageSize=3');
    const p3 = await list('?pageSize=3&page=3');
    assert.deepEqual(ids(p1), order.slice(0, 3));
    assert.deepEqual(ids(await list('?pageSize=3&page=2')), order.slice(3, 6));
    assert.deepEqual([ids(p3), p3.body.total, p3.body.page], [order.slice(6), 7, 3]);
    assert.deepEqual(ids(await list('?page=9')), []);

    const done = made.filter((t) => t.status === 'done').sort(byCreated).map((t) => t.id);
    const mine = made.filter((t) => t.assignee?.id === dev.id).sort(byCreated).map((t) => t.id);
    const none = made.filter((t) => t.assignee === null).sort(byCreated).map((t) => t.id);
    assert.deepEqual(ids(await list('?status=done')), done);
    assert.deepEqual(ids(await list('?assignee=me', dev)), mine);
    assert.deepEqual(ids(await list(`?assignee=${dev.id}`)), mine);
    assert.deepEqual(ids(await list('?assignee=none')), none);
    const both = await list(`?status=todo&assignee=${dev.id}`);
    assert.deepEqual(ids(both), made.filter((t) => t.status === 'todo' && t.assignee?.id === dev.id).sort(byCreated).map((t) => t.id));
    assert.equal(both.body.total, both.body.items.length);
  });

  it('refuses bad list parameters (400) and outsiders (404)', async () => {
    const list = (q: string) => call('GET', `/projects/${project.id}/tasks${q}`, { token: owner.token });
    assert.deepEqual(badFields(await list('?status=later')), ['status']);
    assert.deepEqual(badFields(await list('?assignee=someone')), ['assignee']);
    assert.deepEqual(badFields(await list('?page=0')), ['page']);
    assert.deepEqual(badFields(await list('?page=abc')), ['page']);
    assert.deepEqual(badFields(await list('?pageSize=101')), ['pageSize']);
    expectStatus(await call('GET', `/projects/${project.id}/tasks`, { token: outsider.token }), 404);
  });

  it('updates a task (200): status, assignee, due date; 400 for nothing or bad values', async () => {
    const t = await newTask(owner, project.id, { title: 'to update', assigneeId: dev.id });
    const r = await call('PATCH', `/tasks/${t.id}`, { token: dev.token, json: { status: 'doing', assigneeId: null, dueDate: '2030-01-31', title: 'updated' } });
    expectStatus(r, 200);
    assert.deepEqual([r.body.status, r.body.assignee, r.body.dueDate, r.body.title, r.body.createdAt], ['doing', null, '2030-01-31', 'updated', t.createdAt]);
    assert.ok(r.body.updatedAt >= t.updatedAt);
    assert.equal((await call('GET', `/tasks/${t.id}`, { token: owner.token })).text, r.text);
    assert.deepEqual(badFields(await call('PATCH', `/tasks/${t.id}`, { token: dev.token, json: {} })), ['(body)']);
    assert.deepEqual(badFields(await call('PATCH', `/tasks/${t.id}`, { token: dev.token, json: { status: 'nope' } })), ['status']);
    expectStatus(await call('PATCH', `/tasks/${t.id}`, { token: outsider.token, json: { status: 'done' } }), 404, 'task not found');
  });

  it('deletes a task (204); then it is gone (404); unknown and malformed ids are 404', async () => {
    const t = await newTask(dev, project.id, { title: 'to delete' });
    expectStatus(await call('DELETE', `/tasks/${t.id}`, { token: outsider.token }), 404);
    expectStatus(await call('DELETE', `/tasks/${t.id}`, { token: dev.token }), 204);
    expectStatus(await call('GET', `/tasks/${t.id}`, { token: dev.token }), 404, 'task not found');
    expectStatus(await call('DELETE', `/tasks/${t.id}`, { token: dev.token }), 404);
    expectStatus(await call('GET', `/tasks/${MISSING_UUID}`, { token: dev.token }), 404);
    expectStatus(await call('GET', '/tasks/12345', { token: dev.token }), 404);
  });
});

describe('taskboard: comments', () => {
  let owner: TestUser;
  let dev: TestUser;
  let outsider: TestUser;
  let task: { id: string };

  before(async () => {
    [owner, dev, outsider] = await Promise.all([signup('c-owner', `Cleo ${RUN}`), signup('c-dev', `Carl ${RUN}`), signup('c-outsider')]);
    const p = await newProject(owner, 'Comments');
    await addMember(owner, p.id, dev);
    task = await newTask(owner, p.id, { title: 'discuss' });
  });

  it('adds comments (201, increasing ids) and lists them in writing order with authors, paged', async () => {
    const made = [];
    for (const [who, body] of [[owner, 'first'], [dev, 'second'], [owner, 'third']] as const) {
      const r = await call('POST', `/tasks/${task.id}/comments`, { token: who.token, json: { body } });
      expectStatus(r, 201);
      assert.deepEqual(r.body, { id: r.body.id, taskId: task.id, author: { id: who.id, name: who.name }, body, createdAt: r.body.createdAt });
      assert.ok(Number.isInteger(r.body.id));
      made.push(r.body);
    }
    assert.ok(made[0].id < made[1].id && made[1].id < made[2].id);
    const list = await call('GET', `/tasks/${task.id}/comments`, { token: dev.token });
    expectStatus(list, 200);
    assert.deepEqual(list.body, { items: made, page: 1, pageSize: 20 });
    const p2 = await call('GET', `/tasks/${task.id}/comments?pageSize=2&page=2`, { token: dev.token });
    assert.deepEqual(p2.body.items, made.slice(2));
    const t = await call('GET', `/tasks/${task.id}`, { token: dev.token });
    assert.equal(t.body.commentCount, 3);
  });

  it('refuses empty comments (400), outsiders and unknown tasks (404)', async () => {
    assert.deepEqual(badFields(await call('POST', `/tasks/${task.id}/comments`, { token: owner.token, json: { body: '   ' } })), ['body']);
    assert.deepEqual(badFields(await call('GET', `/tasks/${task.id}/comments?page=-1`, { token: owner.token })), ['page']);
    expectStatus(await call('POST', `/tasks/${task.id}/comments`, { token: outsider.token, json: { body: 'hi' } }), 404);
    expectStatus(await call('GET', `/tasks/${task.id}/comments`, { token: outsider.token }), 404);
    expectStatus(await call('POST', `/tasks/${MISSING_UUID}/comments`, { token: owner.token, json: { body: 'hi' } }), 404, 'task not found');
  });
});

describe('taskboard: labels', () => {
  let owner: TestUser;
  let outsider: TestUser;
  let project: { id: string };
  let task: { id: string };

  before(async () => {
    [owner, outsider] = await Promise.all([signup('l-owner'), signup('l-outsider')]);
    project = await newProject(owner, 'Labels');
    task = await newTask(owner, project.id, { title: 'label me' });
  });

  it('creates labels (201; 32-hex ids; colour lower-cased), 409 on a duplicate name, 400 on a bad colour; lists by name', async () => {
    const bug = await call('POST', `/projects/${project.id}/labels`, { token: owner.token, json: { name: 'bug', color: '#FF0000' } });
    expectStatus(bug, 201);
    assert.match(bug.body.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(bug.body, { id: bug.body.id, projectId: project.id, name: 'bug', color: '#ff0000', taskCount: 0, createdAt: bug.body.createdAt });
    const chore = await call('POST', `/projects/${project.id}/labels`, { token: owner.token, json: { name: 'Chore' } });
    expectStatus(chore, 201);
    assert.equal(chore.body.color, '#888888');
    expectStatus(await call('POST', `/projects/${project.id}/labels`, { token: owner.token, json: { name: 'BUG' } }), 409, 'the project has a label with that name');
    assert.deepEqual(badFields(await call('POST', `/projects/${project.id}/labels`, { token: owner.token, json: { name: 'x', color: 'red' } })), ['color']);
    expectStatus(await call('POST', `/projects/${project.id}/labels`, { token: outsider.token, json: { name: 'x' } }), 404);
    const list = await call('GET', `/projects/${project.id}/labels`, { token: owner.token });
    expectStatus(list, 200);
    assert.deepEqual(list.body.items.map((l: { name: string }) => l.name), ['bug', 'Chore']);
    expectStatus(await call('GET', `/projects/${project.id}/labels`, { token: outsider.token }), 404);
  });

  it('puts labels on tasks (201, then 200 again), shows them by name, takes them off (204, then 404)', async () => {
    const mk = async (name: string) => (await call('POST', `/projects/${project.id}/labels`, { token: owner.token, json: { name } })).body.id as string;
    const [urgent, api] = [await mk('urgent'), await mk('api')];
    const first = await call('PUT', `/tasks/${task.id}/labels/${urgent}`, { token: owner.token });
    expectStatus(first, 201);
    assert.deepEqual(first.body.labels, [{ id: urgent, name: 'urgent', color: '#888888' }]);
    expectStatus(await call('PUT', `/tasks/${task.id}/labels/${urgent.toUpperCase()}`, { token: owner.token }), 200);
    const second = await call('PUT', `/tasks/${task.id}/labels/${api}`, { token: owner.token });
    assert.deepEqual(second.body.labels.map((l: { name: string }) => l.name), ['api', 'urgent']);
    const listed = await call('GET', `/projects/${project.id}/tasks`, { token: owner.token });
    assert.deepEqual(listed.body.items.find((t: { id: string }) => t.id === task.id).labels, second.body.labels);
    const labels = await call('GET', `/projects/${project.id}/labels`, { token: owner.token });
    assert.equal(labels.body.items.find((l: { id: string }) => l.id === urgent).taskCount, 1);
    expectStatus(await call('DELETE', `/tasks/${task.id}/labels/${urgent}`, { token: owner.token }), 204);
    expectStatus(await call('DELETE', `/tasks/${task.id}/labels/${urgent}`, { token: owner.token }), 404, 'the task does not have that label');
    assert.deepEqual((await call('GET', `/tasks/${task.id}`, { token: owner.token })).body.labels.map((l: { id: string }) => l.id), [api]);
  });

  it('refuses labels of another project, malformed or unknown label ids, and outsiders (404)', async () => {
    const other = await newProject(owner, 'Other labels');
    const foreign = (await call('POST', `/projects/${other.id}/labels`, { token: owner.token, json: { name: 'foreign' } })).body.id;
    expectStatus(await call('PUT', `/tasks/${task.id}/labels/${foreign}`, { token: owner.token }), 404, 'label not found');
    expectStatus(await call('PUT', `/tasks/${task.id}/labels/xyz`, { token: owner.token }), 404, 'label not found');
    expectStatus(await call('PUT', `/tasks/${task.id}/labels/${'0'.repeat(32)}`, { token: owner.token }), 404, 'label not found');
    expectStatus(await call('PUT', `/tasks/${task.id}/labels/${foreign}`, { token: outsider.token }), 404, 'task not found');
  });
});

describe('taskboard: search', () => {
  let me: TestUser;
  let other: TestUser;
  const word = `zq${RUN}`;

  before(async () => {
    [me, other] = await Promise.all([signup('s-me', `Sue ${RUN}`), signup('s-other')]);
  });

  it('finds tasks by title or description in my projects only, newest change first, with project and assignee', async () => {
    const a = await newProject(me, 'Search A');
    const b = await newProject(me, 'Search B');
    const theirs = await newProject(other, 'Not visible');
    const t1 = await newTask(me, a.id, { title: `alpha ${word}`, assigneeId: me.id });
    const t2 = await newTask(me, b.id, { title: 'beta', description: `mentions ${word.toUpperCase()} loudly` });
    await newTask(me, a.id, { title: 'unrelated' });
    await newTask(other, theirs.id, { title: `hidden ${word}` });
    const t3 = (await call('PATCH', `/tasks/${t1.id}`, { token: me.token, json: { status: 'doing' } })).body;
    const r = await call('GET', `/search?q=${word}`, { token: me.token });
    expectStatus(r, 200);
    const expected = [
      { taskId: t1.id, title: t1.title, status: 'doing', project: { id: a.id, name: 'Search A' }, assignee: { id: me.id, name: me.name }, updatedAt: t3.updatedAt },
      { taskId: t2.id, title: 'beta', status: 'todo', project: { id: b.id, name: 'Search B' }, assignee: null, updatedAt: t2.updatedAt },
    ].sort((x, y) => (x.updatedAt > y.updatedAt ? -1 : x.updatedAt < y.updatedAt ? 1 : x.taskId < y.taskId ? -1 : 1));
    assert.deepEqual(r.body, { query: word, items: expected });
    assert.equal((await call('GET', `/search?q=${word}`, { token: me.token })).text, r.text);
    assert.deepEqual((await call('GET', `/search?q=${word}&limit=1`, { token: me.token })).body.items, expected.slice(0, 1));
  });

  it('matches wildcards literally and validates q and limit (400)', async () => {
    const p = await newProject(me, 'Wild');
    await newTask(me, p.id, { title: `100% ${word}` });
    const pct = await call('GET', `/search?q=${encodeURIComponent('0%')}`, { token: me.token });
    expectStatus(pct, 200);
    assert.deepEqual(pct.body.items.map((h: { title: string }) => h.title), [`100% ${word}`]);
    assert.deepEqual((await call('GET', `/search?q=${encodeURIComponent(`_${word}`)}`, { token: me.token })).body.items, []);
    assert.deepEqual(badFields(await call('GET', '/search?q=a', { token: me.token })), ['q']);
    assert.deepEqual(badFields(await call('GET', '/search', { token: me.token })), ['q']);
    assert.deepEqual(badFields(await call('GET', `/search?q=${word}&limit=51`, { token: me.token })), ['limit']);
  });
});
