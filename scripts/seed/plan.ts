/**
 * How many rows of each table a scale produces. Pure: the generator, the
 * report and the tests all derive counts from here.
 *
 * scale 1 (the `npm start` default): 20 shops, 2,000 products, 1,000 users,
 * 5,000 likes, 20,000 logs. scale 500: ~447 shops, 1 M products, 200.6 k users,
 * ~2 M likes, 5.01 M logs. Below 1 everything shrinks linearly (tests use 0.05).
 */
import { CATEGORY_TREE } from './vocab.ts';

export const DAY_MS = 86_400_000;
export const DEFAULT_SEED = 20_150_101;

export interface SeedOptions {
  scale: number;
  seed: number;
  /** Time the data ends at (ms since epoch): logs cover the 30 days before it. Same seed + scale + anchor ⇒ same rows. */
  anchorMs: number;
}

export interface SeedCounts {
  categories: number;
  shops: number;
  merchants: number;
  admins: number;
  users: number;
  products: number;
  /** Target like total; the exact total is the sum of per-user counts (see generate.ts likesOfUser). */
  likesTarget: number;
  bookmarksPerUserMax: number;
  logs: number;
}

export const LOG_WINDOW_DAYS = 30;

/** Linear up to scale 1, then a gentler slope for the people-and-event tables. */
function piecewise(scale: number, atOne: number, slopeAbove: number): number {
  return scale <= 1 ? atOne * scale : atOne + slopeAbove * (scale - 1);
}

export function planCounts(scale: number): SeedCounts {
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`scale must be a positive number, got ${scale}`);
  const categories = CATEGORY_TREE.reduce((n, c) => n + 1 + c.children.length, 0);
  const shops = Math.max(3, Math.round(20 * Math.sqrt(scale)));
  return {
    categories,
    shops,
    merchants: shops,
    admins: 2,
    users: Math.max(5, Math.round(piecewise(scale, 1000, 400))),
    products: Math.max(10, Math.round(2000 * scale)),
    likesTarget: Math.max(10, Math.round(piecewise(scale, 5000, 4000))),
    bookmarksPerUserMax: Math.min(3, shops),
    logs: Math.max(50, Math.round(piecewise(scale, 20000, 10000))),
  };
}
