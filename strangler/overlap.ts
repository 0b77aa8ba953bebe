/**
 * Set-overlap comparison of one list inside two JSON answers (pure), for routes
 * whose new implementation may legitimately rank differently and find more
 * (search). Declared per route as `shadow.overlap` (docs/facade.md):
 *
 * - the keys of legacy's first `top` items are looked for among the service's
 *   first `within` items (default: the whole list for `recall`, `top` for
 *   `jaccard`);
 * - `recall` = |L ∩ S| / |L| (how much of what legacy showed the service shows
 *   too; extra service hits and any order within the window cost nothing);
 *   `jaccard` = |L ∩ S| / |L ∪ S| (symmetric: extra hits count against it).
 *   Two empty sides score 1; the list matches when the score ≥ `min`;
 * - items present in both (by key, anywhere in either list) must be equal on
 *   `fields` (default every field left after `shadow.ignore`);
 * - an optional count (`total.path`) may differ from legacy's by `ratio` of
 *   it, and be any amount larger with `allowMore`;
 * - with `judge: "complete"` the score is held against the answer only when
 *   one side's list is its whole result (its count ≤ its list's length). When
 *   both are cut by paging and rank by different criteria, two correct answers
 *   can show different slices of one result set: the score is then reported
 *   (`judged: false`) and the count carries the judgement.
 *
 * The list and the count are then removed from both answers, so the generic
 * diff compares the rest of the body (paging shape, other fields) exactly.
 */
import type { OverlapSpec } from './table/schema.ts';

export interface TotalFigure {
  path: string;
  legacy: number | null;
  service: number | null;
  /** service / legacy (null when legacy's is 0 or either is missing) */
  ratio: number | null;
  pass: boolean;
}

export interface OverlapFigure {
  path: string;
  measure: OverlapSpec['measure'];
  /** the measure, 0..1, rounded to 3 decimals */
  value: number;
  min: number;
  /** false when `judge: "complete"` and neither list was its whole result: the score is reported, not held against the answer */
  judged: boolean;
  /** judged and the score ≥ min, or not judged */
  pass: boolean;
  /** keys on each side that took part (legacy's top, the service's window) and how many were in both */
  legacy: number;
  service: number;
  common: number;
  /** up to MAX_LISTED of legacy's top keys the service's window lacks */
  missing: (string | number | boolean)[];
  /** items present in both lists whose compared fields differ, of those compared */
  itemsCompared: number;
  itemsDiffering: number;
  total?: TotalFigure;
}

export const MAX_LISTED = 5;

type Json = unknown;

function getAt(doc: Json, parts: string[]): { found: boolean; value: Json } {
  let node = doc;
  for (const p of parts) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(p in (node as Record<string, unknown>))) return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[p];
  }
  return { found: true, value: node };
}

function deleteAt(doc: Json, parts: string[]): void {
  const parent = getAt(doc, parts.slice(0, -1));
  if (parent.found && parent.value !== null && typeof parent.value === 'object' && !Array.isArray(parent.value)) {
    delete (parent.value as Record<string, unknown>)[parts[parts.length - 1]];
  }
}

function keyOf(item: Json, key: string): string | number | boolean | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const v = (item as Record<string, unknown>)[key];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/** Keys in list order, first occurrence wins; `bad` is set when an item has no scalar key. */
function keyed(list: Json[], key: string): { keys: (string | number | boolean)[]; byKey: Map<string, Json>; bad: boolean } {
  const keys: (string | number | boolean)[] = [];
  const byKey = new Map<string, Json>();
  let bad = false;
  for (const item of list) {
    const k = keyOf(item, key);
    if (k === undefined) {
      bad = true;
      continue;
    }
    const id = JSON.stringify(k);
    if (byKey.has(id)) continue;
    byKey.set(id, item);
    keys.push(k);
  }
  return { keys, byKey, bad };
}

