import { AppError } from '../lib/errors.ts';
import type { ProductImageRow, ProductRow, ShopRow, StaffRow, UserRow } from '../lib/contract/rows.ts';
import { decimal2, decimal2OrNull, timestamp } from '../lib/contract/format.ts';

/**
 * Rows ↔ the Thrift structs of thrift/*.thrift (plain objects with the IDL's
 * field names). Ids travel as decimal strings, money as exact decimal
 * strings, timestamps as ISO-8601 with microseconds — so a row that made the
 * round trip presents byte-identically (lib/contract accepts ISO input).
 */
export interface WireShop {
  id: string; name: string; slug: string; url?: string | null; description?: string | null; contractStatus: string; status: string;
  commissionRate: string; followerCount: number; createdAt: string; updatedAt: string;
}
export interface WireImage { id: string; url: string; position: number }
export interface WireShopSummary { id: string; name: string; slug: string; status: string }
export interface WireProduct {
  id: string; shopId: string; categoryId?: number | null; externalId: string; name: string; description?: string | null; price: string;
  salePrice?: string | null; currency: string; status: string; attributesJson?: string | null; likeCount: number; viewCount: number;
  popularityScore: number; version: number; discountRate: string; createdAt: string; updatedAt: string;
  images?: WireImage[] | null; shop?: WireShopSummary | null;
}
export interface WireUser { id: string; email: string; name: string; gender?: string | null; birthYear?: number | null; createdAt: string; updatedAt: string }
export interface WireMerchant { id: string; shopId: string; email: string; name: string; createdAt: string }
export interface WireStatusChange { id: string; fromStatus: string; toStatus: string }

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const nul = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

export function shopToWire(r: ShopRow): WireShop {
  return {
    id: String(r.id), name: r.name, slug: r.slug, url: opt(r.url), description: opt(r.description), contractStatus: r.contract_status,
    status: r.status, commissionRate: decimal2(r.commission_rate), followerCount: Number(r.follower_count),
    createdAt: timestamp(r.created_at), updatedAt: timestamp(r.updated_at),
  };
}

export function shopFromWire(s: WireShop): ShopRow {
  return {
    id: Number(s.id), name: s.name, slug: s.slug, url: nul(s.url), description: nul(s.description),
    contract_status: s.contractStatus as ShopRow['contract_status'], status: s.status as ShopRow['status'], commission_rate: s.commissionRate,
    follower_count: s.followerCount, created_at: s.createdAt, updated_at: s.updatedAt,
  };
}

export function productToWire(r: ProductRow, images?: ProductImageRow[], shop?: ShopRow): WireProduct {
  const attrs = r.attributes === null || r.attributes === undefined ? undefined : typeof r.attributes === 'string' ? r.attributes : JSON.stringify(r.attributes);
  return {
    id: String(r.id), shopId: String(r.shop_id), categoryId: r.category_id === null ? undefined : Number(r.category_id), externalId: r.external_id,
    name: r.name, description: opt(r.description), price: decimal2(r.price), salePrice: opt(decimal2OrNull(r.sale_price)), currency: r.currency,
    status: r.status, attributesJson: attrs, likeCount: Number(r.like_count), viewCount: Number(r.view_count),
    popularityScore: Number(r.popularity_score), version: Number(r.version), discountRate: decimal2(r.discount_rate ?? '0'),
    createdAt: timestamp(r.created_at), updatedAt: timestamp(r.updated_at),
    images: images?.map((i) => ({ id: String(i.id ?? 0), url: i.url, position: Number(i.position) })),
    shop: shop ? { id: String(shop.id), name: shop.name, slug: shop.slug, status: shop.status } : undefined,
  };
}

export function productFromWire(p: WireProduct): { row: ProductRow; images: ProductImageRow[]; shopName: string | undefined } {
  return {
    row: {
      id: Number(p.id), shop_id: Number(p.shopId), category_id: p.categoryId ?? null, external_id: p.externalId, name: p.name,
      description: nul(p.description), price: p.price, sale_price: nul(p.salePrice), currency: p.currency, status: p.status as ProductRow['status'],
      attributes: nul(p.attributesJson), like_count: p.likeCount, view_count: p.viewCount, popularity_score: p.popularityScore,
      version: p.version, discount_rate: p.discountRate, created_at: p.createdAt, updated_at: p.updatedAt,
    },
    images: (p.images ?? []).map((i) => ({ id: Number(i.id), url: i.url, position: i.position })),
    shopName: p.shop?.name,
  };
}

export function userToWire(r: UserRow & { updated_at?: string }): WireUser {
  return {
    id: String(r.id), email: r.email, name: r.name, gender: opt(r.gender), birthYear: r.birth_year === null ? undefined : Number(r.birth_year),
    createdAt: timestamp(r.created_at), updatedAt: timestamp(r.updated_at ?? r.created_at),
  };
}

export function userFromWire(u: WireUser): UserRow {
  return { id: Number(u.id), email: u.email, name: u.name, gender: nul(u.gender) as UserRow['gender'], birth_year: nul(u.birthYear), created_at: u.createdAt };
}

export function merchantToWire(r: StaffRow): WireMerchant {
  return { id: String(r.id), shopId: String(r.shop_id ?? 0), email: r.email, name: r.name, createdAt: timestamp(r.created_at) };
}

export function merchantFromWire(m: WireMerchant): StaffRow {
  return { id: Number(m.id), shop_id: Number(m.shopId), email: m.email, name: m.name, created_at: m.createdAt };
}

/** Ids from the wire: decimal strings of positive safe integers; anything else is refused. */
export function parseWireId(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Ids per call of the services' batch methods (getMany, counts by ids). */
export const MAX_WIRE_BATCH = 500;

/** A handler's id argument, or VALIDATION_FAILED naming it. */
export function idArg(v: unknown, what = 'id'): number {
  const n = parseWireId(v);
  if (n === undefined) throw new AppError('VALIDATION_FAILED', `${what} must be a positive decimal id`);
  return n;
}

/** A handler's list of ids, at most `max`, or VALIDATION_FAILED naming it. */
export function idsArg(v: unknown, what = 'ids', max = MAX_WIRE_BATCH): number[] {
  if (!Array.isArray(v)) throw new AppError('VALIDATION_FAILED', `${what} must be a list`);
  if (v.length > max) throw new AppError('VALIDATION_FAILED', `${what}: at most ${max} per call`);
  return v.map((x) => idArg(x, what));
}
