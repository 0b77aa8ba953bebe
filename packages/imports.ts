/**
 * Import specifiers of a JS/TS module, by a regex over its text (static `import … from`, side-effect
 * `import '…'`, `export … from`, and `import('…')` / `require('…')` with a string literal), and the import graph walk the
 * package build and the layering test share. Comments are stripped first so documentation that shows an
 * import is not taken for one; a dynamic import of a computed path is invisible here (none in the toolkit).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';

const IMPORT_RE = /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"\n]+)['"]|\b(?:import|require)\s*\(\s*['"]([^'"\n]+)['"]\s*[,)]/g;

/** Removes block and line comments (keeps strings: a `//` inside a quoted URL stays). */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
}

export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of stripComments(text).matchAll(IMPORT_RE)) out.push((m[1] ?? m[2]) as string);
  return out;
}

export const isRelative = (spec: string): boolean => spec.startsWith('./') || spec.startsWith('../');

/** `node:fs`, `fs`, `fs/promises` → true. */
export function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || builtinModules.includes(spec) || builtinModules.includes(spec.split('/')[0] as string);
}

/** The npm package a bare specifier names: `@scope/pkg/sub` → `@scope/pkg`, `pkg/sub` → `pkg`. */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

export interface ImportGraph {
  /** Every file reached, absolute. */
  files: Set<string>;
  /** npm package → the files importing it. */
  packages: Map<string, Set<string>>;
}

/**
 * Files reachable from `entries` through relative imports (and, for compiled output, each `.js` file's
 * `.d.ts` twin with `withDeclarations`, whose type-only imports the `.js` no longer shows). npm packages named
 * only by `.d.ts` files are left out of `packages`: types are not runtime dependencies.
 */
export function walkImports(entries: string[], opts: { withDeclarations?: boolean } = {}): ImportGraph {
  const files = new Set<string>();
  const packages = new Map<string, Set<string>>();
  const stack = entries.map((e) => resolve(e));
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    if (opts.withDeclarations && file.endsWith('.js')) stack.push(file.replace(/\.js$/, '.d.ts'));
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (isRelative(spec)) {
        const target = resolve(dirname(file), spec);
        // a declaration's relative imports keep their source extension (`./types.ts`): TypeScript resolves them to the `.d.ts`
        stack.push(file.endsWith('.d.ts') ? target.replace(/(?<!\.d)\.(?:ts|js)$/, '.d.ts') : target);
      } else if (!isBuiltin(spec) && !file.endsWith('.d.ts')) {
        const name = packageName(spec);
        if (!packages.has(name)) packages.set(name, new Set());
        (packages.get(name) as Set<string>).add(file);
      }
    }
  }
  return { files, packages };
}
