import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { formatZodIssues } from '../../../lib/config.ts';
import { parseMysqlDsn } from '../../../lib/db.ts';
import { maskDsn } from '../../../lib/mask.ts';
import type { Domain } from '../../../lib/ownership/types.ts';
import { SplitError } from './errors.ts';

const ident = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be a plain identifier (letters, digits, _; at most 64)');
const dsn = z.string().refine((s) => {
  try {
    return !!parseMysqlDsn(s).database;
  } catch {
    return false;
  }
}, 'must be a mysql:// DSN naming a database');

const crossingDecision = z.object({
  action: z.literal('drop', { message: 'only "drop" is supported (the target gets no FK; integrity is kept by the application)' }),
  note: z.string().max(500).optional(),
});

/** Domain names are the adopter's (the ownership registry row the cutover flips). */
export const DOMAIN_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
// Cast at the manifest boundary: lib/ownership's Domain type still lists the demo's domains; the registry stores any name.
const domain = z.string().regex(DOMAIN_PATTERN, 'must be lower-case letters, digits, _ or - (starting with a letter; at most 64)').transform((d) => d as Domain);

/** Where the target schema comes from (default: the source's own DDL of the moved tables). */
const schemaSpec = z.union([
  z.object({ from: z.literal('source') }).strict(),
  z.object({
    /** A knex migrations folder anywhere on disk (.js/.mjs/.cjs/.ts), relative to the manifest. */
    migrations: z.string().min(1),
    /** The target's own migrations table. */
    table: ident.default('knex_migrations'),
  }).strict(),
  z.object({ sql: z.string().min(1) }).strict(),
]);

const serviceSpec = z.object({
  domain,
  target: dsn,
  /** A folder of this repository's migrations/ (the demo's services); see `schema` for anyone else. */
  migrations: ident.optional(),
  schema: schemaSpec.optional(),
  tables: z.array(ident).min(1),
  crossingForeignKeys: z.record(z.string().regex(/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/, 'key must be <table>.<constraint>'), crossingDecision).default({}),
  /** Application triggers on moved tables the DBA accepts firing for the tool's writes too (see the app-triggers check). */
  acceptTriggers: z.array(z.string().min(1).max(64)).default([]),
}).refine((s) => !(s.migrations && s.schema), { message: 'give either migrations or schema, not both', path: ['schema'] });

const codePath = z.string().min(1).max(4096);

export const manifestSchema = z.object({
  version: z.literal(1),
  source: dsn,
  /** Database holding service_ownership; defaults to the source. */
  ownership: dsn.optional(),
  /** Folders (or files) of the application's code that plan reads, relative to the manifest file; `--code` replaces them. */
  code: z.array(codePath).default([]),
  /** What counts as "already goes through the seam": calls through identifiers imported from `imports`, and code inside `paths`. */
  seam: z.object({
    imports: z.array(codePath).default([]),
    paths: z.array(codePath).default([]),
  }).strict().default({ imports: [], paths: [] }),
  services: z.record(ident, serviceSpec),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ServiceSpec = z.output<typeof serviceSpec>;

/** A seam import naming a file (./x, ../x, /x) is a path; anything else is a module name as imported. */
const isPathLike = (m: string) => m.startsWith('.') || m.startsWith('/');

/**
 * Validates a manifest; `baseDir` (the manifest file's folder; default the
 * current directory) makes `code`, `seam.paths` and file-like `seam.imports`
 * absolute.
 */
export function parseManifest(raw: unknown, baseDir = process.cwd()): Manifest {
  const r = manifestSchema.safeParse(raw);
  if (!r.success) throw new SplitError('BAD_MANIFEST', `invalid manifest: ${formatZodIssues(r.error).join('; ')}`);
  const owners = new Map<string, string>();
  for (const [svc, spec] of Object.entries(r.data.services)) {
    for (const t of spec.tables) {
      const other = owners.get(t);
      if (other) throw new SplitError('BAD_MANIFEST', `invalid manifest: table ${t} is owned by both ${other} and ${svc}`);
      owners.set(t, svc);
    }
  }
  const m = r.data;
  m.code = m.code.map((p) => resolve(baseDir, p));
  for (const spec of Object.values(m.services)) {
    const sch = spec.schema;
    if (sch && 'migrations' in sch) sch.migrations = resolve(baseDir, sch.migrations);
    if (sch && 'sql' in sch) sch.sql = resolve(baseDir, sch.sql);
  }
  m.seam = { imports: m.seam.imports.map((p) => (isPathLike(p) ? resolve(baseDir, p) : p)), paths: m.seam.paths.map((p) => resolve(baseDir, p)) };
  return m;
}

export async function loadManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SplitError('BAD_MANIFEST', `cannot read manifest ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SplitError('BAD_MANIFEST', `manifest ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseManifest(json, dirname(resolve(path)));
}

export interface ResolvedService {
  name: string;
  spec: ServiceSpec;
  sourceDsn: string;
  targetDsn: string;
  ownershipDsn: string;
  /** table → owning service, for every service in the manifest. */
  owners: Map<string, string>;
  /** Absolute folders/files of the application's code plan reads (empty: no code scan). */
  code: string[];
  seam: { imports: string[]; paths: string[] };
}

/** Applies DSN overrides (CLI flags / env, validated by the caller) and picks one service. */
/** `code` overrides (from --code) are relative to the current directory and replace the manifest's. */
export function resolveService(m: Manifest, service: string, overrides: { source?: string; target?: string; ownership?: string; code?: string[] } = {}): ResolvedService {
  const spec = m.services[service];
  if (!spec) throw new SplitError('UNKNOWN_SERVICE', `unknown service "${service}" (manifest has: ${Object.keys(m.services).join(', ')})`);
  const owners = new Map<string, string>();
  for (const [svc, s] of Object.entries(m.services)) for (const t of s.tables) owners.set(t, svc);
  const sourceDsn = overrides.source ?? m.source;
  return {
    name: service,
    spec,
    sourceDsn,
    targetDsn: overrides.target ?? spec.target,
    ownershipDsn: overrides.ownership ?? m.ownership ?? sourceDsn,
    owners,
    code: overrides.code?.length ? overrides.code.map((p) => resolve(p)) : m.code ?? [],
    seam: m.seam ?? { imports: [], paths: [] },
  };
}

export function describeDsn(d: string): string {
  return maskDsn(d);
}
