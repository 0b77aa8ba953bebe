/**
 * Splits a service's tables out of the legacy database with the split tool's
 * phase modules (scripts/split/lib/commands.ts), in-process, while the
 * clients keep working: plan → start (copy + live capture) → verify → cutover.
 * Evidence: plan, rows copied, changes applied, rows compared, differences,
 * write-freeze duration, ownership after the flip.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { need, StepUnavailable, type DemoContext } from '../context.ts';
import { legacySources, seamFiles } from '../seam.ts';
import type { SplitRecord } from '../evidence.ts';

type Commands = typeof import('../../split/lib/commands.ts');
type ContextMod = typeof import('../../split/lib/context.ts');
type ManifestMod = typeof import('../../split/lib/manifest.ts');

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface SplitHandle {
  service: string;
  open(): Promise<import('../../split/lib/context.ts').SplitContext>;
  commands: Commands;
  contextMod: ContextMod;
}

async function splitTool(ctx: DemoContext, service: string): Promise<SplitHandle> {
  const why = 'the split tool is missing';
  const manifestMod = { parseManifest: await need<ManifestMod['parseManifest']>('scripts/split/lib/manifest.ts', 'parseManifest', why), resolveService: await need<ManifestMod['resolveService']>('scripts/split/lib/manifest.ts', 'resolveService', why) };
  const contextMod = (await import('../../split/lib/context.ts')) as ContextMod;
  const commands = (await import('../../split/lib/commands.ts')) as Commands;
  const raw = JSON.parse(await readFile(new URL('../../split/manifest.json', import.meta.url), 'utf8')) as { source: string; services: Record<string, { target: string }> };
  raw.source = ctx.env.legacyDsn;
  for (const [name, spec] of Object.entries(raw.services)) {
    const dsn = (ctx.env.serviceDsns as Record<string, string>)[name];
    if (!dsn) throw new Error(`split manifest service ${name} has no demo database`);
    spec.target = dsn;
  }
  const manifest = manifestMod.parseManifest(raw, fileURLToPath(new URL('../../split/', import.meta.url)));
  const resolved = manifestMod.resolveService(manifest, service);
  return {
    service, commands, contextMod,
    open: async () => contextMod.openContext({
      service: resolved, redisUrl: ctx.env.redisUrl, ownershipChannel: ctx.env.ownershipChannel, actor: 'demo',
      log: ctx.stack.logger.child({ component: `split-${service}` }),
    }),
  };
}

async function withCtx<T>(h: SplitHandle, fn: (c: import('../../split/lib/context.ts').SplitContext) => Promise<T>): Promise<T> {
  const c = await h.open();
  try {
    return await fn(c);
  } finally {
    await h.contextMod.closeContext(c);
  }
}

/** Runs verify and returns the numbers the summary needs. */
async function verifyNow(ctx: DemoContext, h: SplitHandle, label: string) {
  const v = await withCtx(h, (c) => h.commands.verifyCommand(c, { restart: true }));
  const rows = Object.values(v.tables).reduce((n, t) => n + t.rows, 0);
  const chunks = Object.values(v.tables).reduce((n, t) => n + t.chunks, 0);
  const mism = Object.values(v.tables).reduce((n, t) => n + t.mismatchedChunks, 0);
  ctx.say(`verify (${label}, ${v.direction}): ${rows} rows in ${chunks} chunks compared by checksum on both sides, ${mism} chunk(s) re-diffed row by row, ${v.differences.length} differences, ${v.inFlight} rows still changing (re-checked), ${v.ok ? 'OK' : 'NOT OK'}${v.rowsPerSecond ? `, ${Math.round(v.rowsPerSecond)} rows/s` : ''}`);
  for (const d of v.differences.slice(0, 5)) ctx.say(`  difference: ${d.table} pk ${d.pk} ${d.kind}${d.columns ? ` (${d.columns.join(',')})` : ''}`);
  return { rows, differences: v.differences.length, inFlight: v.inFlight, ok: v.ok === true };
}

