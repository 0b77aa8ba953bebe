/**
 * A generic manifest (issue #13): any domain name, no `migrations` (the target
 * schema from the source's own DDL), a knex migrations folder anywhere, a SQL
 * file; and the Taskboard app (CHAR(36) keys, composite keys) through plan
 * with --code against its answer key.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKnex, dropDatabase, withDatabase, type Knex } from '../../../../lib/db.ts';
import { createTestDatabase, testServerDsn, uniqueName, type TestDatabase } from '../../../../test/helpers/db.ts';
import { closeContext, openContext } from '../../lib/context.ts';
import { startCommand } from '../../lib/commands.ts';
import { parseManifest, resolveService, type Manifest } from '../../lib/manifest.ts';
import { validateOptions } from '../../lib/options.ts';
import { prepareTarget } from '../../lib/schema.ts';
import { targetDdl } from '../../lib/target-ddl.ts';
import { runCli, seedCatalog, PRODUCT_TABLES } from '../helpers.ts';
import { migrateLatest as taskboardMigrate } from '../../../../examples/taskboard/src/db/migrations.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const APP = join(ROOT, 'examples/taskboard');
const DSN = 'mysql://root@127.0.0.1:3306/x';

async function showCreate(k: Knex, table: string): Promise<string> {
  const [[row]] = await k.raw(`SHOW CREATE TABLE \`${table}\``);
  return String(row['Create Table']);
}

/** Independent of the tool: the source DDL without the named constraint lines (and the comma before the closing parenthesis). */
function withoutConstraints(ddl: string, names: string[]): string {
  return ddl.split('\n').filter((l) => !names.some((n) => l.includes(`CONSTRAINT \`${n}\``))).join('\n').replace(/,\n\)/, '\n)');
}

