/**
 * Table edits behind the admin API's write endpoints (controller.edit runs them on a copy of the table in force,
 * then validates, writes, applies and audits the result as one change). Each builder lists what it changed;
 * refusals are AppErrors (404 unknown item, 409 upstream still referenced, 400 invalid desired table).
 */
import type { Edit } from '../controller.ts';
import { diffTables, type TableDiff } from '../table/diff.ts';
import { displayRoute, validateTable, type Mode, type RouteTable } from '../table/schema.ts';
import { AppError } from '../../lib/errors.ts';

export type Builder = (doc: RouteTable, live: RouteTable) => Edit[];

/** Adds the route, or replaces the one with this id in place (its position, and so its match order, is kept). */
export function putRoute(id: string, body: unknown): Builder {
  return (doc, live) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('VALIDATION_FAILED', '(body): must be a route object');
    const given = (body as { id?: unknown }).id;
    if (given !== undefined && given !== id) throw new AppError('VALIDATION_FAILED', `id: "${String(given)}" differs from the id in the URL ("${id}")`);
    const route = { ...(body as Record<string, unknown>), id } as unknown as RouteTable['routes'][number];
    const idx = doc.routes.findIndex((r) => r.id === id);
    const before = idx === -1 ? null : displayRoute(live.routes[idx]);
    if (idx === -1) doc.routes.push(route);
    else doc.routes[idx] = route;
    return [{ action: 'route-put', target: id, before }];
  };
}

export function deleteRoute(id: string): Builder {
  return (doc, live) => {
    const idx = doc.routes.findIndex((r) => r.id === id);
    if (idx === -1) throw new AppError('NOT_FOUND', `no route with id "${id}"`);
    doc.routes.splice(idx, 1);
    return [{ action: 'route-delete', target: id, before: displayRoute(live.routes[idx]), after: null }];
  };
}

export function putUpstream(name: string, body: unknown): Builder {
  return (doc, live) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AppError('VALIDATION_FAILED', '(body): must be an upstream object, e.g. {"url": "http://svc:3000"}');
    doc.upstreams[name] = body as RouteTable['upstreams'][string];
    return [{ action: 'upstream-put', target: `upstream:${name}`, before: live.upstreams[name] ?? null }];
  };
}

/** Who still uses an upstream: route ids (as legacy or service) and fallback rules. */
export function upstreamUsers(table: RouteTable, name: string): string[] {
  const users = table.routes.filter((r) => r.legacy === name || r.service === name).map((r) => `route ${r.id}`);
  table.fallbacks.forEach((f, i) => {
    if (f.upstream === name) users.push(`fallbacks.${i} (${f.host ?? ''}${f.prefix ?? ''})`);
  });
  return users;
}

export function deleteUpstream(name: string): Builder {
  return (doc, live) => {
    if (!(name in doc.upstreams)) throw new AppError('NOT_FOUND', `no upstream named "${name}"`);
    const users = upstreamUsers(doc, name);
    if (users.length) throw new AppError('CONFLICT', `upstream "${name}" is still used by ${users.join(', ')}: point them elsewhere or remove them first`, { details: users });
    delete doc.upstreams[name];
    return [{ action: 'upstream-delete', target: `upstream:${name}`, before: live.upstreams[name], after: null }];
  };
}

export interface Selector {
  id?: string;
  tag?: string;
  prefix?: string;
}

export function selectRoutes(table: RouteTable, sel: Selector): RouteTable['routes'] {
  return table.routes.filter((r) => (sel.id === undefined || r.id === sel.id) && (sel.tag === undefined || (r.tags ?? []).includes(sel.tag)) &&
    (sel.prefix === undefined || r.id.startsWith(sel.prefix)));
}

/** Sets the mode of every selected route (all or none: one invalid route refuses the whole change). */
export function setModes(sel: Selector, mode: Mode, percent: number | undefined): Builder {
  return (doc) => {
    const chosen = new Set(selectRoutes(doc, sel).map((r) => r.id));
    if (chosen.size === 0) throw new AppError('NOT_FOUND', `no route matches ${JSON.stringify(sel)}`);
    const edits: Edit[] = [];
    doc.routes.forEach((r, i) => {
      if (!chosen.has(r.id)) return;
      const p = percent ?? (mode === 'canary' ? r.percent : mode === 'service' ? 100 : 0);
      if (r.mode === mode && r.percent === p) return;
      edits.push({ action: 'set', target: r.id, from: { mode: r.mode, percent: r.percent }, to: { mode, percent: p } });
      doc.routes[i] = { ...r, mode, percent: p };
    });
    return edits;
  };
}

/**
 * Replaces the table with a desired one (its `version` is ignored: the change gets the next one). Validated first,
 * with every error listed; `diff` receives the field-level difference (also for a dry run).
 */
export function applyTable(desired: unknown, out: { diff?: TableDiff }): Builder {
  return (doc, live) => {
    if (typeof desired !== 'object' || desired === null || Array.isArray(desired)) throw new AppError('VALIDATION_FAILED', '(body): must be a route table document');
    const checked = validateTable({ ...(desired as Record<string, unknown>), version: live.version });
    if (!checked.ok) throw new AppError('VALIDATION_FAILED', checked.errors.join('; '), { details: checked.errors });
    const diff = diffTables(live, checked.table);
    out.diff = diff;
    if (diff.empty) return [];
    const { version: _v, ...rest } = checked.table;
    Object.assign(doc, rest);
    return [{ action: 'apply', target: '(table)', before: { version: live.version }, after: { version: live.version + 1 }, diff }];
  };
}