/**
 * Legacy write paths that reach another service's tables and are not behind the seam, and the taken-over
 * routes that carry them (the service does the same write through the owner's Thrift API): before a cutover
 * fences those tables, these routes must be on their service. Keyed by the file split-db's plan reports.
 */
export const LEGACY_WRITERS: Record<string, { routes: string[]; why: string }> = {
  'legacy/models/likes.ts': { routes: ['me.likes.add', 'me.likes.remove'], why: 'legacy likes update products.like_count directly; the user service does it through the product service' },
  'legacy/models/bookmarks.ts': { routes: ['me.bookmarks.add', 'me.bookmarks.remove'], why: 'legacy bookmarks update shops.follower_count directly; the user service does it through the shop service' },
};

/** Moves to `service` the routes whose legacy code (per the plan) writes the tables about to be fenced. */
async function movePrerequisiteRoutes(ctx: DemoContext, planFiles: string[]): Promise<void> {
  const f = ctx.stack.facade;
  if (!f) return;
  for (const file of new Set(planFiles)) {
    const w = LEGACY_WRITERS[file];
    if (!w) continue;
    const pending: string[] = [];
    for (const id of w.routes) {
      const r = f.routes.routes?.find((x) => x.id === id);
      if (!r?.service) continue;
      const live = await f.admin.route(id);
      if (live.mode !== 'service') pending.push(id);
    }
    if (!pending.length) continue;
    for (const id of pending) await f.admin.set(id, 'service', undefined, `demo: before the split (${file})`);
    ctx.say(`before cutover: ${pending.join(', ')} → service, because plan lists ${file} (${w.why})`);
    await ctx.dwell(Math.min(ctx.opts.dwellMs, 2000));
  }
}

/** After a cutover: rollback (reverse catch-up, freeze, flip back), verify, cutover again. */
export async function rollbackAndForward(ctx: DemoContext, service: string): Promise<void> {
  const h = await splitTool(ctx, service);
  const services = ctx.shared.services as { registry: import('../../../lib/ownership/index.ts').OwnershipRegistry } | undefined;
  const back = await withCtx(h, (c) => h.commands.rollbackCommand(c));
  if (!('freezeMs' in back)) throw new Error(`rollback of ${service} did not switch (${JSON.stringify(back)})`);
  await services?.registry.refresh();
  ctx.shared[`cutover:${service}`] = false;
  ctx.say(`split rollback ${service}: write freeze ${back.freezeMs} ms; ownership ${back.owner}/${back.database}`);
  await ctx.dwell();
  const v = await verifyNow(ctx, h, 'after rollback');
  const sw = await withCtx(h, (c) => h.commands.cutoverCommand(c));
  if (!('freezeMs' in sw)) throw new Error('unexpected dry run');
  await services?.registry.refresh();
  ctx.shared[`cutover:${service}`] = true;
  ctx.say(`split cutover ${service} again: write freeze ${sw.freezeMs} ms; ownership ${sw.owner}/${sw.database}`);
  const tables = ctx.evidence.splits.find((x) => x.service === service)?.tables ?? [];
  ctx.evidence.splits.push({ service, action: 'rollback', tables, rowsCopied: 0, changesApplied: 0, rowsCompared: v.rows, differences: v.differences, inFlight: v.inFlight, freezeMs: back.freezeMs });
  ctx.evidence.splits.push({ service, action: 'cutover', tables, rowsCopied: 0, changesApplied: 0, rowsCompared: 0, differences: 0, inFlight: 0, freezeMs: sw.freezeMs });
  await ctx.dwell();
}

