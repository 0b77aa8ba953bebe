import { decimal2, decimal2OrNull, float, int, intOrNull, jsonObject, timestamp } from './format.ts';
import type { ProductImageRow, ProductListRow, ProductRow } from './rows.ts';

export interface ShopRef { id: number; name: string }
export interface ProductImage { url: string; position: number }

/** Full product (detail endpoints of all three APIs). */
export interface ProductJson {
  id: number;
  shopId: number;
  shop: ShopRef;
  categoryId: number | null;
  externalId: string;
  name: string;
  description: string | null;
  price: string;
  salePrice: string | null;
  discountRate: string;
  currency: string;
  status: 'active' | 'hidden' | 'sold_out';
  attributes: Record<string, unknown>;
  images: ProductImage[];
  likeCount: number;
  viewCount: number;
  popularityScore: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A row of a product list: lean, with the shop's id and name embedded. */
export interface ProductListItemJson {
  id: number;
  name: string;
  price: string;
  salePrice: string | null;
  discountRate: string;
  currency: string;
  status: 'active' | 'hidden' | 'sold_out';
  imageUrl: string | null;
  likeCount: number;
  categoryId: number | null;
  shop: ShopRef;
  createdAt: string;
}

export function productImage(row: ProductImageRow): ProductImage {
  return { url: row.url, position: int(row.position) };
}

/** Images ordered by position, then by insertion (id). */
export function sortImages(rows: ProductImageRow[]): ProductImageRow[] {
  return [...rows].sort((a, b) => int(a.position) - int(b.position) || int(a.id ?? 0) - int(b.id ?? 0));
}

export function product(row: ProductRow, shopName: string, images: ProductImageRow[] = []): ProductJson {
  return {
    id: int(row.id),
    shopId: int(row.shop_id),
    shop: { id: int(row.shop_id), name: shopName },
    categoryId: intOrNull(row.category_id),
    externalId: row.external_id,
    name: row.name,
    description: row.description ?? null,
    price: decimal2(row.price),
    salePrice: decimal2OrNull(row.sale_price),
    discountRate: decimal2(row.discount_rate ?? '0'),
    currency: row.currency,
    status: row.status,
    attributes: jsonObject(row.attributes),
    images: sortImages(images).map(productImage),
    likeCount: int(row.like_count),
    viewCount: int(row.view_count),
    popularityScore: float(row.popularity_score),
    version: int(row.version),
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
  };
}

export function productListItem(row: ProductListRow): ProductListItemJson {
  return {
    id: int(row.id),
    name: row.name,
    price: decimal2(row.price),
    salePrice: decimal2OrNull(row.sale_price),
    discountRate: decimal2(row.discount_rate ?? '0'),
    currency: row.currency,
    status: row.status,
    imageUrl: row.image_url ?? null,
    likeCount: int(row.like_count),
    categoryId: intOrNull(row.category_id),
    shop: { id: int(row.shop_id), name: row.shop_name },
    createdAt: timestamp(row.created_at),
  };
}

/** A list row from a full product row and its images (how a list item's image_url is chosen: the first sorted image); pure. */
export function listRowOf(row: ProductRow, images: ProductImageRow[], shopName: string): ProductListRow {
  const first = sortImages(images)[0];
  return {
    id: row.id, shop_id: row.shop_id, shop_name: shopName, category_id: row.category_id, name: row.name, price: row.price,
    sale_price: row.sale_price, discount_rate: row.discount_rate, currency: row.currency, status: row.status,
    like_count: row.like_count, image_url: first ? first.url : null, created_at: row.created_at,
  };
}
