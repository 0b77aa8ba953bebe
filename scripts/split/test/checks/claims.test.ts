import { expect } from 'chai';
import { claimsFromStates, claimsFromTriggers } from '../../lib/checks/claims.ts';
import { assessTargetEmpty } from '../../lib/checks/target-empty.ts';
import { newState } from '../../lib/state.ts';
import { serviceLockName, tableLockName } from '../../lib/table-locks.ts';

describe('split-db checks: claims and target-empty (pure)', () => {
  it('another split\'s unfinished state claiming a moved table is a blocker; its completed state and our own state are not', () => {
    const mine = newState('product', 's', 't', ['products', 'categories'], 100);
    const other = newState('catalog', 's', 't2', ['products'], 100);
    const done = { ...newState('old', 's', 't3', ['categories'], 100), phase: 'completed' as const };
    const f = claimsFromStates([mine, other, done], 'product', ['categories', 'products']);
    expect(f.map((x) => x.message)).to.deep.equal(['table products is claimed by split "catalog" (phase copying) on the same source database']);
    expect(f[0].fix).to.match(/split-db cancel catalog/);
  });

  it('another split\'s capture triggers on a moved table are a claim; ours (any _split_<service>_ name) are not', () => {
    const rows = [
      { name: '_split_product_products_u', table: 'products' },
      { name: '_split_product_products_cascade_d', table: 'products' },
      { name: '_split_product_x_products_u', table: 'products' },
      { name: '_split_catalog_shops_u', table: 'shops' },
    ].map((r) => ({ ...r, event: 'UPDATE', timing: 'AFTER', body: '' }));
    expect(claimsFromTriggers(rows, 'product', ['products'], ['product', 'product_x']).map((f) => f.message)).to.deep.equal(['table products carries trigger _split_product_x_products_u of another split']);
    expect(claimsFromTriggers([{ name: '_split_catalog_products_u', table: 'products', event: 'UPDATE', timing: 'AFTER', body: '' }], 'product', ['products']).map((f) => f.table)).to.deep.equal(['products']);
  });

  it('lock names fit the server\'s 64 characters and differ per database and table', () => {
    const a = tableLockName('d'.repeat(64), 't'.repeat(64));
    expect(a.length).to.be.at.most(64);
    expect(tableLockName('db', 'a_b')).not.to.equal(tableLockName('db_a', 'b'));
    expect(serviceLockName('legacy', 'product')).to.equal('split-db:legacy:product');
  });

  it('a target table holding rows is a blocker unless this service\'s unfinished state says the tool wrote them', () => {
    const rows = new Map([['products', 305], ['categories', 0], ['product_images', 1001]]);
    const f = assessTargetEmpty(rows, undefined, 'product', 'product_svc');
    expect(f.map((x) => x.message)).to.deep.equal([
      'target product_svc.products already holds 305 row(s) and no split state of product says split-db wrote them (e.g. cancel without --drop-target); they would stay as extra rows',
      'target product_svc.product_images already holds more than 1000 rows and no split state of product says split-db wrote them (e.g. cancel without --drop-target); they would stay as extra rows',
    ]);
    expect(assessTargetEmpty(rows, newState('product', 's', 't', ['products'], 1), 'product', 'product_svc')).to.deep.equal([]);
    expect(assessTargetEmpty(rows, { ...newState('product', 's', 't', ['products'], 1), phase: 'completed' }, 'product', 'product_svc')).to.have.length(2);
  });
});
