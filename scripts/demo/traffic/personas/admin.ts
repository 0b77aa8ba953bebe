/**
 * The admin web: sign-in, shop lists, crawled bulk uploads, product fixes and
 * hides, user lists. Updates and hides only what it uploaded itself, and
 * checks that a product reads back as it last wrote it.
 */
import { ADMIN_MIX, pickWeighted, type AdminAction } from '../mix.ts';
import { SimulatedClient } from '../persona.ts';
import type { World } from '../world.ts';
import type { HttpClient } from '../client.ts';
import type { Recorder } from '../recorder.ts';
import type { Rng } from '../../../seed/prng.ts';

interface Written {
  price: string;
  status: 'active' | 'hidden';
}

const ADJ = ['오버핏', '크롭', 'Basic', 'Linen', '데일리', 'Vintage', '와이드'];
const NOUN = ['셔츠', '니트', 'Slacks', 'Cardigan', '원피스', 'Denim', '자켓'];

export class Admin extends SimulatedClient {
  readonly persona = 'admin' as const;
  private readonly creds: { email: string; password: string };
  private readonly world: World;
  private uploaded = 0;
  /** Products this client uploaded, with what it last wrote (price, status). */
  readonly mine = new Map<number, Written>();

  constructor(name: string, creds: { email: string; password: string }, world: World, http: HttpClient, recorder: Recorder, rng: Rng) {
    super(name, http, recorder, rng);
    this.creds = creds;
    this.world = world;
  }

  async login(): Promise<boolean> {
    const r = await this.act('login', 'POST', 'POST /admin/sessions', '/admin/sessions', { body: this.creds, expect: [200] });
    const token = (r.body as { token?: string } | undefined)?.token;
    if (r.status === 200 && token) this.token = token;
    return r.status === 200;
  }

  private price(): string {
    return `${this.rng.between(10, 200) * 1000}.00`;
  }

  private pickMine(status?: Written['status']): [number, Written] | undefined {
    const list = [...this.mine.entries()].filter(([, w]) => status === undefined || w.status === status);
    return list.length ? this.rng.pick(list) : undefined;
  }

  async step(): Promise<void> {
    const action = pickWeighted<AdminAction>(ADMIN_MIX, this.rng.next());
    const auth = { token: this.token };
    switch (action) {
      case 'shops':
        await this.act(action, 'GET', 'GET /admin/shops', `/admin/shops?page=1&size=50${this.rng.chance(0.3) ? '&contractStatus=active' : ''}`, { ...auth, expect: [200] });
        return;
      case 'users':
        await this.act(action, 'GET', 'GET /admin/users', `/admin/users?page=${this.rng.between(1, 3)}&size=20`, { ...auth, expect: [200] });
        return;
      case 'bulk': {
        const n = this.rng.between(3, 12);
        const batch = Array.from({ length: n }, () => {
          const seq = ++this.uploaded;
          return {
            shopId: this.world.bulkShopId, externalId: `demo-${this.world.runTag}-${this.name}-${seq}`,
            name: `${this.rng.pick(ADJ)} ${this.rng.pick(NOUN)} ${seq}`, price: this.price(), categoryId: this.world.categoryIds.length ? this.rng.pick(this.world.categoryIds) : undefined,
            attributes: { color: this.rng.pick(['black', '아이보리', 'navy']), size: ['S', 'M', 'L'] },
          };
        });
        const r = await this.act(action, 'POST', 'POST /admin/products/bulk', '/admin/products/bulk', {
          ...auth, body: { items: batch }, expect: [200],
          check: (rep) => {
            const res = rep.body as { created?: number } | undefined;
            return res?.created === n ? undefined : `bulk upload of ${n} new products reported ${res?.created ?? '?'} created`;
          },
        });
        const resItems = (r.body as { items?: { id: number; index: number }[] } | undefined)?.items ?? [];
        if (r.status === 200) for (const it of resItems) this.mine.set(it.id, { price: batch[it.index].price, status: 'active' });
        return;
      }
      case 'update': {
        const t = this.pickMine('active');
        if (!t) return;
        const [id, w] = t;
        const price = this.price();
        const r = await this.act(action, 'PATCH', 'PATCH /admin/products/:id', `/admin/products/${id}`, { ...auth, body: { price }, expect: [200] });
        if (r.status === 200) w.price = price;
        else this.mine.delete(id); // outcome unknown: stop checking it
        return;
      }
      case 'hide': {
        const t = this.pickMine('active');
        if (!t) return;
        const [id, w] = t;
        const r = await this.act(action, 'POST', 'POST /admin/products/:id/hide', `/admin/products/${id}/hide`, { ...auth, expect: [200] });
        if (r.status === 200) w.status = 'hidden';
        else this.mine.delete(id);
        return;
      }
      case 'product': {
        const t = this.pickMine();
        if (!t) return;
        const [id, w] = t;
        await this.act(action, 'GET', 'GET /admin/products/:id', `/admin/products/${id}`, {
          ...auth, expect: [200],
          check: (r) => {
            const p = r.body as { price?: string; status?: string };
            return p.price === w.price && p.status === w.status ? undefined : `product ${id} reads price ${p.price}/${p.status}, this client last wrote ${w.price}/${w.status}`;
          },
        });
        return;
      }
      case 'login':
        await this.login();
        return;
    }
  }
}
