import type { Db } from './db.ts';

export async function createCategory(db: Db, input: { name: string; slug: string; parentId?: number | null }): Promise<number> {
  const [id] = await db('categories').insert({ name: input.name, slug: input.slug, parent_id: input.parentId ?? null });
  return Number(id);
}

/** Which of the given ids exist. */
export async function existingCategoryIds(db: Db, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db('categories').whereIn('id', [...new Set(ids)]).select('id');
  return new Set(rows.map((r: { id: number }) => Number(r.id)));
}
