import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnex, dropDatabase, withDatabase, type Knex } from '../../../../lib/db.ts';
import { testServerDsn, uniqueName } from '../../../../test/helpers/db.ts';
import { acquireLock, closeContext, openContext, type SplitContext } from '../../lib/context.ts';
import { cancelCommand, planCommand, startCommand } from '../../lib/commands.ts';
import { parseManifest, resolveService, type Manifest } from '../../lib/manifest.ts';
import { validateOptions } from '../../lib/options.ts';
import { createPair, PRODUCT_TABLES, runCli, seedCatalog, type Pair } from '../helpers.ts';

/**
 * Preconditions first, changes after (issue #11: #8, #10, #11, #12, #13 and
 * "two manifests split the same tables"). Each case builds its own source and
 * target databases on the real MariaDB and uses only the command functions or
 * the real CLI, so it runs unchanged against the code before the checks.
 */

const ALL_DECISIONS = {
  'products.fk_products_shop': { action: 'drop' as const },
  'products.fk_products_category': { action: 'drop' as const },
  'likes.fk_likes_product': { action: 'drop' as const },
  'product_images.fk_product_images_product': { action: 'drop' as const },
};

function ctxFor(manifest: Manifest, service = 'product'): SplitContext {
  return openContext({ service: resolveService(manifest, service), opts: validateOptions({ chunkSize: 100, minChunk: 20, maxChunk: 400, maxThreadsRunning: 0 }) });
}

async function withCtx<T>(manifest: Manifest, fn: (ctx: SplitContext) => Promise<T>, service = 'product'): Promise<T> {
  const ctx = ctxFor(manifest, service);
  try {
    return await fn(ctx);
  } finally {
    await closeContext(ctx);
  }
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message?: string };
  }
  throw new Error('expected a failure, it succeeded');
}

