/**
 * The code scan of split-db plan (issue #13): extractor on small fixtures of
 * each library style, then the Taskboard example app against its hand-written
 * answer key (examples/taskboard/boundaries.json), then this repo's demo
 * manifest (its `code` default still reads legacy/).
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MANIFEST } from '../../lib/cli-config.ts';
import { classifySites } from '../../lib/code/classify.ts';
import { extractFile, type CodeSite } from '../../lib/code/extract.ts';
import { loadManifest, resolveService } from '../../lib/manifest.ts';
import type { Plan } from '../../lib/plan.ts';
import { renderPlan } from '../../lib/render.ts';
import { extractSqlFile, scanCode, seamMatches } from '../../lib/scan.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const APP = join(ROOT, 'examples/taskboard');

const lines = (...l: string[]) => l.join('\n');
const brief = (s: CodeSite) => [s.line, s.kind, [...s.tables].sort().join(',')];

describe('split-db code scan: extractor', () => {
  it('knex chains: root call, aliases, joins, from/into/table, subquery builders, raw fragments', () => {
    const src = lines(
      "import { db } from './db';",
      "const a = await db('products').where({ id }).first();",
      "const b = await knex('products as p').join('shops as s', 's.id', 'p.shop_id').select('p.*');",
      "await trx.insert(row).into('likes');",
      "await knex.table('legacy.categories').where('id', 1).update({ x: 1 });",
      "const c = await db('products').whereIn('shop_id', db('shops').select('id').where('open', 1));",
      "const d = await db('products as p').select(db.raw('(SELECT COUNT(*) FROM likes l WHERE l.product_id = p.id) AS n'));",
      "await db('products').where('id', 1).del();",
      "const e = await db.from('orders').leftJoin('users', function () { this.on('users.id', '=', 'orders.user_id'); });",
    );
    const r = extractFile('x.ts', src);
    expect(r.unparsed).to.deep.equal([]);
    expect(r.sites.map(brief)).to.deep.equal([
      [2, 'knex', 'products'], [3, 'knex', 'products,shops'], [4, 'knex', 'likes'], [5, 'knex', 'categories'],
      [6, 'knex', 'products,shops'], [7, 'knex', 'likes,products'], [8, 'knex', 'products'], [9, 'knex', 'orders,users'],
    ]);
    expect(r.sites[0]).to.include({ via: 'db', viaModule: './db' });
  });

  it('a builder variable extended later carries its table into the new statement', () => {
    const src = lines(
      'async function list(db, f) {',
      "  const base = db('tasks as t').where('t.project_id', f.projectId);",
      '  const [{ n }] = await base.clone().count({ n: "*" });',
      "  return base.clone().leftJoin('users as a', 'a.id', 't.assignee_id').select('t.*');",
      '}',
    );
    const r = extractFile('x.ts', src);
    expect(r.sites.map((s) => [...brief(s), s.site, s.via])).to.deep.equal([[2, 'knex', 'tasks', 'list', 'db'], [4, 'knex', 'tasks,users', 'list', 'db']]);
  });

  it('does not take array/Buffer/i18n calls for table access', () => {
    const src = lines(
      "const x = Array.from('abc');",
      "const y = parts.join('users');",
      "const z = Buffer.from('users', 'utf8');",
      "const w = t('users');",
      "expect('products').to.equal('products');",
      "const msg = 'select a product from the list';",
    );
    const r = extractFile('x.ts', src);
    expect(r.unparsed).to.deep.equal([]);
    // the prose parses as SQL naming a table "the": listed by the extractor, dropped by the classification
    expect(classifySites(r.sites, () => false, { moved: ['products', 'users'] })).to.deep.equal([]);
    expect(r.sites.flatMap((s) => s.tables)).to.deep.equal(['the']);
  });

  it('raw SQL in strings and templates; ${} interpolations parse with placeholders; a table from ${} is marked dynamic', () => {
    const src = lines(
      'const SQL = `',
      '  SELECT p.id FROM products p',
      '   JOIN shops s ON s.id = p.shop_id',
      '  WHERE p.id = ${id} LIMIT ${n}`;',
      'async function f(db, table) {',
      '  await db.raw(SQL);',
      '  await db.raw(`SELECT * FROM ${table} t JOIN likes l ON l.id = t.id`);',
      "  await db.raw('UPDATE products SET like_count = like_count + 1 WHERE id = ?', [1]);",
      '}',
    );
    const r = extractFile('x.js', src);
    expect(r.unparsed).to.deep.equal([]);
    expect(r.sites.map((s) => [...brief(s), s.dynamic, s.site])).to.deep.equal([
      [1, 'knex', 'products,shops', false, 'SQL'], [7, 'knex', 'likes', true, 'f'], [8, 'knex', 'products', false, 'f'],
    ]);
  });

  it('MySQL-isms (STRAIGHT_JOIN, a bare status column), ${CONST} fragments inlined, raw fragments alone; SQL that names no table is not reported', () => {
    const src = lines(
      "const ELIGIBLE = \"p.status = 'active' AND s.status = 'open'\";",
      'async function j(knex, day) {',
      "  await knex.raw('SET SESSION tmp_table_size = ?', [1]);",
      '  await knex.raw(`SELECT STRAIGHT_JOIN l.product_id FROM logs l JOIN products p ON p.id = l.product_id JOIN shops s ON s.id = p.shop_id WHERE ${ELIGIBLE}`);',
      "  await knex.raw(\"SELECT shop_id, COUNT(*) AS n FROM products WHERE status = 'active' GROUP BY shop_id\");",
      '}',
      "const cols = (db) => ['p.id', db.raw('(SELECT i.url FROM product_images i WHERE i.product_id = p.id LIMIT 1) AS image_url')];",
      "const bump = (db) => ({ version: db.raw('version + 1'), at: db.raw('CURRENT_TIMESTAMP(6)') });",
    );
    const r = extractFile('x.ts', src);
    expect(r.unparsed).to.deep.equal([]);
    expect(r.sites.map((s) => [...brief(s), s.dynamic])).to.deep.equal([
      [4, 'knex', 'logs,products,shops', false], [5, 'knex', 'products', false], [7, 'knex', 'product_images', false],
    ]);
  });

  it('a SQL constant declared below the function using it; a fragment constant merged into its builder is not listed twice', () => {
    const src = lines(
      'export async function get(db, id) {',
      '  const [rows] = await db.raw(TASK_SQL, [id]);',
      "  return db('projects as p').select(db.raw(COUNT_SQL));",
      '}',
      "const TASK_SQL = 'SELECT t.id, u.name FROM tasks t JOIN users u ON u.id = t.owner_id WHERE t.id = ?';",
      "const COUNT_SQL = '(SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS n';",
    );
    const r = extractFile('x.ts', src);
    expect(r.unparsed).to.deep.equal([]);
    expect(r.sites.map((s) => [...brief(s), s.via])).to.deep.equal([[3, 'knex', 'projects,tasks', 'db'], [5, 'knex', 'tasks,users', 'db']]);
  });

  it('mysql2 .query/.execute and sequelize query, define and init({ tableName })', () => {
    const src = lines(
      "const mysql = require('mysql2/promise');",
      "const Q = 'SELECT o.id, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = ?';",
      'async function g(pool, conn) {',
      '  await pool.query(Q, [1]);',
      "  await conn.execute('DELETE FROM sessions WHERE expires_at < NOW()');",
      "  await sequelize.query('SELECT * FROM invoices i JOIN orders o ON o.id = i.order_id');",
      "  await conn.query({ sql: 'SELECT * FROM payments WHERE id = ?', values: [1] });",
      "  await cache.get('orders').then((x) => x);",
      '}',
      "const Order = sequelize.define('Order', { id: DataTypes.INTEGER }, { tableName: 'orders' });",
      "const Tag = sequelize.define('tags', {});",
      "class Invoice extends Model {}",
      "Invoice.init({ id: DataTypes.INTEGER }, { sequelize, tableName: 'invoices' });",
    );
    const r = extractFile('x.cjs', src);
    expect(r.unparsed).to.deep.equal([]);
    expect(r.sites.map(brief)).to.deep.equal([
      [2, 'mysql2', 'orders,users'], [5, 'mysql2', 'sessions'], [6, 'sequelize', 'invoices,orders'], [7, 'mysql2', 'payments'],
      [10, 'sequelize', 'orders'], [11, 'sequelize', 'tags'], [13, 'sequelize', 'invoices'],
    ]);
    expect(r.sites[0].via).to.equal('pool');
  });

  it('reports SQL the parser cannot read as unparsed with file:line (never dropped), and SQL it cannot see', () => {
    const src = lines(
      'async function h(db, pool, where) {',
      "  await db.raw('SELECT * FROM products WHERE MATCH (name) AGAINST (? IN BOOLEAN MODE) FOOBAR BAZ');",
      "  await pool.query('SELECT id FROM products ' + where);",
      '}',
      "const BROKEN = 'SELECT FROM WHERE products';",
    );
    const r = extractFile('x.ts', src);
    expect(r.unparsed.map((u) => [u.line, u.site])).to.deep.equal([[2, 'h'], [3, 'h'], [5, 'BROKEN']]);
    expect(r.unparsed[1].error).to.match(/computed/);
  });

  it('a transaction writing tables on both sides of the boundary is one site with its statements', () => {
    const src = lines(
      'async function move(db) {',
      '  await db.transaction(async (trx) => {',
      "    await trx('project_members').where({ id: 1 }).delete();",
      "    await trx('tasks').where({ id: 2 }).update({ a: null });",
      '  });',
      '}',
    );
    const sites = extractFile('x.ts', src).sites;
    const tx = sites.find((s) => s.kind === 'transaction')!;
    expect(tx).to.include({ line: 2, site: 'move' });
    expect(tx.statements).to.deep.equal([3, 4]);
    const hits = classifySites(sites, () => false, { moved: ['tasks'] });
    expect(hits.map((h) => [h.line, h.kind, h.crossesBoundaryWith])).to.deep.equal([[2, 'transaction', ['project_members']], [4, 'knex', []]]);
  });

  it('classifies: crossing only with a table that stays and exists in the source (not CTEs or aliases)', () => {
    const r = extractFile('x.ts', lines(
      "const A = 'WITH recent AS (SELECT * FROM tasks) SELECT * FROM recent r JOIN comments c ON c.task_id = r.id';",
      "const B = 'SELECT * FROM tasks t JOIN users u ON u.id = t.owner_id';",
    ));
    const hits = classifySites(r.sites, () => false, { moved: ['tasks', 'comments'], known: ['tasks', 'comments', 'users'] });
    expect(hits.map((h) => [h.line, h.crossesBoundaryWith])).to.deep.equal([[1, []], [2, ['users']]]);
  });

  it('.sql files: one site per statement with its line', () => {
    const r = extractSqlFile('q.sql', lines('-- report', 'SELECT * FROM tasks t', '  JOIN users u ON u.id = t.a;', '', 'DELETE FROM comments WHERE id = 1;', 'SELEC nonsense FROM x;'));
    expect(r.sites.map(brief)).to.deep.equal([[2, 'sql', 'tasks,users'], [5, 'sql', 'comments']]);
    expect(r.unparsed).to.deep.equal([]); // "SELEC" does not read like SQL: not reported
  });

  it('seam: imported identifiers from the configured modules, by name or by file; and code inside seam paths', () => {
    const seam = { imports: ['@app/data', '/app/src/db/index'], paths: ['/app/src/repos'] };
    expect(seamMatches(seam, '/app/src/routes/a.ts', '@app/data')).to.equal(true);
    expect(seamMatches(seam, '/app/src/routes/a.ts', '../db/index.ts')).to.equal(true);
    expect(seamMatches(seam, '/app/src/routes/a.ts', '../db')).to.equal(true);
    expect(seamMatches(seam, '/app/src/routes/a.ts', 'knex')).to.equal(false);
    expect(seamMatches(seam, '/app/src/routes/a.ts', null)).to.equal(false);
    expect(seamMatches(seam, '/app/src/repos/x.ts', null)).to.equal(true);
    expect(seamMatches(seam, '/app/src/repository.ts', null)).to.equal(false);
  });
});

interface Key {
  services: Record<string, string[]>;
  crossBoundaryQueries: Array<{ file: string; site: string; tables: string[] }>;
}

describe('split-db code scan: the Taskboard app against its answer key (boundaries.json)', () => {
  let key: Key;
  let all: string[];
  before(async () => {
    key = JSON.parse(await readFile(join(APP, 'boundaries.json'), 'utf8')) as Key;
    all = Object.values(key.services).flat();
  });

  async function crossing(moved: string[]) {
    const scan = await scanCode({ roots: ['src'], base: APP, moved, known: all });
    return { scan, crossing: scan.hits.filter((h) => h.crossesBoundaryWith.length) };
  }

  for (const svc of ['identity', 'projects', 'work']) {
    it(`service ${svc}: exactly the key's crossing places that involve its tables, each with file:line inside the site`, async () => {
      const moved = key.services[svc];
      const { scan, crossing: found } = await crossing(moved);
      expect(scan.unparsed, 'no unparsed SQL in Taskboard').to.deep.equal([]);
      const expected = key.crossBoundaryQueries.filter((q) => q.tables.some((t) => moved.includes(t)) && q.tables.some((t) => !moved.includes(t)));
      expect(found.map((h) => `${h.file}#${h.site}`).sort()).to.deep.equal(expected.map((q) => `${q.file}#${q.site}`).sort());
      for (const q of expected) {
        const h = found.find((x) => x.file === q.file && x.site === q.site)!;
        expect(h.tables, `${q.file} ${q.site}`).to.include.members(q.tables);
        // independent check of the line: the site is declared at or above it, within 40 lines
        const text = (await readFile(join(APP, q.file), 'utf8')).split('\n');
        const decl = text.findIndex((l) => new RegExp(`\\b${q.site}\\b\\s*(=|\\(|:)`).test(l) || new RegExp(`(function|async)\\s+${q.site}\\b`).test(l)) + 1;
        expect(decl, `${q.site} declared in ${q.file}`).to.be.greaterThan(0);
        expect(h.line, `${q.file}:${h.line} ${q.site}`).to.be.within(decl, decl + 40);
      }
    });
  }

  it('moving every table but users: the crossing places are those with users; queries among moved tables only are hits, not crossings', async () => {
    const moved = all.filter((t) => t !== 'users');
    const { scan, crossing: found } = await crossing(moved);
    const withUsers = key.crossBoundaryQueries.filter((q) => q.tables.includes('users'));
    expect(found.map((h) => `${h.file}#${h.site}`).sort()).to.deep.equal(withUsers.map((q) => `${q.file}#${q.site}`).sort());
    for (const q of key.crossBoundaryQueries.filter((x) => !x.tables.includes('users'))) {
      expect(scan.hits.some((h) => h.file === q.file && h.site === q.site && !h.crossesBoundaryWith.length), `${q.file} ${q.site} listed, not crossing`).to.equal(true);
    }
    expect(scan.hits.every((h) => h.crossesBoundaryWith.every((t) => t === 'users'))).to.equal(true);
  });
});

describe('split-db code scan: plan output', () => {
  const plan = (extra: Partial<Plan>): Plan => ({
    service: 'work', domain: 'work', source: 's', target: 't', sameServer: true, copyMode: 'sql', copyWrite: 'server-side REPLACE … SELECT (same server)', server: { version: 'x', logBin: false },
    tables: [], crossingForeignKeys: [], code: [], codeScan: { roots: [], files: 0, unparsed: [] }, checks: [], findings: [], blockers: [], warnings: [], steps: [], ...extra,
  });

  it('says when no code was given, and lists statements, crossings and unparsed SQL with file:line when it was', () => {
    expect(renderPlan(plan({}))).to.include('code touching these tables: not scanned (give --code <dir>');
    const out = renderPlan(plan({
      code: [{ file: 'src/db/tasks.ts', line: 56, site: 'TASK_SQL', kind: 'knex', tables: ['tasks', 'users'], dynamic: false, via: 'db', viaModule: null, text: '', moved: ['tasks'], crossesBoundaryWith: ['users'], throughSeam: true }],
      codeScan: { roots: ['src'], files: 24, unparsed: [{ file: 'src/x.ts', line: 3, site: null, error: 'Expected …', text: 'SELECT …', mentions: ['tasks'] }] },
    }));
    expect(out).to.include('code touching these tables (1 statement(s) in 24 file(s) under src):');
    expect(out).to.include('  src/db/tasks.ts:56 TASK_SQL knex tasks,users → through the seam; CROSSES the boundary with users');
    expect(out).to.include('crossing the boundary (1): a moved table together with one that stays\n  src/db/tasks.ts:56 TASK_SQL: tasks + users');
    expect(out).to.include('unparsed SQL (1): check by hand\n  src/x.ts:3: Expected … [mentions tasks]');
  });
});

describe("split-db code scan: this repo's default manifest still reads legacy/", () => {
  it('the manifest code default is legacy/ (relative to the manifest) and the scan finds its product access, seam and jobs', async () => {
    const svc = resolveService(await loadManifest(DEFAULT_MANIFEST), 'product');
    expect(svc.code).to.deep.equal([join(ROOT, 'legacy')]);
    const scan = await scanCode({ roots: svc.code, base: ROOT, moved: svc.spec.tables, seam: svc.seam });
    expect(scan.hits.length).to.be.greaterThan(10);
    expect(scan.hits.some((h) => h.file.startsWith('legacy/jobs/') && h.tables.includes('products') && !h.throughSeam)).to.equal(true);
    expect(scan.hits.some((h) => h.file.startsWith('legacy/models/') && h.throughSeam)).to.equal(true);
    const over = resolveService(await loadManifest(DEFAULT_MANIFEST), 'product', { code: ['examples/taskboard/src'] });
    expect(over.code).to.deep.equal([resolve('examples/taskboard/src')]);
  });
});