/** plan → start → verify → cutover (when legacy can live with it). Returns whether the cutover happened. */
export async function splitService(ctx: DemoContext, service: string, opts: { forceCutover?: boolean } = {}): Promise<{ cutover: boolean; reason?: string }> {
  const h = await splitTool(ctx, service);
  const plan = await withCtx(h, (c) => h.commands.planCommand(c));
  ctx.say(`plan ${service}: tables ${plan.tables.map((t) => `${t.name} (~${t.rowsEstimate} rows)`).join(', ')}; crossing FKs ${plan.crossingForeignKeys.map((f) => `${f.table}.${f.constraint}`).join(', ') || 'none'}; copy mode ${plan.copyMode}`);
  const jobHits = plan.code.filter((x) => /(^|\/)jobs?\//.test(x.file)).length;
  ctx.say(`plan ${service}: legacy code touching these tables: ${plan.code.length} places (${plan.code.filter((x) => x.throughSeam).length} in data-access code that switches to Thrift, ${jobHits} in jobs); blockers: ${plan.blockers.length ? plan.blockers.join('; ') : 'none'}`);
  if (plan.blockers.length) throw new StepUnavailable(`split-db plan for ${service} has blockers: ${plan.blockers.join('; ')}`);

  const t0 = performance.now();
  const started = await withCtx(h, (c) => h.commands.startCommand(c, {}));
  if ('dryRun' in started) throw new Error('unexpected dry run');
  const st = started.state;
  const rowsCopied = Object.values(st.tables).reduce((n, t) => n + t.rows, 0);
  ctx.say(`start ${service}: capture on, then copied ${rowsCopied} rows in ${Object.values(st.tables).reduce((n, t) => n + t.chunks, 0)} chunks (${Object.entries(st.tables).map(([t, p]) => `${t} ${p.rows}`).join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${st.applied.forward} live changes applied; backlog ${started.backlog}`);
  await ctx.dwell(Math.min(ctx.opts.dwellMs, 3000));
  const v = await verifyNow(ctx, h, 'before cutover, clients writing');
  const record: SplitRecord = { service, action: 'cutover', tables: Object.keys(st.tables), rowsCopied, changesApplied: st.applied.forward, rowsCompared: v.rows, differences: v.differences, inFlight: v.inFlight, freezeMs: NaN };
  ctx.evidence.splits.push(record);
  if (!v.ok) return { cutover: false, reason: `verify found ${v.differences} differences` };

  await movePrerequisiteRoutes(ctx, plan.code.map((x) => x.file));

  const seam = seamFiles(await legacySources(REPO_ROOT));
  if (!seam.length && !opts.forceCutover) {
    const writers = [...new Set(plan.code.map((x) => x.file))].slice(0, 6).join(', ');
    await withCtx(h, (c) => h.commands.cancelCommand(c, {}));
    ctx.say(`cutover ${service}: NOT RUN — legacy code still reaches these tables directly (${writers}, …) and no legacy module goes through the ownership registry yet; a cutover would fence legacy's writes (admin bulk upload, merchant edits stay on legacy) and leave its reads stale. Split cancelled (capture removed), legacy stays live.`);
    return { cutover: false, reason: `cutover needs the legacy anti-corruption seam (legacy/models behind the ownership registry), which does not exist yet; plan, copy and verify ran (${v.rows} rows compared, ${v.differences} differences)` };
  }
  const sw = await withCtx(h, (c) => h.commands.cutoverCommand(c));
  if (!('freezeMs' in sw)) throw new Error(`cutover of ${service} did not switch (${JSON.stringify(sw)})`);
  record.freezeMs = sw.freezeMs;
  const services = ctx.shared.services as { registry: import('../../../lib/ownership/index.ts').OwnershipRegistry } | undefined;
  if (services) await services.registry.refresh();
  const rec = services?.registry.get(service as 'product');
  ctx.shared[`cutover:${service}`] = true;
  ctx.say(`cutover ${service}: write freeze ${sw.freezeMs} ms; ownership now ${sw.owner}/${sw.database}${rec ? ` (services see ${rec.owner}/${rec.database}, v${rec.version})` : ''}`);
  await ctx.dwell();
  return { cutover: true };
}
