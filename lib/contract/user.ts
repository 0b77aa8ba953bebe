import { int, intOrNull, timestamp } from './format.ts';
import type { StaffRow, UserRow } from './rows.ts';

export interface UserJson {
  id: number;
  email: string;
  name: string;
  gender: 'female' | 'male' | 'other' | null;
  birthYear: number | null;
  createdAt: string;
}

export function user(row: UserRow): UserJson {
  return {
    id: int(row.id),
    email: row.email,
    name: row.name,
    gender: row.gender ?? null,
    birthYear: intOrNull(row.birth_year),
    createdAt: timestamp(row.created_at),
  };
}

export interface AdminJson { id: number; email: string; name: string; role: 'operator' | 'superuser'; createdAt: string }
export interface MerchantJson { id: number; email: string; name: string; shopId: number; createdAt: string }

export function admin(row: StaffRow): AdminJson {
  return { id: int(row.id), email: row.email, name: row.name, role: row.role ?? 'operator', createdAt: timestamp(row.created_at) };
}

export function merchant(row: StaffRow): MerchantJson {
  return { id: int(row.id), email: row.email, name: row.name, shopId: int(row.shop_id ?? 0), createdAt: timestamp(row.created_at) };
}

/** Login answer of all three APIs: `{ token, <subject> }`. */
export function session<K extends string, T>(token: string, key: K, subject: T): { token: string } & Record<K, T> {
  return { token, [key]: subject } as { token: string } & Record<K, T>;
}
