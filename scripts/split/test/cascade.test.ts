import { expect } from 'chai';
import { ensureDatabase, type Knex } from '../../../lib/db.ts';
import { closeContext, openContext } from '../lib/context.ts';
import { startCommand } from '../lib/commands.ts';
import { cascadeBlockers, cascadeCaptureTriggerDdl, cascadePaths, pathSelect } from '../lib/cascade.ts';
import type { ForeignKey } from '../lib/introspect.ts';
import { resolveService, type Manifest } from '../lib/manifest.ts';
import { validateOptions } from '../lib/options.ts';
import { createPair, type Pair } from './helpers.ts';
import type { TableKey } from '../lib/keys.ts';

const ID_KEY: TableKey = { index: 'PRIMARY', columns: [{ name: 'id', kind: 'int', charset: null, collation: null }] };

const fk = (table: string, refTable: string, onDelete = 'CASCADE', onUpdate = 'RESTRICT', col = `${refTable}_id`): ForeignKey =>
  ({ name: `fk_${table}_${refTable}`, table, columns: [col], refTable, refColumns: ['id'], onDelete, onUpdate });

describe('split-db captures cascades of any depth (#10)', function () {
  this.timeout(60_000);

  it('follows cascade chains through staying and moved tables, cuts cycles and reports them', () => {
    const fks = [fk('b', 'a'), fk('c', 'b'), fk('d', 'c', 'SET NULL'), fk('e', 'd'), fk('x', 'a', 'RESTRICT')];
    // only c and d move: a's DELETE reaches c (through b, which stays) and d (SET NULL); e is not reached (d is updated, not deleted)
    const m = cascadePaths(fks, new Set(['c', 'd']));
    expect([...m.keys()].sort()).to.deep.equal(['a', 'b', 'c']);
    expect(m.get('a')!.delete.map((p) => p.edges.map((e) => e.table).join('>'))).to.deep.equal(['b>c', 'b>c>d']);
    expect(m.get('a')!.update).to.deep.equal([]);
    // a self-referencing cascade through a moved table cannot be expanded into a fixed join
    expect(cascadeBlockers([fk('tree', 'tree', 'CASCADE', 'RESTRICT', 'parent_id')], new Set(['tree']))[0]).to.match(/cycle tree → tree/);
    expect(cascadeBlockers(fks, new Set(['c', 'd']))).to.deep.equal([]);
    // one join per level, anchored on the parent's OLD row
    const twoLevels = m.get('a')!.delete[0];
    expect(pathSelect(twoLevels, (t) => `${t}.id`)).to.equal(
      'SELECT split_t1.id FROM `c` AS split_t1 JOIN `b` AS split_t0 ON split_t1.`b_id` = split_t0.`id` WHERE split_t0.`a_id` = OLD.`id`');
    const ddl = cascadeCaptureTriggerDdl('svc', 'a', 'delete', m.get('a')!.delete, new Map([['c', { name: 'c', key: ID_KEY, columns: [] }], ['d', { name: 'd', key: ID_KEY, columns: [] }]]), '_split_svc_a_cascade_d');
    expect(ddl).to.contain('BEFORE DELETE ON `a`');
    expect(ddl).to.contain('LOCK IN SHARE MODE');
    expect(ddl).to.contain("INSERT INTO `_split_svc_changelog` (tbl, pk) SELECT 'd', CONCAT('[\"', HEX(CAST(split_t2.`id` AS BINARY)), '\"]') FROM `d` AS split_t2 JOIN `c` AS split_t1");
    expect(ddl).to.match(/IF split_fenced THEN IF EXISTS \(.*\) OR EXISTS \(.*\) THEN SIGNAL SQLSTATE '45000'/);
  });

  describe('@integration', () => {
    let pair: Pair;
    let manifest: Manifest;

    before(async () => {
      pair = await createPair('casc');
      const k = pair.source.knex;
      await k.raw('CREATE TABLE a (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL) ENGINE=InnoDB');
      const bDdl = (fkSql: string) => `CREATE TABLE b (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, a_id INT UNSIGNED NOT NULL, v INT NOT NULL, KEY (a_id)${fkSql}) ENGINE=InnoDB`;
      const cDdl = (fkSql: string) => `CREATE TABLE c (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, b_id INT UNSIGNED NOT NULL, v INT NOT NULL, KEY (b_id)${fkSql}) ENGINE=InnoDB`;
      await k.raw(bDdl(', CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE'));
      await k.raw(cDdl(', CONSTRAINT fk_c_b FOREIGN KEY (b_id) REFERENCES b (id) ON DELETE CASCADE'));
      const as: string[] = [];
      const bs: string[] = [];
      const cs: string[] = [];
      for (let i = 1; i <= 300; i++) as.push(`(${i}, 'a${i}')`);
      for (let i = 1; i <= 900; i++) bs.push(`(${i}, ${1 + ((i - 1) % 300)}, ${i})`);
      for (let i = 1; i <= 3600; i++) cs.push(`(${i}, ${1 + ((i - 1) % 900)}, ${i})`);
      await k.raw(`INSERT INTO a (id, name) VALUES ${as.join(',')}`);
      await k.raw(`INSERT INTO b (id, a_id, v) VALUES ${bs.join(',')}`);
      for (let i = 0; i < cs.length; i += 1200) await k.raw(`INSERT INTO c (id, b_id, v) VALUES ${cs.slice(i, i + 1200).join(',')}`);
      // the service's schema: b and c without the FK into a (a stays in legacy)
      await ensureDatabase(pair.targetDsn);
      await pair.target.raw(bDdl(''));
      await pair.target.raw(cDdl(''));
      manifest = {
        ...pair.manifest,
        services: { product: { ...pair.manifest.services.product, tables: ['b', 'c'], crossingForeignKeys: { 'b.fk_b_a': { action: 'drop' } } } },
      } as Manifest;
    });
    after(async () => {
      await pair.drop();
    });

    async function rows(k: Knex, db: string, t: 'b' | 'c'): Promise<string> {
      const [r] = await k.raw(`SELECT * FROM \`${db}\`.\`${t}\` ORDER BY id`);
      return JSON.stringify(r);
    }

    it('a 3-level cascade (a stays; b, c move) with deletes on a during the copy: no orphans, target equals source', async () => {
      let stop = false;
      let deleted = 0;
      const deleter = (async () => {
        const ids = Array.from({ length: 300 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
        for (const id of ids) {
          if (stop) break;
          await pair.source.knex.raw('DELETE FROM a WHERE id = ?', [id]);
          deleted++;
          await new Promise((r) => setTimeout(r, 3));
        }
      })();
      const ctx = openContext({
        service: resolveService(manifest, 'product'),
        opts: validateOptions({ chunkSize: 40, minChunk: 20, maxChunk: 40, maxThreadsRunning: 0, copyWorkers: 1 }),
      });
      try {
        await startCommand(ctx, {});
        stop = true;
        await deleter;
        await startCommand(ctx, {}); // catch up on what the deleter did last
      } finally {
        stop = true;
        await deleter;
        await closeContext(ctx);
      }
      expect(deleted).to.be.greaterThan(20);
      const [[orphans]] = await pair.target.raw('SELECT COUNT(*) AS n FROM c LEFT JOIN b ON b.id = c.b_id WHERE b.id IS NULL');
      expect(Number(orphans.n), 'orphaned c rows on the target').to.equal(0);
      for (const t of ['b', 'c'] as const) {
        expect(await rows(pair.target, pair.targetName, t), `${t} differs`).to.equal(await rows(pair.source.knex, pair.source.name, t));
      }
    });
  });
});
