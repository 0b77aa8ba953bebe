import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { classifySites, classifyUnparsed, type CodeHit, type UnparsedHit } from './code/classify.ts';
import { extractFile, type CodeSite, type UnparsedSql } from './code/extract.ts';
import { SplitError } from './errors.ts';
import { looksLikeSql, parseSqlParts } from './code/sql-text.ts';

export type { CodeHit, UnparsedHit };

/**
 * Reads the adopter's code (manifest `code` / `--code`) for access to the
 * moved tables: every file under the given folders is parsed (TypeScript
 * parser for .ts/.js, node-sql-parser for SQL text), then each statement is
 * classified against the moved tables. The only I/O of the code scan.
 */
export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
export const SKIPPED_DIRS = ['node_modules', 'dist', 'build', '.git'];

export interface Seam {
  /** Modules (specifiers as imported, or absolute paths) whose imported identifiers are the seam. */
  imports: string[];
  /** Files or folders (absolute) whose code is the seam itself. */
  paths: string[];
}

export interface CodeScan {
  /** Folders or files scanned (relative to the base folder when inside it). */
  roots: string[];
  files: number;
  hits: CodeHit[];
  unparsed: UnparsedHit[];
}

export interface ScanOptions {
  roots: string[];
  moved: string[];
  known?: string[];
  seam?: Seam;
  /** File names in the result are relative to this folder (default: the current directory). */
  base?: string;
}

/** Files under `p`; folders that cannot be read are listed in `unreadable` (never skipped silently). */
async function listFiles(p: string, unreadable: Array<{ path: string; error: string }>): Promise<string[]> {
  const st = await stat(p).catch(() => undefined);
  if (!st) return [];
  if (st.isFile()) return [p];
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(p, { withFileTypes: true });
  } catch (err) {
    unreadable.push({ path: p, error: (err as NodeJS.ErrnoException).code ?? String(err) });
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const q = join(p, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.includes(e.name)) out.push(...(await listFiles(q, unreadable)));
    } else if ((SOURCE_EXTENSIONS.includes(extname(e.name)) && !e.name.endsWith('.d.ts')) || e.name.endsWith('.sql')) out.push(q);
  }
  return out;
}

/** Statements of a .sql file, each with its first line. Pure. */
export function extractSqlFile(file: string, text: string): { sites: CodeSite[]; unparsed: UnparsedSql[] } {
  const sites: CodeSite[] = [];
  const unparsed: UnparsedSql[] = [];
  let line = 1;
  for (const chunk of text.split(/;[ \t]*(?:\r?\n|$)/)) {
    const lead = /^(?:\s*--[^\n]*\n)*\s*/.exec(chunk)![0];
    const at = line + (lead.match(/\n/g)?.length ?? 0);
    line += (chunk.match(/\n/g)?.length ?? 0) + 1;
    const body = chunk.slice(lead.length).trim();
    if (!body) continue;
    const r = parseSqlParts([body]);
    const shown = body.replace(/\s+/g, ' ').slice(0, 160);
    if (!r.ok) {
      if (looksLikeSql(body)) unparsed.push({ file, line: at, site: null, error: r.error, text: shown });
    } else if (r.tables.length) sites.push({ file, line: at, site: null, kind: 'sql', tables: r.tables, dynamic: r.dynamic, via: null, viaModule: null, text: shown });
  }
  return { sites, unparsed };
}

function noExt(p: string): string {
  const e = extname(p);
  return SOURCE_EXTENSIONS.includes(e) ? p.slice(0, -e.length) : p.replace(/\/index$/, '');
}

/** Pure: does a call through `site.viaModule` (imported in `absFile`) go through the seam? */
export function seamMatches(seam: Seam, absFile: string, viaModule: string | null): boolean {
  if (seam.paths.some((p) => absFile === p || absFile.startsWith(p.endsWith(sep) ? p : p + sep))) return true;
  if (!viaModule) return false;
  const spec = viaModule.startsWith('.') ? noExt(resolve(dirname(absFile), viaModule)) : viaModule;
  return seam.imports.some((m) => {
    const want = isAbsolute(m) ? noExt(m) : m;
    return spec === want || noExt(spec) === want || noExt(spec).replace(/\/index$/, '') === want.replace(/\/index$/, '');
  });
}

export async function scanCode(o: ScanOptions): Promise<CodeScan> {
  const base = o.base ?? process.cwd();
  const seam = o.seam ?? { imports: [], paths: [] };
  const hits: CodeHit[] = [];
  const unparsed: UnparsedHit[] = [];
  const seen = new Set<string>();
  let files = 0;
  const unreadable: Array<{ path: string; error: string }> = [];
  const shownPath = (abs: string) => {
    const rel = relative(base, abs);
    return rel.startsWith('..') ? abs : rel;
  };
  for (const root of o.roots) {
    const abs = resolve(base, root);
    if (!(await stat(abs).catch(() => undefined))) throw new SplitError('BAD_OPTION', `code path ${root} does not exist (--code / manifest "code")`);
  }
  for (const root of o.roots) {
    for (const abs of await listFiles(resolve(base, root), unreadable)) {
      if (seen.has(abs)) continue;
      seen.add(abs);
      files++;
      const shown = shownPath(abs);
      let text: string;
      try {
        text = await readFile(abs, 'utf8');
      } catch (err) {
        unreadable.push({ path: abs, error: (err as NodeJS.ErrnoException).code ?? String(err) });
        continue;
      }
      const x = abs.endsWith('.sql') ? extractSqlFile(shown, text) : extractFile(shown, text);
      hits.push(...classifySites(x.sites, (s) => seamMatches(seam, abs, s.viaModule), { moved: o.moved, known: o.known }));
      unparsed.push(...classifyUnparsed(x.unparsed, o.moved));
    }
  }
  for (const u of unreadable) unparsed.push({ file: shownPath(u.path), line: 0, site: null, error: `cannot read: ${u.error}`, text: '', mentions: [] });
  const shownRoots = o.roots.map((r) => {
    const rel = relative(base, resolve(base, r));
    return rel === '' ? '.' : rel.startsWith('..') ? resolve(base, r) : rel;
  });
  return { roots: shownRoots, files, hits, unparsed };
}