describe('split-db generic manifest: fields', () => {
  const base = { version: 1, source: DSN, services: { s: { domain: 'billing-v2', target: DSN.replace('/x', '/y'), tables: ['invoices'] } } };

  it('accepts any domain name of the pattern; refuses others with one message per field', () => {
    expect(parseManifest(base).services.s.domain).to.equal('billing-v2');
    for (const bad of ['Billing', '1x', 'a b', 'x'.repeat(65), '']) {
      expect(() => parseManifest({ ...base, services: { s: { ...base.services.s, domain: bad } } }), bad).to.throw(/services\.s\.domain/);
    }
  });

  it('migrations is optional; schema paths are relative to the manifest; migrations and schema together are refused', () => {
    const m = parseManifest({ ...base, services: { s: { ...base.services.s, schema: { migrations: '../db/migrations' } } } }, '/app/ops');
    expect(m.services.s.schema).to.deep.equal({ migrations: '/app/db/migrations', table: 'knex_migrations' });
    expect(parseManifest({ ...base, services: { s: { ...base.services.s, schema: { sql: 'schema.sql' } } } }, '/app/ops').services.s.schema).to.deep.equal({ sql: '/app/ops/schema.sql' });
    expect(parseManifest(base).services.s.migrations).to.equal(undefined);
    expect(() => parseManifest({ ...base, services: { s: { ...base.services.s, migrations: 'product', schema: { sql: 'x.sql' } } } })).to.throw(/either migrations or schema/);
    expect(() => parseManifest({ ...base, services: { s: { ...base.services.s, schema: { sql: 'x.sql', extra: 1 } } } })).to.throw(/invalid manifest/);
  });

  it('the Taskboard example manifest parses, with code and seam relative to it', async () => {
    const m = parseManifest(JSON.parse(await readFile(join(APP, 'split.json'), 'utf8')), APP);
    expect(Object.keys(m.services)).to.deep.equal(['identity', 'projects', 'work']);
    expect(m.code).to.deep.equal([join(APP, 'src')]);
    expect(m.seam).to.deep.equal({ imports: [], paths: [join(APP, 'src/db')] });
  });

  it('targetDdl: drops crossing FKs decided "drop", refuses undecided ones, keeps FKs inside the moved set', () => {
    const ddl = [
      'CREATE TABLE `tasks` (',
      '  `id` int(11) NOT NULL AUTO_INCREMENT,',
      '  `project_id` int(11) NOT NULL,',
      '  `parent_id` int(11) DEFAULT NULL,',
      '  PRIMARY KEY (`id`),',
      '  CONSTRAINT `fk_parent` FOREIGN KEY (`parent_id`) REFERENCES `tasks` (`id`),',
      '  CONSTRAINT `fk_project` FOREIGN KEY (`project_id`) REFERENCES `projects` (`id`) ON DELETE CASCADE',
      ') ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4',
    ].join('\n');
    const r = targetDdl('tasks', ddl, new Set(['tasks']), { 'tasks.fk_project': { action: 'drop' } });
    expect(r.dropped).to.deep.equal(['fk_project']);
    expect(r.sql).to.equal(ddl.replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS').replace(',\n  CONSTRAINT `fk_project` FOREIGN KEY (`project_id`) REFERENCES `projects` (`id`) ON DELETE CASCADE', ''));
    expect(() => targetDdl('tasks', ddl, new Set(['tasks']), {})).to.throw(/tasks\.fk_project references projects/);
  });
});

describe('split-db generic manifest: the target schema without migrations @integration', function () {
  this.timeout(60_000);
  let source: TestDatabase;
  let targetDsn: string;
  let target: Knex;
  let manifest: Manifest;

  before(async () => {
    source = await createTestDatabase('gen_s', ['legacy'], 'move');
    await seedCatalog(source.knex, 300);
    targetDsn = withDatabase(testServerDsn(), uniqueName('gen_t'));
    target = createKnex(targetDsn, { profile: 'move' });
    manifest = parseManifest({
      version: 1, source: source.dsn,
      services: {
        catalog: {
          domain: 'catalog-x', target: targetDsn, tables: PRODUCT_TABLES,
          crossingForeignKeys: { 'products.fk_products_shop': { action: 'drop' }, 'likes.fk_likes_product': { action: 'drop' } },
        },
      },
    });
  });
  after(async () => {
    await target?.destroy();
    await dropDatabase(targetDsn).catch(() => undefined);
    await source?.drop();
  });

  it('prepareTarget creates the moved tables from SHOW CREATE TABLE (crossing FKs decided "drop" left out, AUTO_INCREMENT carried); start then copies', async () => {
    const before = new Map<string, string>();
    for (const t of PRODUCT_TABLES) before.set(t, await showCreate(source.knex, t));
    expect(before.get('products')).to.match(/AUTO_INCREMENT=\d+/);
    const ctx = openContext({ service: resolveService(manifest, 'catalog'), opts: validateOptions({ chunkSize: 100, maxThreadsRunning: 0 }) });
    try {
      await prepareTarget(ctx);
      for (const t of PRODUCT_TABLES) {
        expect(await showCreate(target, t), t).to.equal(withoutConstraints(before.get(t)!, t === 'products' ? ['fk_products_shop'] : []));
      }
      const [trg] = await target.raw('SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()');
      expect(Number(trg[0].n), 'no triggers on the target').to.equal(0);
      const r = await startCommand(ctx, {});
      expect('dryRun' in r).to.equal(false);
      const [[n]] = await target.raw('SELECT COUNT(*) AS n FROM products');
      expect(Number(n.n)).to.equal(300);
    } finally {
      await closeContext(ctx);
    }
  });
});

describe('split-db generic manifest: the Taskboard app @integration', function () {
  this.timeout(60_000);
  let source: TestDatabase;
  let dir: string;
  let manifestPath: string;
  const targets: string[] = [];
  let raw: { source: string; code: string[]; seam: { paths: string[] }; services: Record<string, { target: string; schema?: unknown }> };

  before(async () => {
    source = await createTestDatabase('tb_s', [], 'move');
    await taskboardMigrate(source.knex as never);
    dir = await mkdtemp(join(tmpdir(), 'split-tb-'));
    raw = JSON.parse(await readFile(join(APP, 'split.json'), 'utf8'));
    raw.source = source.dsn;
    // the copy lives in a temporary folder: its code and seam paths made absolute
    raw.code = raw.code.map((p) => join(APP, p));
    raw.seam = { paths: raw.seam.paths.map((p) => join(APP, p)) };
    for (const s of Object.values(raw.services)) {
      s.target = withDatabase(testServerDsn(), uniqueName('tb_t'));
      targets.push(s.target);
    }
    manifestPath = join(dir, 'split.json');
    await writeFile(manifestPath, JSON.stringify(raw));
  });
  after(async () => {
    for (const t of targets) await dropDatabase(t).catch(() => undefined);
    await source?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plan work --code lists the answer key\'s crossing places with file:line; UUID and composite keys and the deep cascades block nothing', async () => {
    const key = JSON.parse(await readFile(join(APP, 'boundaries.json'), 'utf8')) as { services: Record<string, string[]>; crossBoundaryQueries: Array<{ file: string; site: string; tables: string[] }> };
    const r = await runCli(['--manifest', manifestPath, '--json', 'plan', 'work', '--code', join(APP, 'src')]);
    const plan = JSON.parse(r.stdout) as {
      code: Array<{ file: string; line: number; site: string; crossesBoundaryWith: string[]; throughSeam: boolean }>;
      codeScan: { files: number; unparsed: unknown[] };
      findings: Array<{ check: string; severity: string; table?: string; message: string }>;
      domain: string; steps: string[];
    };
    expect(plan.domain).to.equal('work');
    expect(plan.codeScan.unparsed).to.deep.equal([]);
    const moved = key.services.work;
    const expected = key.crossBoundaryQueries.filter((q) => q.tables.some((t) => moved.includes(t)) && q.tables.some((t) => !moved.includes(t)));
    const found = plan.code.filter((h) => h.crossesBoundaryWith.length).map((h) => `${h.file.replace(/^.*examples\/taskboard\//, '')}#${h.site}`);
    expect([...new Set(found)].sort()).to.deep.equal(expected.map((q) => `${q.file}#${q.site}`).sort());
    expect(plan.code.every((h) => h.line > 0 && h.throughSeam), 'every site is in src/db, the seam').to.equal(true);
    expect(plan.steps[0]).to.match(/SHOW CREATE TABLE/);
    // with any-key support (CHAR(36) uuids, the 3-column task_labels key) and cascade capture at any depth
    // (projects → tasks → comments / task_labels), nothing blocks the Taskboard's work service
    const blockers = plan.findings.filter((f) => f.severity === 'blocker');
    expect(blockers, JSON.stringify(blockers)).to.deep.equal([]);
    const chains = plan.findings.filter((f) => f.check === 'cascades' && /^cascade chain/.test(f.message));
    expect(chains.length, 'the deep cascade chains are named as warnings').to.be.greaterThan(0);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('a --code path that does not exist is a usage error (exit 2, one line), not "0 places"', async () => {
    const r = await runCli(['--manifest', manifestPath, 'plan', 'work', '--code', join(APP, 'no-such-src')]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/code path .*no-such-src does not exist/);
  });

  it('the target schema from the app\'s own knex migrations folder, from a SQL file, or (default) from the source DDL with CHAR(36), BINARY(16) and composite keys', async () => {
    const usersSql = join(dir, 'identity.sql');
    await writeFile(usersSql, `-- identity service\n${await showCreate(source.knex, 'users')};\n`);
    const plans = [['work', { migrations: join(APP, 'migrations'), table: 'tb_migrations' }], ['identity', { sql: usersSql }], ['projects', undefined]] as const;
    for (const [svc, schema] of plans) {
      const m = parseManifest({ ...raw, services: { [svc]: { ...raw.services[svc], ...(schema ? { schema } : {}) } } });
      const ctx = openContext({ service: resolveService(m, svc), opts: validateOptions({}) });
      try {
        await prepareTarget(ctx); // throws SCHEMA_MISMATCH when a moved table differs from the source
        await prepareTarget(ctx); // and again: resumable
        const [rows] = await ctx.target.knex.raw('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()');
        const names = (rows as Array<{ t: string }>).map((x) => x.t);
        expect(names, svc).to.include.members(m.services[svc].tables);
        if (schema && 'migrations' in schema) expect(names).to.include('tb_migrations');
        if (!schema) {
          expect(names.sort(), 'only the moved tables').to.deep.equal(['labels', 'project_members', 'projects']);
          for (const t of names) {
            expect(await showCreate(ctx.target.knex, t), t).to.equal(withoutConstraints(await showCreate(source.knex, t), ['projects_owner_id_foreign', 'project_members_user_id_foreign']));
          }
        }
      } finally {
        await closeContext(ctx);
      }
    }
  });
});
