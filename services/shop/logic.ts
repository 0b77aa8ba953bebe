import type { ShopRow } from '../../lib/contract/rows.ts';

/** Pure rules of the shop service. */
export type ShopStatus = ShopRow['status'];
export type ContractStatus = ShopRow['contract_status'];

/** Shoppers see shops whose contract is active (open or closed), as legacy does. */
export const PUBLIC_CONTRACT_STATUS: ContractStatus = 'active';

export interface ShopFilter { contractStatus?: ContractStatus; status?: ShopStatus; q?: string }

export interface ShopPatch {
  name?: string;
  slug?: string;
  url?: string | null;
  description?: string | null;
  contractStatus?: ContractStatus;
  status?: ShopStatus;
  commissionRate?: string;
}

export function isPublic(row: Pick<ShopRow, 'contract_status'>): boolean {
  return row.contract_status === PUBLIC_CONTRACT_STATUS;
}

/** Shops in the order of `ids`, unknown ids left out (the IDL's getMany contract). */
export function inIdOrder<T extends { id: number | string }>(ids: number[], rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return ids.map((id) => byId.get(id)).filter((r): r is T => r !== undefined);
}
