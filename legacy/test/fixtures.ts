import type { Knex } from 'knex';
import { createCategory } from '../models/categories.ts';
import { createStaffSession, createUserSession } from '../models/sessions.ts';
import { createAdmin, createMerchant } from '../models/staff.ts';
import { createUser } from '../models/users.ts';

/** Tiny fixture builder for the legacy integration tests (independent of the seed script). */
export class Fixtures {
  readonly knex: Knex;
  private n = 0;
  constructor(knex: Knex) {
    this.knex = knex;
  }

  private next(): number {
    this.n += 1;
    return this.n;
  }

  async shop(over: Record<string, unknown> = {}): Promise<number> {
    const i = this.next();
    const [id] = await this.knex('shops').insert({ name: `샵 ${i} Shop`, slug: `shop-${i}`, contract_status: 'active', ...over });
    return Number(id);
  }

  async category(name = '상의'): Promise<number> {
    const i = this.next();
    return createCategory(this.knex, { name: `${name} ${i}`, slug: `cat-${i}` });
  }

  async product(shopId: number, over: Record<string, unknown> = {}, images: string[] = []): Promise<number> {
    const i = this.next();
    const [id] = await this.knex('products').insert({ shop_id: shopId, external_id: `ext-${i}`, name: `상품 ${i} item`, price: '10000.00', ...over });
    if (images.length) await this.knex('product_images').insert(images.map((url, position) => ({ product_id: id, url, position })));
    return Number(id);
  }

  async user(over: { email?: string; password?: string; name?: string } = {}): Promise<{ id: number; email: string; password: string; token: string }> {
    const i = this.next();
    const email = over.email ?? `user${i}@example.com`;
    const password = over.password ?? 'correct horse';
    const row = await createUser(this.knex, { email, password, name: over.name ?? `사용자 ${i}` });
    const token = await createUserSession(this.knex, Number(row.id), new Date());
    return { id: Number(row.id), email, password, token };
  }

  async admin(role: 'operator' | 'superuser' = 'operator'): Promise<{ id: number; email: string; password: string; token: string }> {
    const i = this.next();
    const email = `admin${i}@example.com`;
    const password = 'admin password';
    const id = await createAdmin(this.knex, { email, password, name: `관리자 ${i}`, role });
    return { id, email, password, token: await createStaffSession(this.knex, 'admin', id, new Date()) };
  }

  async merchant(shopId: number): Promise<{ id: number; email: string; password: string; token: string }> {
    const i = this.next();
    const email = `merchant${i}@example.com`;
    const password = 'merchant password';
    const id = await createMerchant(this.knex, { shopId, email, password, name: `사장님 ${i}` });
    return { id, email, password, token: await createStaffSession(this.knex, 'merchant', id, new Date()) };
  }

  async log(row: { type: 'view' | 'click' | 'search' | 'like'; product_id?: number; shop_id?: number; user_id?: number; query?: string; created_at?: string }): Promise<void> {
    await this.knex('logs').insert(row);
  }
}
