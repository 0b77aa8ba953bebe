import { expect } from 'chai';
import { pageOfMarks, tokenSubject, normalizeEmail } from '../logic.ts';
import { withShopNames, distinctShopIds } from '../../product/logic.ts';
import { productFromWire, productToWire, shopFromWire, shopToWire, parseWireId } from '../../../rpc/wire.ts';
import { product as presentProduct, shop as presentShop } from '../../../lib/contract/index.ts';

describe('services: pure rules', () => {
  it('pages marks after filtering out invisible targets; total counts visible ones only', () => {
    const marks = [1, 2, 3, 4, 5].map((id) => ({ targetId: id, createdAt: `2024-01-0${id} 00:00:00.000000` }));
    const r = pageOfMarks(marks, (id) => id !== 2, { page: 2, size: 2 });
    expect(r.total).to.equal(4);
    expect(r.page.map((m) => m.targetId)).to.deep.equal([4, 5]);
  });

  it('reads the subject of a well-formed token only', () => {
    expect(tokenSubject(`12.${'a'.repeat(43)}`)).to.equal(12);
    expect(tokenSubject(`0.${'a'.repeat(43)}`)).to.equal(null);
    expect(tokenSubject('12.short')).to.equal(null);
    expect(normalizeEmail('  Mina@Example.COM ')).to.equal('mina@example.com');
  });

  it('refuses to present a product whose shop the shop service does not know', () => {
    const row = { id: 1, shop_id: 9, category_id: null, name: 'n', price: '1.00', sale_price: null, discount_rate: '0.00', currency: 'KRW', status: 'active' as const, like_count: 0, image_url: null, created_at: '2024-01-01 00:00:00.000000' };
    expect(distinctShopIds([row, { ...row, id: 2 }])).to.deep.equal([9]);
    expect(() => withShopNames([row], new Map())).to.throw(/unknown to the shop service/);
    expect(withShopNames([row], new Map([[9, 'S']]))[0].shop_name).to.equal('S');
  });

  it('rows survive the Thrift round trip and present byte-identically', () => {
    const shop = { id: 3, name: '가게 🌸', slug: 's', url: null, description: null, contract_status: 'active' as const, status: 'open' as const, commission_rate: '12.50', follower_count: 7, created_at: '2024-01-02 03:04:05.123456', updated_at: '2024-01-02 03:04:05.000001' };
    expect(presentShop(shopFromWire(shopToWire(shop)))).to.deep.equal(presentShop(shop));
    const product = { id: 5, shop_id: 3, category_id: null, external_id: 'e', name: '트위드', description: null, price: '39000.00', sale_price: '1.50', currency: 'KRW', status: 'sold_out' as const,
      attributes: '{"color": "블랙", "n": 1}', like_count: 2, view_count: 9, popularity_score: 1.5, version: 3, discount_rate: '99.99', created_at: '2024-01-02 03:04:05.123456', updated_at: '2024-01-03 00:00:00.000000' };
    const images = [{ id: 2, url: 'b', position: 0 }, { id: 1, url: 'a', position: 1 }];
    const back = productFromWire(productToWire(product, images, shop));
    expect(presentProduct(back.row, back.shopName!, back.images)).to.deep.equal(presentProduct(product, shop.name, images));
  });

  it('accepts only positive decimal ids from the wire', () => {
    expect(parseWireId('42')).to.equal(42);
    for (const bad of ['0', '-1', '1e3', '9007199254740993', 42, '']) expect(parseWireId(bad)).to.equal(undefined);
  });
});
