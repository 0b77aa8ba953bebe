/**
 * Daily popularity ranking. Reads logs, likes, products and shops together in
 * SQL — the kind of cross-table job that later stands in the way of a
 * database split — and writes products.popularity_score.
 *
 * Only active products of open shops with an active contract score; every
 * other product ends at 0. Writes touch only changed rows and keep
 * products.updated_at as it was (a ranking is not an edit).
 */
import type { Knex } from 'knex';
import type { PopularityResult } from '../../lib/contract/jobs/results.ts';
import { addDays, dayStart } from '../../lib/contract/jobs/days.ts';
import { DEFAULT_POPULARITY, popularityScores, scoreChanges, type EventBucket, type EventType, type PopularityParams } from '../../lib/contract/jobs/scoring.ts';

export const UPDATE_BATCH = 500;
/**
 * The GROUP BY below builds a temporary table of (product, type, day) groups
 * (1.6 M at seed scale 500); with MariaDB's 16 MB default it spills to disk
 * and the query takes 2–3 times longer. The job's own session gets more room.
 */
export const JOB_TMP_TABLE_BYTES = 256 * 1024 * 1024;

export type { PopularityResult } from '../../lib/contract/jobs/results.ts';

const ELIGIBLE = "p.status = 'active' AND s.status = 'open' AND s.contract_status = 'active'";
// STRAIGHT_JOIN pins the event table as the driving one. Left alone, MariaDB starts from the few eligible shops
// and walks every product and its likes by index: measured at seed scale 500 (2 M likes, 1 M products) that
// likes query ran for more than 4 minutes, against 85 s pinned, on a loaded 2-core machine.

/** Event counts per (product, type, age) in the window ending with `day`, eligible products only. */
export async function loadBuckets(knex: Knex, day: string, windowDays: number): Promise<EventBucket[]> {
  // one read-only transaction: both reads see the same snapshot, on one connection whose session we tune
  return knex.transaction((trx) => readBuckets(trx, day, windowDays), { readOnly: true });
}

async function readBuckets(knex: Knex.Transaction, day: string, windowDays: number): Promise<EventBucket[]> {
  const from = dayStart(addDays(day, 1 - windowDays));
  const to = dayStart(addDays(day, 1));
  await knex.raw('SET SESSION tmp_table_size = ?, max_heap_table_size = ?', [JOB_TMP_TABLE_BYTES, JOB_TMP_TABLE_BYTES]);
  const [logRows] = (await knex.raw(
    `SELECT STRAIGHT_JOIN l.product_id AS productId, l.type AS type, DATEDIFF(?, l.created_at) AS ageDays, COUNT(*) AS count
       FROM logs l
       JOIN products p ON p.id = l.product_id
       JOIN shops s ON s.id = p.shop_id
      WHERE l.type IN ('view', 'click') AND l.created_at >= ? AND l.created_at < ? AND ${ELIGIBLE}
      GROUP BY l.product_id, l.type, ageDays`, [day, from, to])) as [Record<string, unknown>[]];
  const [likeRows] = (await knex.raw(
    `SELECT STRAIGHT_JOIN k.product_id AS productId, 'like' AS type, DATEDIFF(?, k.created_at) AS ageDays, COUNT(*) AS count
       FROM likes k
       JOIN products p ON p.id = k.product_id
       JOIN shops s ON s.id = p.shop_id
      WHERE k.created_at >= ? AND k.created_at < ? AND ${ELIGIBLE}
      GROUP BY k.product_id, ageDays`, [day, from, to])) as [Record<string, unknown>[]];
  return [...logRows, ...likeRows].map((r) => ({
    productId: Number(r.productId), type: String(r.type) as EventType, ageDays: Number(r.ageDays), count: Number(r.count),
  }));
}

export interface SqlRunOptions {
  /**
   * Called after the reads, before the first write; throwing aborts the run
   * with nothing written (legacy/jobs/seam.ts: the tables were split meanwhile).
   */
  beforeWrite?: () => Promise<void>;
}

/** The scores as of `day`, computed from the join, nothing written. */
export async function computePopularity(knex: Knex, opts: { day: string; params?: PopularityParams }): Promise<{ buckets: EventBucket[]; scores: Map<number, number> }> {
  const params = opts.params ?? DEFAULT_POPULARITY;
  const buckets = await loadBuckets(knex, opts.day, params.windowDays);
  return { buckets, scores: popularityScores(buckets, params) };
}

export async function runPopularity(knex: Knex, opts: { day: string; params?: PopularityParams } & SqlRunOptions): Promise<PopularityResult> {
  const t0 = performance.now();
  const { buckets, scores: next } = await computePopularity(knex, opts);
  const [storedRows] = (await knex.raw('SELECT id, popularity_score AS score FROM products WHERE popularity_score > 0')) as [{ id: number; score: number }[]];
  const stored = new Map(storedRows.map((r) => [Number(r.id), Number(r.score)]));
  const { set, zero } = scoreChanges(next, stored);
  await opts.beforeWrite?.();
  for (let i = 0; i < zero.length; i += UPDATE_BATCH) {
    const ids = zero.slice(i, i + UPDATE_BATCH);
    await knex.raw(`UPDATE products SET popularity_score = 0, updated_at = updated_at WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
  }
  for (let i = 0; i < set.length; i += UPDATE_BATCH) {
    const batch = set.slice(i, i + UPDATE_BATCH);
    const cases = batch.map(() => 'WHEN ? THEN ?').join(' ');
    await knex.raw(
      `UPDATE products SET popularity_score = CASE id ${cases} END, updated_at = updated_at WHERE id IN (${batch.map(() => '?').join(',')})`,
      [...batch.flat(), ...batch.map(([id]) => id)]);
  }
  return {
    day: opts.day, events: buckets.reduce((n, b) => n + b.count, 0), scored: next.size, updated: set.length, zeroed: zero.length,
    ms: Math.round(performance.now() - t0),
  };
}
