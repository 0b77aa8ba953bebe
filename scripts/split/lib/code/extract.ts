import ts from 'typescript';
import { looksLikeSql, mayNameTable, parseSqlParts, type SqlParse } from './sql-text.ts';

/**
 * Extracts the database access of one source file with the TypeScript parser
 * (syntax only, no type-check): knex builder chains, SQL text in string and
 * template literals (parsed by node-sql-parser), mysql2 `.query/.execute`,
 * sequelize `query` / `define` / `init({ tableName })`, and knex/sequelize
 * transactions. Pure: text in, sites out.
 */
export type SiteKind = 'knex' | 'sql' | 'mysql2' | 'sequelize' | 'transaction';

export interface CodeSite {
  file: string;
  line: number;
  /** Enclosing function, method or constant ("summaries", "TASK_SQL"); null at top level. */
  site: string | null;
  kind: SiteKind;
  /** Every table the statement names (joins, subqueries, raw fragments, the builder variable it starts from). */
  tables: string[];
  /** A table name comes from an interpolation: the statement may touch more than `tables`. */
  dynamic: boolean;
  /** The identifier the call goes through (`db` in `db('t')`, `pool` in `pool.query(…)`). */
  via: string | null;
  /** The module `via` is imported from, when it is imported. */
  viaModule: string | null;
  /** For a transaction: the lines of the statements inside it. */
  statements?: number[];
  text: string;
}

export interface UnparsedSql {
  file: string;
  line: number;
  site: string | null;
  error: string;
  text: string;
}

export interface FileExtract {
  sites: CodeSite[];
  unparsed: UnparsedSql[];
}

/** Names of handles that are knex (or a transaction of it) even without a builder method after the call. */
const KNEX_NAME = /^(?:knex|db|trx|tx|k|qb|conn|connection|database|builder)$|(?:Db|DB|Knex|Trx|Tx)$/;
const KNEX_METHODS = new Set([
  'where', 'andWhere', 'orWhere', 'whereIn', 'whereNotIn', 'whereNot', 'whereNull', 'whereNotNull', 'whereBetween', 'whereExists', 'whereRaw',
  'select', 'first', 'insert', 'update', 'del', 'delete', 'increment', 'decrement', 'count', 'countDistinct', 'pluck', 'orderBy', 'groupBy',
  'limit', 'offset', 'forUpdate', 'forShare', 'returning', 'onConflict', 'merge', 'ignore', 'truncate', 'modify', 'clone', 'distinct',
  'having', 'sum', 'max', 'min', 'avg', 'columns', 'column', 'upsert', 'toSQL', 'toQuery',
]);
const TABLE_METHODS = new Set(['from', 'into', 'table']);
const JOIN_METHODS = new Set(['join', 'leftJoin', 'leftOuterJoin', 'rightJoin', 'rightOuterJoin', 'innerJoin', 'fullOuterJoin', 'crossJoin', 'outerJoin']);
const RAW_METHODS = new Set(['raw', 'joinRaw', 'whereRaw', 'orWhereRaw', 'andWhereRaw', 'havingRaw', 'selectRaw', 'fromRaw', 'orderByRaw', 'groupByRaw']);
const QUERY_METHODS = new Set(['query', 'execute']);
const SQL_HANDLE = /knex|db|trx|tx|conn|pool|mysql|sequelize|client|database/i;
/** `products`, `legacy.products`, `products as p`, `products p`. */
const TABLE_ARG = /^\s*(?:`?\w+`?\.)?`?(\w+)`?(?:\s+(?:as\s+)?\w+)?\s*$/i;
const MAX_TEXT = 160;

interface Seg {
  name: string;
  call?: ts.CallExpression;
  /** `name(...)` called directly (the chain's root call). */
  direct?: boolean;
}

interface Chain {
  top: ts.Expression;
  root: ts.Expression;
  segs: Seg[];
}

interface Analysis {
  builder: boolean;
  /** Tables of the builder variable the chain starts from, and the handle that built it. */
  inherited?: Set<string>;
  inheritedVia?: { via: string | null; viaModule: string | null };
  tables: Set<string>;
  dynamic: boolean;
  unparsed: Array<{ node: ts.Node; error: string; text: string }>;
}

function unwrap(n: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(n) || ts.isNonNullExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n)) n = n.expression;
  return n;
}

