import { expect } from 'chai';
import { assessAppTriggers } from '../../lib/checks/app-triggers.ts';

const trg = (name: string, table: string, side: 'source' | 'target', body = 'INSERT INTO audit VALUES (NEW.id)') => ({ name, table, event: 'UPDATE', timing: 'AFTER', body, side });

describe('split-db check: application triggers (pure)', () => {
  it('blocks on an application trigger on a moved table, on either side, naming it and the fixes', () => {
    const f = assessAppTriggers([trg('products_audit', 'products', 'source'), trg('images_touch', 'product_images', 'target'), trg('shops_audit', 'shops', 'source')], new Set(['products', 'product_images']), new Set());
    expect(f.map((x) => [x.severity, x.table])).to.deep.equal([['blocker', 'products'], ['blocker', 'product_images']]);
    expect(f[0].message).to.equal('source trigger products_audit (AFTER UPDATE ON products) would fire for the tool\'s reverse apply writes (duplicate side effects such as audit rows, or changed values)');
    expect(f[1].message).to.match(/^target trigger images_touch .*copy and apply writes/);
    expect(f[0].fix).to.match(/"acceptTriggers": \["products_audit"\]/).and.match(/IF @split_bypass IS NULL/);
  });

  it('ignores the tool\'s own triggers and triggers that skip the tool\'s sessions; accepted ones are warnings', () => {
    const f = assessAppTriggers([
      trg('_split_product_products_u', 'products', 'source'),
      trg('guarded', 'products', 'source', 'BEGIN IF @SPLIT_BYPASS IS NULL THEN INSERT INTO audit VALUES (NEW.id); END IF; END'),
      trg('products_audit', 'products', 'target'),
    ], new Set(['products']), new Set(['products_audit']));
    expect(f.map((x) => x.severity)).to.deep.equal(['warning']);
    expect(f[0].message).to.match(/accepted in the manifest/);
  });
});
