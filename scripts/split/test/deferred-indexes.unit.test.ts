import { expect } from 'chai';
import { addClause, deferrableIndexes, defersIndexesFor, definitionLines, indexColumns, pendingIndexes, pendingIndexesMessage } from '../lib/deferred-indexes.ts';
import { copyOrder } from '../lib/copier.ts';
import { newState, type TableProgress } from '../lib/state.ts';

/** SHOW CREATE TABLE of the target's products as MariaDB 10.11 writes it (after the crossing FK to shops was dropped). */
const PRODUCTS = `CREATE TABLE \`products\` (
  \`id\` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  \`shop_id\` bigint(20) unsigned NOT NULL,
  \`category_id\` int(10) unsigned DEFAULT NULL,
  \`external_id\` varchar(64) NOT NULL,
  \`name\` varchar(255) NOT NULL,
  \`status\` enum('active','hidden','sold_out') NOT NULL DEFAULT 'active',
  \`price\` decimal(12,2) NOT NULL,
  \`discount_rate\` decimal(5,2) GENERATED ALWAYS AS (if(\`price\` = 0,0,1)) VIRTUAL,
  \`created_at\` datetime(6) NOT NULL DEFAULT current_timestamp(6),
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`uq_products_shop_external\` (\`shop_id\`,\`external_id\`),
  KEY \`ix_products_category\` (\`category_id\`),
  KEY \`ix_products_created\` (\`created_at\`),
  KEY \`ix_products_status_price\` (\`status\`,\`price\`),
  KEY \`ix_products_name\` (\`name\`(10)) COMMENT 'prefix (x)',
  KEY \`ix_products_discount\` (\`discount_rate\`),
  FULLTEXT KEY \`ft_products_name\` (\`name\`),
  CONSTRAINT \`fk_products_category\` FOREIGN KEY (\`category_id\`) REFERENCES \`categories\` (\`id\`)
) ENGINE=InnoDB AUTO_INCREMENT=901 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

describe('split-db deferred secondary indexes (pure)', () => {
  it('defers non-unique BTREE keys; keeps PRIMARY/UNIQUE/FULLTEXT, FK-needed, AUTO_INCREMENT-leading and VIRTUAL-column keys', () => {
    const { defer, kept } = deferrableIndexes(PRODUCTS, [['category_id']]);
    expect(defer).to.deep.equal([
      { name: 'ix_products_created', clause: 'KEY `ix_products_created` (`created_at`)' },
      { name: 'ix_products_status_price', clause: 'KEY `ix_products_status_price` (`status`,`price`)' },
      { name: 'ix_products_name', clause: "KEY `ix_products_name` (`name`(10)) COMMENT 'prefix (x)'" },
    ]);
    expect(kept).to.deep.equal([
      { name: 'ix_products_category', why: 'a foreign key needs it' },
      { name: 'ix_products_discount', why: 'it covers a VIRTUAL column' },
    ]);
  });

  it('keeps an index whose leading columns are a foreign key\'s (either side), and one led by the AUTO_INCREMENT column', () => {
    const t = 'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `n` int NOT NULL AUTO_INCREMENT,\n  `b` int,\n  PRIMARY KEY (`a`,`n`),\n  KEY `ix_n` (`n`),\n  KEY `ix_ab` (`b`,`a`),\n  KEY `ix_a` (`a`)\n) ENGINE=InnoDB';
    const r = deferrableIndexes(t, [['b']]);
    expect(r.defer.map((x) => x.name)).to.deep.equal(['ix_a']);
    expect(r.kept.map((x) => x.name)).to.deep.equal(['ix_n', 'ix_ab']);
  });

  it('defers nothing on a table that is not InnoDB', () => {
    const t = 'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `b` int,\n  PRIMARY KEY (`a`),\n  KEY `ix_b` (`b`)\n) ENGINE=MyISAM';
    expect(deferrableIndexes(t, []).defer).to.deep.equal([]);
  });

  it('reads index columns with prefixes, DESC and backquotes in names', () => {
    expect(indexColumns('  KEY `i``x` (`a``b`(10),`c` DESC) COMMENT \'(`z`)\',')).to.deep.equal(['a`b', 'c']);
  });

  it('adds back with IF NOT EXISTS; compares definitions without the AUTO_INCREMENT counter, trailing commas or key order', () => {
    expect(addClause('KEY `ix` (`a`)')).to.equal('ADD KEY IF NOT EXISTS `ix` (`a`)');
    const reordered = PRODUCTS.replace('AUTO_INCREMENT=901', 'AUTO_INCREMENT=1200')
      .replace("  KEY `ix_products_category` (`category_id`),\n", '')
      .replace('  FULLTEXT KEY', '  KEY `ix_products_category` (`category_id`),\n  FULLTEXT KEY');
    expect(definitionLines(reordered)).to.deep.equal(definitionLines(PRODUCTS));
    expect(definitionLines(PRODUCTS.replace('  KEY `ix_products_created` (`created_at`),\n', ''))).to.not.deep.equal(definitionLines(PRODUCTS));
  });

  it('names the pending indexes verify and cutover wait for', () => {
    const s = newState('product', 's', 't', ['products', 'product_images'], 100);
    expect(pendingIndexesMessage(s)).to.equal(null);
    s.tables.products.indexes = { definition: PRODUCTS, indexes: [{ name: 'ix_a', clause: 'KEY `ix_a` (`a`)' }, { name: 'ix_b', clause: 'KEY `ix_b` (`b`)' }], step: 'dropped' };
    s.tables.product_images.indexes = { definition: '', indexes: [{ name: 'ix_c', clause: 'KEY `ix_c` (`c`)' }], step: 'restored' };
    expect(pendingIndexes(s)).to.deep.equal([{ table: 'products', indexes: ['ix_a', 'ix_b'], step: 'dropped' }]);
    expect(pendingIndexesMessage(s)).to.match(/products\(ix_a, ix_b\) are not added back yet/);
  });

  it('--defer-indexes auto (the default) and on defer on either copy path; off never does', () => {
    // before 2026-12-07 auto meant the stream copy only, and the server-side copy of 1,000,000 products with eight
    // keys in place ran at 0.72x the dump pipe (docs/split.md, Benchmark)
    expect(['auto', 'on', 'off'].map((x) => defersIndexesFor(x as 'auto' | 'on' | 'off'))).to.deep.equal([true, true, false]);
  });

  it('copies the tables with the most keys to add back first, so each re-add ALTER runs beside the copies after it; the rest keep the manifest order', () => {
    const p = (estimate: number, keys: number, step: 'planned' | 'dropped' | 'restored' = 'dropped'): TableProgress => ({
      minPk: null, maxPk: null, lastPk: null, rows: 0, chunks: 0, done: false, estimate,
      indexes: { definition: '', indexes: Array.from({ length: keys }, (_, i) => ({ name: `ix_${i}`, clause: `KEY \`ix_${i}\` (\`c${i}\`)` })), step },
    });
    const manifest = ['shops', 'categories', 'products', 'product_images', 'likes'];
    const progress = {
      shops: p(50, 0), categories: p(20, 0),
      products: p(1_000_000, 6), product_images: p(250_000, 1), likes: p(2_000_000, 2),
    };
    // likes 4 M key-rows, products 6 M, images 250 k: products, likes, images, then the others in manifest order
    expect(copyOrder(manifest, progress)).to.deep.equal(['products', 'likes', 'product_images', 'shops', 'categories']);
    // keys already back (a resumed copy) count for nothing; an unknown estimate (0 on a fresh table) still ranks above no keys
    expect(copyOrder(manifest, { ...progress, products: p(1_000_000, 6, 'restored'), likes: p(0, 2) }))
      .to.deep.equal(['product_images', 'likes', 'shops', 'categories', 'products']);
    // nothing deferred (--defer-indexes off, or a state of an older version): the manifest's order
    expect(copyOrder(manifest, {})).to.deep.equal(manifest);
  });
});