function decompose(top: ts.Expression): Chain {
  const segs: Seg[] = [];
  let n = unwrap(top);
  for (;;) {
    if (ts.isCallExpression(n)) {
      const callee = unwrap(n.expression);
      if (ts.isPropertyAccessExpression(callee)) {
        segs.unshift({ name: callee.name.text, call: n });
        n = unwrap(callee.expression);
        continue;
      }
      if (ts.isIdentifier(callee)) segs.unshift({ name: callee.text, call: n, direct: true });
      return { top, root: callee, segs };
    }
    if (ts.isPropertyAccessExpression(n)) {
      segs.unshift({ name: n.name.text });
      n = unwrap(n.expression);
      continue;
    }
    return { top, root: n, segs };
  }
}

function isChainTop(n: ts.Node): n is ts.CallExpression | ts.PropertyAccessExpression {
  if (!ts.isCallExpression(n) && !ts.isPropertyAccessExpression(n)) return false;
  let child: ts.Node = n;
  let p = n.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isAsExpression(p))) {
    child = p;
    p = p.parent;
  }
  if (!p) return true;
  if (ts.isPropertyAccessExpression(p) && p.expression === child) return false;
  if (ts.isCallExpression(p) && p.expression === child) return false;
  return true;
}

/**
 * Literal text of a string or template, template gaps as separate parts; a
 * gap naming a string constant (`${ELIGIBLE}`) is filled with its text when
 * `lookup` finds one.
 */