async function databaseExists(name: string): Promise<boolean> {
  const k = createKnex(testServerDsn(), { pool: { max: 1 } });
  try {
    const [[r]] = await k.raw('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
    return Number(r.n) > 0;
  } finally {
    await k.destroy();
  }
}

/** What `start` may have changed on the source: the tool's triggers and tables, and the FKs that start drops. */
async function sourceChanges(k: Knex, db: string): Promise<{ triggers: string[]; tables: string[]; fks: string[] }> {
  const [t] = await k.raw("SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE '\\_split%' ORDER BY 1", [db]);
  const [tb] = await k.raw("SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_split%' ORDER BY 1", [db]);
  const [f] = await k.raw('SELECT CONCAT(TABLE_NAME, \'.\', CONSTRAINT_NAME) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1', [db]);
  const names = (rows: unknown) => (rows as Array<{ n: string }>).map((r) => r.n);
  return { triggers: names(t), tables: names(tb), fks: names(f) };
}

describe('split-db preconditions first, changes after @integration', function () {
  this.timeout(60_000);
  after(async () => {
    for (const d of manifestDirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  describe('privileges (#12)', () => {
    let pair: Pair;
    let user: string;
    const password = `pw-${Math.random().toString(36).slice(2, 10)}-Secret`;
    let limited: Manifest;
    before(async () => {
      pair = await createPair('chk_priv');
      user = uniqueName('u').slice(0, 40);
      await pair.source.knex.raw('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
      // everything a split needs on both sides except TRIGGER on the source
      await pair.source.knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES ON \`${pair.source.name}\`.* TO ?@?`, [user, '%']);
      await pair.source.knex.raw(`GRANT ALL PRIVILEGES ON \`${pair.targetName}\`.* TO ?@?`, [user, '%']);
      const as = (dsn: string) => {
        const u = new URL(dsn);
        u.username = user;
        u.password = password;
        return u.toString();
      };
      limited = parseManifest({ ...pair.manifest, source: as(pair.source.dsn), services: { product: { ...pair.manifest.services.product, target: as(pair.targetDsn) } } });
      await seedCatalog(pair.source.knex, 50);
    });
    after(async () => {
      await pair.source.knex.raw('DROP USER IF EXISTS ?@?', [user, '%']);
      await pair.drop();
    });

    it('plan reports the missing TRIGGER privilege; start refuses and changes nothing (no target, no FK dropped, no trigger, no changelog)', async () => {
      const before = await sourceChanges(pair.source.knex, pair.source.name);
      expect(before.fks).to.include('likes.fk_likes_product');
      const err = await withCtx(limited, (ctx) => failure(startCommand(ctx, {})));
      expect(await databaseExists(pair.targetName), 'target database created').to.equal(false);
      expect(await sourceChanges(pair.source.knex, pair.source.name)).to.deep.equal(before);
      expect(err.code, err.message).to.equal('BLOCKED');
      expect(err.message).to.match(/TRIGGER/);
      const plan = await withCtx(limited, (ctx) => planCommand(ctx));
      expect(plan.blockers.join('\n')).to.match(/lacks TRIGGER on .*products/);
    });

    it('the CLI prints exactly one line on stderr, without the password, and exits 3', async () => {
      const r = await runCli(['--manifest', await manifestFile(limited), 'start', 'product']);
      expect(r.code).to.equal(3);
      expect(r.stdout).to.equal('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(/^split-db: .*TRIGGER/);
      expect(r.stderr + r.stdout).not.to.contain(password);
      const j = await runCli(['--manifest', await manifestFile(limited), '--json', 'start', 'product']);
      expect(j.code).to.equal(3);
      const out = JSON.parse(j.stdout) as { error: { code: string; findings: Array<{ check: string; severity: string; message: string }> } };
      expect(out.error.code).to.equal('BLOCKED');
      expect(out.error.findings.map((f) => `${f.check} ${f.severity}`)).to.include('privileges blocker');
      expect(j.stdout + j.stderr).not.to.contain(password);
    });
  });

  describe('one-line CLI errors (#13)', () => {
    it('a refused login: one line on stderr, nothing on stdout, no password', async () => {
      const name = uniqueName('chk_nodb');
      const u = new URL(withDatabase(testServerDsn(), name));
      u.username = 'split_no_such_user';
      u.password = 'Sup3r-Secret-Pw';
      const m = parseManifest({ version: 1, source: u.toString(), services: { product: { domain: 'product', target: u.toString().replace(name, `${name}_t`), migrations: 'product', tables: ['products'] } } });
      for (const cmd of ['plan', 'start', 'status']) {
        const r = await runCli(['--manifest', await manifestFile(m), cmd, 'product']);
        expect(r.code, `${cmd}: ${r.stderr}`).to.equal(1);
        expect(r.stdout, `${cmd} stdout`).to.equal('');
        expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.length(1);
        expect(r.stderr).to.match(/^split-db: Access denied for user 'split_no_such_user'/);
        expect(r.stderr).not.to.contain('Sup3r-Secret-Pw');
      }
    });

    it('a missing table: plan exits 3 naming it, start prints one line and exits 3', async () => {
      const pair = await createPair('chk_cli');
      try {
        const m = structuredClone(pair.manifest);
        m.services.product.tables = [...PRODUCT_TABLES, 'no_such_table'];
        const file = await manifestFile(m);
        const p = await runCli(['--manifest', file, 'plan', 'product']);
        expect(p.code).to.equal(3);
        expect(p.stdout).to.match(/no_such_table: table does not exist on the source/);
        const s = await runCli(['--manifest', file, 'start', 'product']);
        expect(s.code).to.equal(3);
        expect(s.stdout).to.equal('');
        expect(s.stderr.trimEnd().split('\n'), s.stderr).to.have.length(1);
        expect(s.stderr).to.match(/^split-db: .*no_such_table/);
        expect(await databaseExists(pair.targetName)).to.equal(false);
      } finally {
        await pair.drop();
      }
    });
  });

  describe('application triggers (#11)', () => {
    let pair: Pair;
    before(async () => {
      pair = await createPair('chk_trg');
      await pair.source.knex.raw('CREATE TABLE product_audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, product_id BIGINT UNSIGNED, at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6))');
      await pair.source.knex.raw('CREATE TRIGGER products_audit AFTER UPDATE ON products FOR EACH ROW INSERT INTO product_audit (product_id) VALUES (NEW.id)');
      await seedCatalog(pair.source.knex, 30);
    });
    after(async () => {
      await pair.drop();
    });

    it('an application trigger on a moved table is a blocker naming it; start refuses and changes nothing', async () => {
      const before = await sourceChanges(pair.source.knex, pair.source.name);
      const err = await withCtx(pair.manifest, (ctx) => failure(startCommand(ctx, {})));
      expect(err.code).to.equal('BLOCKED');
      expect(err.message).to.match(/products_audit/);
      expect(await databaseExists(pair.targetName)).to.equal(false);
      expect(await sourceChanges(pair.source.knex, pair.source.name)).to.deep.equal(before);
      const plan = await withCtx(pair.manifest, (ctx) => planCommand(ctx));
      expect(plan.blockers.join('\n')).to.match(/products_audit/);
    });

    it('accepted in the manifest it is a warning; a trigger that skips the tool\'s sessions passes', async () => {
      const m = structuredClone(pair.manifest);
      (m.services.product as { acceptTriggers?: string[] }).acceptTriggers = ['products_audit'];
      const accepted = await withCtx(parseManifest(m), (ctx) => planCommand(ctx));
      expect(accepted.blockers.join('\n')).not.to.match(/products_audit/);
      expect(accepted.warnings.join('\n')).to.match(/products_audit .*accepted/);
      await pair.source.knex.raw('DROP TRIGGER products_audit');
      await pair.source.knex.raw('CREATE TRIGGER products_audit AFTER UPDATE ON products FOR EACH ROW BEGIN IF @split_bypass IS NULL THEN INSERT INTO product_audit (product_id) VALUES (NEW.id); END IF; END');
      const guarded = await withCtx(pair.manifest, (ctx) => planCommand(ctx));
      expect([...guarded.blockers, ...guarded.warnings].join('\n')).not.to.match(/products_audit/);
    });
  });

  describe('a target that already holds rows (#8)', () => {
    let pair: Pair;
    before(async () => {
      pair = await createPair('chk_empty');
      await seedCatalog(pair.source.knex, 300);
    });
    after(async () => {
      await pair.drop();
    });

    it('after cancel without --drop-target, start refuses (the rows are not the tool\'s any more) and changes nothing', async () => {
      await withCtx(pair.manifest, (ctx) => startCommand(ctx, {}));
      // a resumed start of the same split is fine: its state says the tool wrote the rows
      await withCtx(pair.manifest, (ctx) => startCommand(ctx, {}));
      await withCtx(pair.manifest, (ctx) => cancelCommand(ctx, {}));
      const [[n]] = await pair.target.raw('SELECT COUNT(*) AS n FROM products');
      expect(Number(n.n)).to.equal(300);
      const before = await sourceChanges(pair.source.knex, pair.source.name);
      const err = await withCtx(pair.manifest, (ctx) => failure(startCommand(ctx, {})));
      expect(err.code, err.message).to.equal('BLOCKED');
      expect(err.message).to.match(/already holds/);
      expect(await sourceChanges(pair.source.knex, pair.source.name)).to.deep.equal(before);
      const plan = await withCtx(pair.manifest, (ctx) => planCommand(ctx));
      expect(plan.blockers.join('\n')).to.match(/products already holds 300 row/);
    });
  });

  describe('another split claiming the same tables', () => {
    let pair: Pair;
    let other: Manifest;
    let otherTarget: string;
    before(async () => {
      pair = await createPair('chk_claim');
      await seedCatalog(pair.source.knex, 40);
      otherTarget = uniqueName('chk_claim_o');
      // a second manifest: another service name, its own target, the same source table (with every FK decided)
      other = parseManifest({
        version: 1, source: pair.source.dsn,
        services: { catalog: { domain: 'product', target: withDatabase(testServerDsn(), otherTarget), migrations: 'product', tables: ['products'], crossingForeignKeys: ALL_DECISIONS } },
      });
    });
    after(async () => {
      await dropDatabase(withDatabase(testServerDsn(), otherTarget));
      await pair.drop();
    });

    it('the runtime lock is per table: a process of another service on the same table cannot take it', async () => {
      const a = ctxFor(pair.manifest);
      const b = ctxFor(other, 'catalog');
      try {
        const release = await acquireLock(a);
        try {
          const err = await failure(acquireLock(b));
          expect(err.code).to.equal('LOCKED');
          expect(err.message).to.match(/products/);
        } finally {
          await release();
        }
        const again = await acquireLock(b);
        await again();
      } finally {
        await closeContext(a);
        await closeContext(b);
      }
    });

    it('once one split started, a second manifest\'s start of the same table refuses and installs nothing', async () => {
      await withCtx(pair.manifest, (ctx) => startCommand(ctx, {}));
      const before = await sourceChanges(pair.source.knex, pair.source.name);
      const err = await withCtx(other, (ctx) => failure(startCommand(ctx, {})), 'catalog');
      expect(err.code, err.message).to.equal('BLOCKED');
      expect(err.message).to.match(/claimed by split "product"/);
      expect(await databaseExists(otherTarget)).to.equal(false);
      expect(await sourceChanges(pair.source.knex, pair.source.name)).to.deep.equal(before);
      const plan = await withCtx(other, (ctx) => planCommand(ctx), 'catalog');
      expect(plan.blockers.join('\n')).to.match(/products is claimed by split "product"/);
    });
  });

  describe('cascades of any depth (#10)', () => {
    let pair: Pair;
    before(async () => {
      pair = await createPair('chk_casc');
      // products → product_images → image_tags, both ON DELETE CASCADE: a product delete reaches image_tags two levels down
      // (captured at every depth); image_tags also cascades into itself (a cycle: unbounded depth, not capturable)
      await pair.source.knex.raw(`CREATE TABLE image_tags (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, image_id BIGINT UNSIGNED NOT NULL, tag VARCHAR(20) NOT NULL,
        parent_id BIGINT UNSIGNED NULL,
        CONSTRAINT fk_image_tags_image FOREIGN KEY (image_id) REFERENCES product_images (id) ON DELETE CASCADE,
        CONSTRAINT fk_image_tags_parent FOREIGN KEY (parent_id) REFERENCES image_tags (id) ON DELETE CASCADE) ENGINE=InnoDB`);
    });
    after(async () => {
      await pair.drop();
    });

    it('a cascade cycle through a moved table is a blocker; start refuses and changes nothing; the two-level chain is a warning naming it', async () => {
      const m = structuredClone(pair.manifest);
      m.services.product.tables = [...PRODUCT_TABLES, 'image_tags'];
      const before = await sourceChanges(pair.source.knex, pair.source.name);
      const err = await withCtx(m, (ctx) => failure(startCommand(ctx, {})));
      expect(err.code, err.message).to.equal('BLOCKED');
      expect(err.message).to.match(/cycle image_tags → image_tags/);
      expect(await databaseExists(pair.targetName)).to.equal(false);
      expect(await sourceChanges(pair.source.knex, pair.source.name)).to.deep.equal(before);
      const plan = await withCtx(m, (ctx) => planCommand(ctx));
      expect(plan.blockers.join('\n')).to.match(/cycle image_tags → image_tags/);
      expect(plan.blockers.join('\n')).not.to.match(/products → product_images → image_tags/);
      expect(plan.warnings.join('\n')).to.match(/products → product_images → image_tags .* captured at every level/);
    });
  });
});

const manifestDirs: string[] = [];

async function manifestFile(m: Manifest): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'split-chk-'));
  manifestDirs.push(dir);
  const path = join(dir, 'manifest.json');
  await writeFile(path, JSON.stringify(m));
  return path;
}