function pick(item: Json, fields: string[] | undefined): Json {
  if (fields === undefined || item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  const o = item as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in o) out[f] = o[f];
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function totalFigure(spec: NonNullable<OverlapSpec['total']>, a: Json, b: Json): TotalFigure {
  const parts = spec.path.split('.');
  const num = (d: Json) => {
    const v = getAt(d, parts).value;
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const l = num(a);
  const s = num(b);
  if (l === null || s === null) return { path: spec.path, legacy: l, service: s, ratio: null, pass: l === null && s === null };
  const lower = s >= l * (1 - spec.ratio);
  const upper = spec.allowMore || s <= l * (1 + spec.ratio);
  return { path: spec.path, legacy: l, service: s, ratio: l === 0 ? null : round3(s / l), pass: lower && upper };
}

/**
 * Compares the list (and count) declared by `spec` in two normalised JSON documents, pushes difference paths to
 * `out` (via `diff` for item fields) and removes the list and the count from both documents. Returns null when
 * neither document has the list (an error answer, say).
 */
export function compareOverlap(spec: OverlapSpec, a: Json, b: Json, out: Set<string>,
  diff: (x: Json, y: Json, path: string, into: string[]) => void): OverlapFigure | null {
  const parts = spec.path.split('.');
  const la = getAt(a, parts);
  const lb = getAt(b, parts);
  const total = spec.total ? totalFigure(spec.total, a, b) : undefined;
  let figure: OverlapFigure | null = null;
  if (la.found || lb.found) {
    if (!Array.isArray(la.value) || !Array.isArray(lb.value)) out.add(`body.${spec.path}`);
    else {
      // a list is its whole result when its count says there is no more of it
      const whole = (n: number | null | undefined, list: Json[]) => typeof n === 'number' && n <= list.length;
      const judged = spec.judge === 'always' || whole(total?.legacy, la.value) || whole(total?.service, lb.value);
      figure = listFigure(spec, la.value, lb.value, judged, out, diff);
    }
    deleteAt(a, parts);
    deleteAt(b, parts);
  }
  if (spec.total && total) {
    if (!total.pass) out.add(`total:body.${spec.total.path}`);
    if (figure) figure.total = total;
    deleteAt(a, spec.total.path.split('.'));
    deleteAt(b, spec.total.path.split('.'));
  }
  return figure;
}

function listFigure(spec: OverlapSpec, listA: Json[], listB: Json[], judged: boolean, out: Set<string>,
  diff: (x: Json, y: Json, path: string, into: string[]) => void): OverlapFigure {
  const A = keyed(listA, spec.key);
  const B = keyed(listB, spec.key);
  if (A.bad || B.bad) out.add(`body.${spec.path}.*.${spec.key}`);
  const within = spec.within ?? (spec.measure === 'recall' ? Number.MAX_SAFE_INTEGER : spec.top);
  const topA = A.keys.slice(0, spec.top);
  const windowB = new Set(B.keys.slice(0, within).map((k) => JSON.stringify(k)));
  const found = topA.filter((k) => windowB.has(JSON.stringify(k)));
  const common = found.length;
  let value: number;
  if (spec.measure === 'recall') value = topA.length === 0 ? 1 : common / topA.length;
  else {
    const union = new Set([...topA.map((k) => JSON.stringify(k)), ...windowB]).size;
    value = union === 0 ? 1 : common / union;
  }
  value = round3(value);
  const pass = !judged || value >= spec.min;
  if (!pass) out.add(`overlap:body.${spec.path}`);
  const foundSet = new Set(found.map((k) => JSON.stringify(k)));
  const missing = topA.filter((k) => !foundSet.has(JSON.stringify(k))).slice(0, MAX_LISTED);

  // every item both answers carry, wherever it is ranked, must be presented the same way
  let itemsCompared = 0;
  let itemsDiffering = 0;
  for (const [id, itemA] of A.byKey) {
    const itemB = B.byKey.get(id);
    if (itemB === undefined) continue;
    itemsCompared++;
    const d: string[] = [];
    diff(pick(itemA, spec.fields), pick(itemB, spec.fields), `body.${spec.path}.*`, d);
    if (d.length) {
      itemsDiffering++;
      for (const p of d) out.add(p);
    }
  }
  return {
    path: spec.path, measure: spec.measure, value, min: spec.min, judged, pass, legacy: topA.length, service: Math.min(within, B.keys.length),
    common, missing, itemsCompared, itemsDiffering,
  };
}
