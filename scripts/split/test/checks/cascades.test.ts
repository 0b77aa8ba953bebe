import { expect } from 'chai';
import { assessCascades, deepCascadesInto } from '../../lib/checks/cascades.ts';
import type { ForeignKey } from '../../lib/introspect.ts';

const fk = (table: string, refTable: string, onDelete = 'CASCADE', onUpdate = 'RESTRICT', name = `fk_${table}_${refTable}`): ForeignKey => ({ name, table, columns: [`${refTable}_id`], refTable, refColumns: ['id'], onDelete, onUpdate });

describe('split-db check: cascades (pure)', () => {
  it('cascades of any depth into the moved set are captured: a → b → c is a warning naming the chain, not a blocker', () => {
    const one = [fk('product_images', 'products')];
    expect(deepCascadesInto(one, new Set(['products', 'product_images']))).to.deep.equal([]);
    const two = [fk('product_images', 'products'), fk('image_tags', 'product_images')];
    const chains = deepCascadesInto(two, new Set(['image_tags']));
    expect(chains.map((c) => c.fks.map((f) => f.name))).to.deep.equal([['fk_product_images_products', 'fk_image_tags_product_images']]);
    const all = assessCascades(two, new Set(['products', 'product_images', 'image_tags']));
    expect(all.filter((f) => f.severity === 'blocker')).to.deep.equal([]);
    const w = all.filter((f) => /^cascade chain/.test(f.message));
    expect(w).to.have.length(1);
    expect(w[0].severity).to.equal('warning');
    expect(w[0].message).to.match(/^cascade chain products → product_images → image_tags \(product_images\.fk_product_images_products ON DELETE CASCADE, image_tags\.fk_image_tags_product_images ON DELETE CASCADE\) reaches moved table image_tags: captured at every level/);
    expect(w[0].table).to.equal('image_tags');
  });

  it('follows any depth back to the first parent, through tables that stay', () => {
    const fks = [fk('b', 'a'), fk('c', 'b'), fk('d', 'c', 'SET NULL'), fk('e', 'd')];
    const chains = deepCascadesInto(fks, new Set(['e']));
    // d rows are only UPDATEd by c's SET NULL: e's ON DELETE CASCADE does not act on updates
    expect(chains).to.deep.equal([]);
    const upd = [fk('b', 'a'), fk('c', 'b'), fk('d', 'c', 'SET NULL'), fk('e', 'd', 'RESTRICT', 'CASCADE')];
    expect(deepCascadesInto(upd, new Set(['e'])).map((c) => c.fks.map((f) => f.table).join('>'))).to.deep.equal(['b>c>d>e']);
  });

  it('a self-referencing cascade on a moved table has unbounded depth: a cycle, and a blocker', () => {
    const chains = deepCascadesInto([fk('categories', 'categories', 'CASCADE', 'RESTRICT', 'fk_categories_parent')], new Set(['categories']));
    expect(chains).to.have.length(1);
    expect(chains[0].cyclic).to.equal(true);
    const b = assessCascades([fk('categories', 'categories')], new Set(['categories'])).filter((f) => f.severity === 'blocker');
    expect(b).to.have.length(1);
    expect(b[0].message).to.match(/^cascading FK cycle categories → categories/);
  });

  it('RESTRICT / NO ACTION FKs are no cascades; one-level cascades across the boundary are warnings, both ways', () => {
    expect(assessCascades([fk('b', 'a', 'RESTRICT'), fk('c', 'b', 'NO ACTION')], new Set(['a', 'b', 'c']))).to.deep.equal([]);
    const w = assessCascades([fk('likes', 'products'), fk('products', 'shops', 'SET NULL')], new Set(['products']));
    expect(w.map((f) => [f.severity, f.table])).to.deep.equal([['warning', 'likes'], ['warning', 'products']]);
    expect(w[0].message).to.match(/changes of moved products cascade into likes, which stays/);
    expect(w[1].message).to.match(/changes of shops, which stays, cascade into moved products/);
  });
});
