/**
 * Field-level difference between two validated route tables (pure), like `kubectl apply --dry-run=server`'s diff:
 * routes and upstreams added, removed and changed (each change as `field: before → after`), plus options and
 * fallbacks. Both tables are compared in their parsed form (defaults filled in), so a field left out of a file
 * and the same field written with its default value are not a change. `version` is never a difference.
 */
import { displayRoute, type RouteTable } from './schema.ts';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface ItemChanges {
  added: string[];
  removed: string[];
  changed: { id: string; fields: FieldChange[] }[];
}

export interface TableDiff {
  routes: ItemChanges;
  upstreams: ItemChanges;
  /** Option fields that changed (`options.<field>`). */
  options: FieldChange[];
  /** The fallback list, when it changed (compared as a whole: order matters). */
  fallbacks: FieldChange | null;
  /** Route ids in the desired table in another order than in the live one (only when the sets are the same). */
  reordered: boolean;
  empty: boolean;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Differing leaf fields between two values; arrays are compared as whole values. */
export function fieldChanges(before: unknown, after: unknown, prefix = ''): FieldChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const out: FieldChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) out.push(...fieldChanges(before[k], after[k], prefix ? `${prefix}.${k}` : k));
    return out;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ field: prefix || '(value)', before: before ?? null, after: after ?? null }];
}

function items(before: Map<string, unknown>, after: Map<string, unknown>): ItemChanges {
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed: ItemChanges['changed'] = [];
  for (const [id, a] of after) {
    if (!before.has(id)) continue;
    const fields = fieldChanges(before.get(id), a);
    if (fields.length) changed.push({ id, fields });
  }
  return { added, removed, changed };
}

export function diffTables(live: RouteTable, desired: RouteTable): TableDiff {
  // routes compared as shown (body paths as the reports print them), so the diff speaks the table's own syntax
  const routes = items(new Map(live.routes.map((r) => [r.id, displayRoute(r)])), new Map(desired.routes.map((r) => [r.id, displayRoute(r)])));
  const upstreams = items(new Map(Object.entries(live.upstreams)), new Map(Object.entries(desired.upstreams)));
  const options = fieldChanges(live.options, desired.options, 'options');
  const fallbacks = JSON.stringify(live.fallbacks) === JSON.stringify(desired.fallbacks) ? null
    : { field: 'fallbacks', before: live.fallbacks, after: desired.fallbacks };
  const liveIds = live.routes.map((r) => r.id).join('\n');
  const wantIds = desired.routes.map((r) => r.id).join('\n');
  const reordered = liveIds !== wantIds && !routes.added.length && !routes.removed.length;
  const empty = !routes.added.length && !routes.removed.length && !routes.changed.length && !upstreams.added.length &&
    !upstreams.removed.length && !upstreams.changed.length && !options.length && fallbacks === null && !reordered;
  return { routes, upstreams, options, fallbacks, reordered, empty };
}
