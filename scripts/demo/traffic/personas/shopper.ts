/**
 * The shopping app: browse, filter, open, click, search, shops, likes and
 * bookmarks, sign-in. Remembers its own likes and checks that the likes list
 * shows exactly what it liked (read-your-writes, across every cutover).
 */
import { SHOPPER_MIX, pickWeighted, type ShopperAction } from '../mix.ts';
import { items, SimulatedClient } from '../persona.ts';
import type { World } from '../world.ts';
import type { HttpClient } from '../client.ts';
import type { Recorder } from '../recorder.ts';
import type { Rng } from '../../../seed/prng.ts';

const SORTS = ['newest', 'price_asc', 'price_desc', 'popularity'] as const;
/** Likes a shopper keeps at most (its list check reads them in one page). */
export const MAX_LIKES = 40;

export class Shopper extends SimulatedClient {
  readonly persona = 'shopper' as const;
  private readonly email: string;
  private readonly password: string;
  private readonly world: World;
  readonly liked = new Set<number>();
  private readonly bookmarked = new Set<number>();
  /** A like write failed: its outcome is unknown, so the next list is adopted instead of checked. */
  private uncertain = false;
  /** A bookmark write failed: its outcome is unknown, so the app reloads the bookmarks before the next change. */
  private bookmarksUncertain = false;

  constructor(name: string, creds: { email: string; password: string }, world: World, http: HttpClient, recorder: Recorder, rng: Rng) {
    super(name, http, recorder, rng);
    this.email = creds.email;
    this.password = creds.password;
    this.world = world;
  }

  async login(): Promise<boolean> {
    const r = await this.act('login', 'POST', 'POST /api/sessions', '/api/sessions', { body: { email: this.email, password: this.password }, expect: [200] });
    const token = (r.body as { token?: string } | undefined)?.token;
    if (r.status === 200 && token) this.token = token;
    return r.status === 200;
  }

  /** Seeded users may already like things: start from the server's truth. */
  async syncLikes(): Promise<void> {
    const r = await this.act('likes', 'GET', 'GET /api/me/likes', '/api/me/likes?size=100', { token: this.token, expect: [200] });
    for (const l of items<{ productId: number }>(r)) this.liked.add(l.productId);
    const b = await this.act('bookmarks', 'GET', 'GET /api/me/bookmarks', '/api/me/bookmarks?size=100', { token: this.token, expect: [200] });
    for (const x of items<{ shopId: number }>(b)) this.bookmarked.add(x.shopId);
  }

