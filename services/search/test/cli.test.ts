import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dropDatabase, withDatabase } from '../../../lib/db.ts';
import { createTestDatabase, testServerDsn, uniqueName, type TestDatabase } from '../../../test/helpers/db.ts';
import { EmbeddedBackend } from '../backends/embedded.ts';
import { embeddedIndexDir, searchConfigSchema } from '../config.ts';
import { bulkInsertProducts, seedShops } from './seed.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const run = promisify(execFile);

describe('search CLI: reindex and status @integration', function () {
  this.timeout(60_000);
  let legacy: TestDatabase;
  const searchDb = withDatabase(testServerDsn(), uniqueName('search_cli'));
  const indexDir = mkdtempSync(join(tmpdir(), 'search-cli-'));
  const env = () => ({ ...process.env, MYSQL_URL: legacy.dsn, SEARCH_DB_URL: searchDb, PRODUCT_SOURCE: 'db', LOG_LEVEL: 'silent', SEARCH_INDEX_DIR: indexDir, SEARCH_BACKEND: '' });

  before(async () => {
    legacy = await createTestDatabase('cli_legacy', ['legacy']);
    await bulkInsertProducts(legacy.knex, await seedShops(legacy.knex, 2), Array.from({ length: 250 }, (_, i) => `코듀로이 팬츠 ${i}`));
  });
  after(async () => {
    await dropDatabase(searchDb);
    rmSync(indexDir, { recursive: true, force: true });
    await legacy?.drop();
  });

  it('rebuilds the index, reports the run, and refuses bad usage with exit code 2', async () => {
    const r = await run(process.execPath, [CLI, 'reindex', '--batch', '100'], { env: env() });
    expect(r.stdout).to.match(/: done, 250 documents in 3 batches/);
    const s = await run(process.execPath, [CLI, 'status'], { env: env() });
    expect(s.stdout).to.match(/ embedded done processed=250 last_id=250/);
    // the service (here: any process) opening the same index finds the documents
    const b = new EmbeddedBackend({ dir: embeddedIndexDir(searchConfigSchema.parse(env())) });
    await b.init();
    expect(await b.count()).to.equal(250);
    await b.close();
    const bad = await run(process.execPath, [CLI, 'reindex', '--batch', '0'], { env: env() }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(bad?.code).to.equal(2);
    expect(bad?.stderr).to.match(/must be an integer 1..10000/);
  });

  it('SEARCH_BACKEND=mysql rebuilds the FULLTEXT index', async () => {
    const r = await run(process.execPath, [CLI, 'reindex', '--batch', '100'], { env: { ...env(), SEARCH_BACKEND: 'mysql' } });
    expect(r.stdout).to.match(/: done, 250 documents in 3 batches/);
    const s = await run(process.execPath, [CLI, 'status'], { env: env() });
    expect(s.stdout).to.match(/ mysql done processed=250 last_id=250/);
  });

  it('refuses, in one line with exit code 1, while another process holds the embedded index (use --queue)', async () => {
    const holder = new EmbeddedBackend({ dir: embeddedIndexDir(searchConfigSchema.parse(env())) });
    await holder.init();
    try {
      const bad = await run(process.execPath, [CLI, 'reindex'], { env: env() }).then(() => null, (e: { code: number; stderr: string }) => e);
      expect(bad?.code).to.equal(1);
      expect(bad?.stderr.trim().split('\n')).to.have.length(1);
      expect(bad?.stderr).to.match(/in use by another process.*--queue/);
    } finally {
      await holder.close();
    }
  });

  it('a bad configuration is one line and exit code 1', async () => {
    const bad = await run(process.execPath, [CLI, 'reindex'], { env: { ...env(), SEARCH_DB_URL: 'not a url' } }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(bad?.code).to.equal(1);
    expect(bad?.stderr.trim().split('\n')).to.have.length(1);
    expect(bad?.stderr).to.match(/SEARCH_DB_URL/);
  });
});
