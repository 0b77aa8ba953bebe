import { decimal2, int, timestamp } from './format.ts';
import type { ShopRow } from './rows.ts';

/** What shoppers see (user API). */
export interface ShopJson {
  id: number;
  name: string;
  slug: string;
  url: string | null;
  description: string | null;
  status: 'open' | 'closed';
  followerCount: number;
  createdAt: string;
}

/** What staff see (admin and merchant APIs): the public shape plus contract fields. */
export interface ShopAdminJson extends ShopJson {
  contractStatus: 'pending' | 'active' | 'suspended' | 'terminated';
  commissionRate: string;
  updatedAt: string;
}

export function shop(row: ShopRow): ShopJson {
  return {
    id: int(row.id),
    name: row.name,
    slug: row.slug,
    url: row.url ?? null,
    description: row.description ?? null,
    status: row.status,
    followerCount: int(row.follower_count),
    createdAt: timestamp(row.created_at),
  };
}

export function shopAdmin(row: ShopRow): ShopAdminJson {
  return {
    ...shop(row),
    contractStatus: row.contract_status,
    commissionRate: decimal2(row.commission_rate),
    updatedAt: timestamp(row.updated_at),
  };
}