  async step(): Promise<void> {
    const action = pickWeighted<ShopperAction>(SHOPPER_MIX, this.rng.next());
    const w = this.world;
    const rng = this.rng;
    const auth = { token: this.token };
    switch (action) {
      case 'browse':
        await this.act(action, 'GET', 'GET /api/products', `/api/products?page=${rng.between(1, 5)}&size=20&sort=${rng.pick(SORTS)}`, { ...auth, expect: [200] });
        return;
      case 'filter': {
        const parts = [`sort=${rng.pick(SORTS)}`];
        if (rng.chance(0.5)) parts.push(`shopId=${rng.pick(w.shopIds)}`);
        if (w.categoryIds.length && rng.chance(0.5)) parts.push(`categoryId=${rng.pick(w.categoryIds)}`);
        if (rng.chance(0.5)) parts.push(`minPrice=${rng.between(0, 3) * 10000}&maxPrice=${rng.between(4, 20) * 10000}`);
        await this.act(action, 'GET', 'GET /api/products', `/api/products?${parts.join('&')}`, { ...auth, expect: [200] });
        return;
      }
      case 'get':
        await this.act(action, 'GET', 'GET /api/products/:id', `/api/products/${rng.pick(w.productIds)}`, { ...auth, expect: [200] });
        return;
      case 'click':
        await this.act(action, 'POST', 'POST /api/products/:id/clicks', `/api/products/${rng.pick(w.productIds)}/clicks`, { ...auth, body: { source: 'list' }, expect: [204] });
        return;
      case 'search':
        await this.act(action, 'GET', 'GET /api/search', `/api/search?q=${encodeURIComponent(rng.pick(w.searchTerms))}`, { ...auth, expect: [200] });
        return;
      case 'shops':
        await this.act(action, 'GET', 'GET /api/shops', `/api/shops?page=1&size=20`, { expect: [200] });
        return;
      case 'shop':
        await this.act(action, 'GET', 'GET /api/shops/:id', `/api/shops/${rng.pick(w.shopIds)}`, { expect: [200] });
        return;
      case 'like': {
        const id = rng.pick(w.productIds);
        if (this.liked.size >= MAX_LIKES && !this.liked.has(id)) return this.unlike();
        const r = await this.act(action, 'POST', 'POST /api/me/likes', '/api/me/likes', { ...auth, body: { productId: id }, expect: this.liked.has(id) ? [200] : [201] });
        if (r.status === 200 || r.status === 201) this.liked.add(id);
        else this.uncertain = true;
        return;
      }
      case 'unlike':
        return this.unlike();
      case 'likes':
        await this.act(action, 'GET', 'GET /api/me/likes', '/api/me/likes?size=100', {
          ...auth, expect: [200],
          check: (r) => {
            const got = new Set(items<{ productId: number }>(r).map((l) => l.productId));
            if (this.uncertain) {
              this.uncertain = false;
              this.liked.clear();
              for (const id of got) this.liked.add(id);
              return undefined;
            }
            const missing = [...this.liked].filter((id) => !got.has(id));
            const extra = [...got].filter((id) => !this.liked.has(id));
            return missing.length || extra.length ? `likes list differs from this client's writes (missing ${missing.join(',') || '-'}, unexpected ${extra.join(',') || '-'})` : undefined;
          },
        });
        return;
      case 'bookmark': {
        await this.reloadBookmarksIfUncertain();
        const id = rng.pick(w.shopIds);
        const r = await this.act(action, 'POST', 'POST /api/me/bookmarks', '/api/me/bookmarks', { ...auth, body: { shopId: id }, expect: this.bookmarked.has(id) ? [200] : [201] });
        if (r.status === 200 || r.status === 201) this.bookmarked.add(id);
        else this.bookmarksUncertain = true;
        return;
      }
      case 'unbookmark': {
        await this.reloadBookmarksIfUncertain();
        const id = [...this.bookmarked][0];
        if (id === undefined) return;
        const r = await this.act(action, 'DELETE', 'DELETE /api/me/bookmarks/:shopId', `/api/me/bookmarks/${id}`, { ...auth, expect: [204] });
        if (r.status === 204) this.bookmarked.delete(id);
        else this.bookmarksUncertain = true;
        return;
      }
      case 'me':
        await this.act(action, 'GET', 'GET /api/me', '/api/me', { ...auth, expect: [200] });
        return;
      case 'login':
        await this.login();
        return;
    }
  }

  /** After a failed bookmark write the app does what a real one does: reload the list (a request of its own). */
  private async reloadBookmarksIfUncertain(): Promise<void> {
    if (!this.bookmarksUncertain) return;
    const b = await this.act('bookmarks', 'GET', 'GET /api/me/bookmarks', '/api/me/bookmarks?size=100', { token: this.token, expect: [200] });
    if (b.status !== 200) return;
    this.bookmarksUncertain = false;
    this.bookmarked.clear();
    for (const x of items<{ shopId: number }>(b)) this.bookmarked.add(x.shopId);
  }

  private async unlike(): Promise<void> {
    const ids = [...this.liked];
    if (!ids.length) return;
    const id = this.rng.pick(ids);
    const r = await this.act('unlike', 'DELETE', 'DELETE /api/me/likes/:productId', `/api/me/likes/${id}`, { token: this.token, expect: [204] });
    if (r.status === 204) this.liked.delete(id);
    else this.uncertain = true;
  }
}
