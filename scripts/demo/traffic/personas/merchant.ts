/**
 * The merchant web: sign-in, own product list, product page, edits, new
 * products, the stats page, the shop page. Edits only its own shop's
 * products and checks that an edited product reads back as it wrote it.
 */
import { MERCHANT_MIX, pickWeighted, type MerchantAction } from '../mix.ts';
import { items, SimulatedClient } from '../persona.ts';
import type { HttpClient } from '../client.ts';
import type { Recorder } from '../recorder.ts';
import type { World } from '../world.ts';
import type { Rng } from '../../../seed/prng.ts';

export class Merchant extends SimulatedClient {
  readonly persona = 'merchant' as const;
  private readonly creds: { email: string; password: string };
  private readonly world: World;
  readonly shopId: number;
  private created = 0;
  /** Own product ids (from the list), and the price this client last wrote for some of them. */
  readonly own: number[] = [];
  readonly written = new Map<number, string>();

  constructor(name: string, creds: { email: string; password: string }, shopId: number, world: World, http: HttpClient, recorder: Recorder, rng: Rng) {
    super(name, http, recorder, rng);
    this.creds = creds;
    this.shopId = shopId;
    this.world = world;
  }

  async login(): Promise<boolean> {
    const r = await this.act('login', 'POST', 'POST /merchant/sessions', '/merchant/sessions', { body: this.creds, expect: [200] });
    const token = (r.body as { token?: string } | undefined)?.token;
    if (r.status === 200 && token) this.token = token;
    return r.status === 200;
  }

  async step(): Promise<void> {
    const action = pickWeighted<MerchantAction>(MERCHANT_MIX, this.rng.next());
    const auth = { token: this.token };
    switch (action) {
      case 'products': {
        const r = await this.act(action, 'GET', 'GET /merchant/products', `/merchant/products?page=1&size=50`, { ...auth, expect: [200] });
        for (const p of items<{ id: number }>(r)) if (!this.own.includes(p.id)) this.own.push(p.id);
        return;
      }
      case 'product': {
        const ids = this.written.size && this.rng.chance(0.7) ? [...this.written.keys()] : this.own;
        if (!ids.length) return;
        const id = this.rng.pick(ids);
        const want = this.written.get(id);
        await this.act(action, 'GET', 'GET /merchant/products/:id', `/merchant/products/${id}`, {
          ...auth, expect: [200],
          check: (r) => {
            const p = r.body as { price?: string };
            return want === undefined || p.price === want ? undefined : `product ${id} reads price ${p.price}, this merchant last wrote ${want}`;
          },
        });
        return;
      }
      case 'edit': {
        if (!this.own.length) return;
        const id = this.rng.pick(this.own);
        const price = `${this.rng.between(10, 300) * 100}.00`;
        const r = await this.act(action, 'PATCH', 'PATCH /merchant/products/:id', `/merchant/products/${id}`, { ...auth, body: { price, salePrice: null }, expect: [200] });
        if (r.status === 200) this.written.set(id, price);
        else this.written.delete(id);
        return;
      }
      case 'create': {
        const seq = ++this.created;
        const r = await this.act(action, 'POST', 'POST /merchant/products', '/merchant/products', {
          ...auth, expect: [201],
          body: { externalId: `m-${this.world.runTag}-${this.name}-${seq}`, name: `신상 New arrival ${seq}`, price: `${this.rng.between(10, 90) * 1000}.00`, attributes: { season: 'FW' } },
        });
        const id = (r.body as { id?: number } | undefined)?.id;
        if (r.status === 201 && id) this.own.push(id);
        return;
      }
      case 'stats':
        await this.act(action, 'GET', 'GET /merchant/stats', '/merchant/stats?size=20', { ...auth, expect: [200] });
        return;
      case 'shop':
        await this.act(action, 'GET', 'GET /merchant/shop', '/merchant/shop', { ...auth, expect: [200] });
        return;
      case 'login':
        await this.login();
        return;
    }
  }
}
