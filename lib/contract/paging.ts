/**
 * Offset pagination, the legacy app's only kind: `?page=1&size=20`
 * (1-based page, size 1..100, default 20) answered as
 * `{ items, page: { page, size, total, hasNext } }`.
 */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest { page: number; size: number }
export interface PageInfo { page: number; size: number; total: number; hasNext: boolean }
export interface Page<T> { items: T[]; page: PageInfo }

export function offsetOf(req: PageRequest): number {
  return (req.page - 1) * req.size;
}

export function page<T>(items: T[], req: PageRequest, total: number): Page<T> {
  return { items, page: { page: req.page, size: req.size, total, hasNext: req.page * req.size < total } };
}
