/**
 * Plain row shapes as mysql2 returns them (dateStrings, DECIMAL as string,
 * BIGINT as number when safe). Presenters take these; they never see knex.
 */
export type Num = number | string;

export interface ShopRow {
  id: Num;
  name: string;
  slug: string;
  url: string | null;
  description: string | null;
  contract_status: 'pending' | 'active' | 'suspended' | 'terminated';
  status: 'open' | 'closed';
  commission_rate: string;
  follower_count: Num;
  created_at: string;
  updated_at: string;
}

export interface ProductRow {
  id: Num;
  shop_id: Num;
  category_id: Num | null;
  external_id: string;
  name: string;
  description: string | null;
  price: string;
  sale_price: string | null;
  currency: string;
  status: 'active' | 'hidden' | 'sold_out';
  attributes: unknown;
  like_count: Num;
  view_count: Num;
  popularity_score: number;
  version: Num;
  discount_rate: string;
  created_at: string;
  updated_at: string;
}

/** A product row joined with its shop's name and first image (list queries). */
export interface ProductListRow {
  id: Num;
  shop_id: Num;
  shop_name: string;
  category_id: Num | null;
  name: string;
  price: string;
  sale_price: string | null;
  discount_rate: string;
  currency: string;
  status: 'active' | 'hidden' | 'sold_out';
  like_count: Num;
  image_url: string | null;
  created_at: string;
}

export interface ProductImageRow {
  id?: Num;
  product_id?: Num;
  url: string;
  position: Num;
}

export interface UserRow {
  id: Num;
  email: string;
  name: string;
  gender: 'female' | 'male' | 'other' | null;
  birth_year: Num | null;
  created_at: string;
}

export interface LikeRow extends ProductListRow {
  liked_at: string;
}

export interface BookmarkRow extends ShopRow {
  bookmarked_at: string;
}

export interface LogRow {
  id: Num;
  type: 'view' | 'click' | 'search' | 'like';
  user_id: Num | null;
  product_id: Num | null;
  shop_id: Num | null;
  query: string | null;
  meta: unknown;
  created_at: string;
}

export interface StaffRow {
  id: Num;
  email: string;
  name: string;
  role?: 'operator' | 'superuser';
  shop_id?: Num;
  created_at: string;
}

export interface DailyTotalRow {
  day: string;
  views: Num;
  clicks: Num;
  searches: Num;
  likes: Num;
}

export interface ShopDailyStatRow {
  shop_id: Num;
  day: string;
  views: Num;
  clicks: Num;
  likes: Num;
  active_products: Num;
  computed_at: string;
}

export interface ProductStatRow {
  product_id: Num;
  name: string;
  status: string;
  views: Num;
  clicks: Num;
  likes: Num;
  like_count: Num;
}