function literalParts(n: ts.Node, lookup?: (id: ts.Identifier) => string | null): string[] | null {
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return [n.text];
  if (!ts.isTemplateExpression(n)) return null;
  const parts = [n.head.text];
  for (const span of n.templateSpans) {
    const e = unwrap(span.expression);
    const known = lookup && ts.isIdentifier(e) ? lookup(e) : null;
    if (known !== null) parts[parts.length - 1] += known + span.literal.text;
    else parts.push(span.literal.text);
  }
  return parts;
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 1)}…` : t;
}

export function extractFile(file: string, text: string): FileExtract {
  const kind = /\.(?:tsx|jsx)$/.test(file) ? ts.ScriptKind.TSX : /\.(?:js|mjs|cjs)$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const sites: CodeSite[] = [];
  const unparsed: UnparsedSql[] = [];
  const consumed = new Set<ts.Node>();

  // imports: local name → module specifier
  const imports = new Map<string, string>();
  // variables: name → initializers (for builder variables and SQL constants)
  const vars = new Map<string, ts.VariableDeclaration[]>();
  const pre = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const mod = n.moduleSpecifier.text;
      const c = n.importClause;
      if (c?.name) imports.set(c.name.text, mod);
      if (c?.namedBindings) {
        if (ts.isNamespaceImport(c.namedBindings)) imports.set(c.namedBindings.name.text, mod);
        else for (const e of c.namedBindings.elements) imports.set(e.name.text, mod);
      }
    }
    if (ts.isVariableDeclaration(n) && n.initializer) {
      const init = unwrap(n.initializer);
      if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'require' && init.arguments[0] && ts.isStringLiteral(init.arguments[0])) {
        const mod = init.arguments[0].text;
        if (ts.isIdentifier(n.name)) imports.set(n.name.text, mod);
        else if (ts.isObjectBindingPattern(n.name)) for (const e of n.name.elements) if (ts.isIdentifier(e.name)) imports.set(e.name.text, mod);
      }
      if (ts.isIdentifier(n.name)) vars.set(n.name.text, [...(vars.get(n.name.text) ?? []), n]);
    }
    ts.forEachChild(n, pre);
  };
  pre(sf);

  function siteName(node: ts.Node): string | null {
    let varName: string | null = null;
    for (let n = node.parent; n; n = n.parent) {
      if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n)) && n.name) return n.name.getText(sf);
      if (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
        if (ts.isFunctionExpression(n) && n.name) return n.name.text;
        const p = n.parent;
        if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
        if (ts.isPropertyAssignment(p)) return p.name.getText(sf);
      }
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && !varName) varName = n.name.text;
    }
    return varName;
  }

  function declarationBefore(name: string, at: ts.Node): ts.VariableDeclaration | undefined {
    const all = vars.get(name) ?? [];
    const scopeOf = (d: ts.VariableDeclaration): ts.Node => {
      let scope: ts.Node = d.parent;
      while (scope.parent && !ts.isBlock(scope) && !ts.isSourceFile(scope) && !ts.isFunctionLike(scope)) scope = scope.parent;
      return scope;
    };
    // the closest one before the use whose scope (its enclosing block/function/file) contains the use
    for (const d of all.filter((x) => x.getStart(sf) < at.getStart(sf)).reverse()) {
      const scope = scopeOf(d);
      if (at.getStart(sf) >= scope.getStart(sf) && at.getEnd() <= scope.getEnd()) return d;
    }
    // a module-level constant declared further down (used inside a function that runs later)
    return all.find((d) => ts.isSourceFile(scopeOf(d)));
  }

  /** The text of a string constant declared before `id` in scope (one level: constants made of constants are gaps). */
  function constText(id: ts.Identifier): string | null {
    const d = declarationBefore(id.text, id);
    const init = d?.initializer ? unwrap(d.initializer) : undefined;
    if (!init || !(d!.parent.flags & ts.NodeFlags.Const)) return null;
    const p = literalParts(init);
    return p && p.length === 1 ? p[0] : null;
  }
  const lp = (n: ts.Node) => literalParts(n, constText);

  function viaOf(chain: Chain): { via: string | null; viaModule: string | null } {
    const root = chain.root;
    const via = ts.isIdentifier(root) ? root.text : chain.segs[0]?.name ?? null;
    return { via, viaModule: via ? imports.get(via) ?? null : null };
  }

  function addSql(a: Analysis, arg: ts.Expression, fragment: boolean): void {
    const node = unwrap(arg);
    let parts = lp(node);
    let at: ts.Node = node;
    if (!parts && ts.isIdentifier(node)) {
      const d = declarationBefore(node.text, node);
      const init = d?.initializer ? unwrap(d.initializer) : undefined;
      if (init && (parts = lp(init))) {
        at = init;
        consumed.add(init); // its tables are this builder's: not listed again as a statement of its own
      }
      else {
        a.dynamic = true;
        return;
      }
    }
    if (!parts) {
      a.dynamic = true;
      return;
    }
    if (at === node) consumed.add(node);
    const r: SqlParse = parseSqlParts(parts, fragment);
    if (!r.ok) {
      if (mayNameTable(parts.join(' '))) a.unparsed.push({ node: at, error: r.error, text: parts.join('${…}') });
      return;
    }
    for (const t of r.tables) a.tables.add(t);
    if (r.dynamic) a.dynamic = true;
  }

  const analyses = new Map<ts.Node, Analysis>();

  /** Tables a chain names when it is a knex builder; nested builders, raw fragments and subqueries in its arguments merge in. */
  function analyze(chain: Chain, nested: boolean): Analysis {
    const cached = analyses.get(chain.top);
    if (cached) return cached;
    const a: Analysis = { builder: false, tables: new Set(), dynamic: false, unparsed: [] };
    analyses.set(chain.top, a);
    const { segs, root } = chain;
    const firstCall = segs.findIndex((s) => s.call);
    const later = segs.slice(firstCall + 1);
    const handle = firstCall >= 0 ? segs[firstCall] : undefined;
    const rootName = ts.isIdentifier(root) ? root.text : null;
    let rootTable: Seg | undefined;
    // knex('t') / this.db('t'), confirmed by the handle's name or a builder method after it
    if (handle?.call && !RAW_METHODS.has(handle.name) && !QUERY_METHODS.has(handle.name) && !TABLE_METHODS.has(handle.name) && !JOIN_METHODS.has(handle.name)) {
      const arg = handle.call.arguments[0];
      const m = arg && ts.isStringLiteralLike(arg) ? TABLE_ARG.exec(arg.text) : null;
      if (m && (KNEX_NAME.test(handle.name) || later.some((s) => KNEX_METHODS.has(s.name) || JOIN_METHODS.has(s.name)))) {
        a.builder = true;
        rootTable = handle;
        a.tables.add(m[1]);
        consumed.add(arg);
      }
    }
    // knex.from('t'), trx.table('t'), or a builder variable: base.clone().leftJoin(…)
    if (!a.builder && rootName && (!handle || !handle.direct)) {
      if (KNEX_NAME.test(rootName) && segs.some((s) => TABLE_METHODS.has(s.name) && s.call)) a.builder = true;
      const d = declarationBefore(rootName, chain.top);
      const init = d?.initializer ? unwrap(d.initializer) : undefined;
      if (init && init !== chain.top && (ts.isCallExpression(init) || ts.isPropertyAccessExpression(init))) {
        const base = analyze(decompose(init), false);
        if (base.builder) {
          a.builder = true;
          for (const t of base.tables) a.tables.add(t);
          a.dynamic ||= base.dynamic;
          a.inherited = new Set(base.tables);
          a.inheritedVia = base.inheritedVia ?? viaOf(decompose(init));
        }
      }
    }
    if (nested && !a.builder && segs.some((s) => (TABLE_METHODS.has(s.name) || JOIN_METHODS.has(s.name)) && s.call)) a.builder = true;
    if (!a.builder) return a;
    for (const s of segs) {
      if (!s.call || s === rootTable) continue;
      const arg = s.call.arguments[0];
      if ((TABLE_METHODS.has(s.name) || JOIN_METHODS.has(s.name)) && arg) {
        if (ts.isStringLiteralLike(arg)) {
          const m = TABLE_ARG.exec(arg.text);
          if (m) a.tables.add(m[1]);
          consumed.add(arg);
        } else if (!ts.isObjectLiteralExpression(arg) && !ts.isArrowFunction(arg) && !ts.isFunctionExpression(arg)) a.dynamic = true;
      }
      if (RAW_METHODS.has(s.name) && arg) addSql(a, arg, true);
      for (const x of s.call.arguments) mergeNested(a, x);
    }
    return a;
  }

  /** Builder chains and raw fragments inside a builder's arguments (subqueries, select(db.raw(…)), where callbacks). */
  function mergeNested(a: Analysis, arg: ts.Node): void {
    const visit = (n: ts.Node): void => {
      if (consumed.has(n)) return;
      if (isChainTop(n) || (ts.isCallExpression(n) && !consumed.has(n))) {
        const c = decompose(n as ts.Expression);
        const last = c.segs[c.segs.length - 1];
        if (last?.call && RAW_METHODS.has(last.name) && c.segs.length <= 2) {
          consumed.add(n);
          const x = last.call.arguments[0];
          if (x) addSql(a, x, true);
          return;
        }
        const inner = analyze(c, true);
        if (inner.builder) {
          consumed.add(n);
          for (const t of inner.tables) a.tables.add(t);
          a.dynamic ||= inner.dynamic;
          a.unparsed.push(...inner.unparsed);
          return;
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(arg);
  }

  function emitUnparsed(list: Analysis['unparsed']): void {
    for (const u of list) unparsed.push({ file, line: lineOf(u.node), site: siteName(u.node), error: u.error, text: oneLine(u.text) });
  }

  const sqlUses = new Map<string, { kind: SiteKind; via: string | null; viaModule: string | null }>();
  const transactions: Array<{ call: ts.CallExpression; fn: ts.Node; chain: Chain }> = [];

  function onChain(n: ts.CallExpression | ts.PropertyAccessExpression): void {
    const chain = decompose(n);
    const last = chain.segs[chain.segs.length - 1];
    if (!last?.call) return;
    const a = analyze(chain, false);
    const { via, viaModule } = a.inheritedVia ?? viaOf(chain);
    const handleName = chain.segs.length >= 2 ? chain.segs[chain.segs.length - 2].name : via ?? '';
    if (a.builder) {
      const inherited = a.inherited;
      const adds = !inherited || [...a.tables].some((t) => !inherited.has(t));
      if (adds && a.tables.size) sites.push({ file, line: lineOf(n), site: siteName(n), kind: 'knex', tables: [...a.tables], dynamic: a.dynamic, via, viaModule, text: oneLine(n.getText(sf)) });
      emitUnparsed(a.unparsed);
      return;
    }
    const arg = last.call.arguments[0];
    const seq = /sequelize/i.test(handleName) || /sequelize/i.test(via ?? '');
    if (last.name === 'transaction' && arg && (ts.isArrowFunction(arg) || ts.isFunctionExpression(arg))) transactions.push({ call: last.call, fn: arg, chain });
    if ((RAW_METHODS.has(last.name) || QUERY_METHODS.has(last.name)) && arg) {
      const k: SiteKind = seq ? 'sequelize' : RAW_METHODS.has(last.name) ? 'knex' : 'mysql2';
      let inner = unwrap(arg);
      // mysql2's options form: conn.query({ sql: '…', values })
      if (QUERY_METHODS.has(last.name) && ts.isObjectLiteralExpression(inner)) {
        const sqlProp = inner.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText(sf) === 'sql') as ts.PropertyAssignment | undefined;
        if (sqlProp) inner = unwrap(sqlProp.initializer);
      }
      if (ts.isIdentifier(inner)) {
        sqlUses.set(inner.text, { kind: k, via, viaModule });
        const d = declarationBefore(inner.text, inner);
        if (!(d?.initializer && lp(unwrap(d.initializer))) && (SQL_HANDLE.test(handleName) || SQL_HANDLE.test(via ?? ''))) {
          unparsed.push({ file, line: lineOf(n), site: siteName(n), error: `SQL text is built elsewhere (${inner.text}); not followed`, text: oneLine(n.getText(sf)) });
        }
        return;
      }
      const parts = lp(inner);
      if (!parts) {
        if (SQL_HANDLE.test(handleName) || SQL_HANDLE.test(via ?? '')) unparsed.push({ file, line: lineOf(n), site: siteName(n), error: 'SQL text is computed; not followed', text: oneLine(n.getText(sf)) });
        return;
      }
      if (QUERY_METHODS.has(last.name) && !looksLikeSql(parts.join(' ')) && !(SQL_HANDLE.test(handleName) || SQL_HANDLE.test(via ?? ''))) return;
      consumed.add(inner);
      // knex.raw is as often a fragment (a subquery column, `version + 1`) as a statement
      const r = parseSqlParts(parts, RAW_METHODS.has(last.name));
      if (!r.ok && !mayNameTable(parts.join(' '))) return;
      if (!r.ok) unparsed.push({ file, line: lineOf(inner), site: siteName(n), error: r.error, text: oneLine(parts.join('${…}')) });
      else if (r.tables.length || r.dynamic) sites.push({ file, line: lineOf(n), site: siteName(n), kind: k, tables: r.tables, dynamic: r.dynamic, via, viaModule, text: oneLine(parts.join('${…}')) });
      return;
    }
    // sequelize models: sequelize.define('name', attrs, { tableName }), Model.init(attrs, { tableName, sequelize })
    if (last.name === 'define' || last.name === 'init') {
      let table: string | null = null;
      for (const x of last.call.arguments) {
        if (!ts.isObjectLiteralExpression(x)) continue;
        for (const p of x.properties) if (ts.isPropertyAssignment(p) && p.name.getText(sf) === 'tableName' && ts.isStringLiteralLike(p.initializer)) table = p.initializer.text;
      }
      if (!table && last.name === 'define' && seq && arg && ts.isStringLiteralLike(arg)) table = arg.text;
      if (table) sites.push({ file, line: lineOf(n), site: siteName(n), kind: 'sequelize', tables: [table], dynamic: false, via, viaModule, text: oneLine(n.getText(sf)).slice(0, MAX_TEXT) });
    }
  }

  const freeLiterals: ts.Node[] = [];
  const walk = (n: ts.Node): void => {
    if (consumed.has(n)) return;
    if (isChainTop(n)) onChain(n);
    if (!consumed.has(n) && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n))) freeLiterals.push(n);
    ts.forEachChild(n, walk);
  };
  walk(sf);

  // SQL text in literals no call above took: constants handed to raw/query later, or strings built for elsewhere
  for (const n of freeLiterals) {
    if (consumed.has(n)) continue;
    const parts = lp(n)!;
    if (!looksLikeSql(parts.join(' '))) continue;
    const decl = ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name) ? n.parent.name.text : null;
    const use = decl ? sqlUses.get(decl) : undefined;
    const r = parseSqlParts(parts);
    if (!r.ok) unparsed.push({ file, line: lineOf(n), site: siteName(n), error: r.error, text: oneLine(parts.join('${…}')) });
    else if (r.tables.length || r.dynamic) sites.push({ file, line: lineOf(n), site: siteName(n), kind: use?.kind ?? 'sql', tables: r.tables, dynamic: r.dynamic, via: use?.via ?? null, viaModule: use?.viaModule ?? null, text: oneLine(parts.join('${…}')) });
  }

  // transactions: the statements inside one callback commit together
  for (const t of transactions) {
    const inside = sites.filter((s) => s.kind !== 'transaction' && s.line >= lineOf(t.fn) && s.line <= sf.getLineAndCharacterOfPosition(t.fn.getEnd()).line + 1);
    if (inside.length < 2) continue;
    const { via, viaModule } = viaOf(t.chain);
    sites.push({
      file, line: lineOf(t.chain.top), site: siteName(t.chain.top), kind: 'transaction', tables: [...new Set(inside.flatMap((s) => s.tables))],
      dynamic: inside.some((s) => s.dynamic), via, viaModule, statements: inside.map((s) => s.line), text: `transaction of ${inside.length} statements`,
    });
  }
  sites.sort((x, y) => x.line - y.line);
  unparsed.sort((x, y) => x.line - y.line);
  return { sites, unparsed };
}
