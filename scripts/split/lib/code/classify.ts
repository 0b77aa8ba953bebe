import type { CodeSite, UnparsedSql } from './extract.ts';

/** A statement (or transaction) that touches at least one moved table. */
export interface CodeHit extends CodeSite {
  /** The moved tables it names. */
  moved: string[];
  /** Tables that stay in the source it names together with a moved one: a join, subquery or transaction that breaks after the split. */
  crossesBoundaryWith: string[];
  /** The call goes through the adopter's seam (manifest `seam`). */
  throughSeam: boolean;
}

export interface UnparsedHit extends UnparsedSql {
  /** Moved tables the text mentions as words (the parser could not say more). */
  mentions: string[];
}

export interface ClassifyOptions {
  moved: Iterable<string>;
  /** Every table of the source database; when given, names outside it (aliases, CTEs, other databases' views) are not "tables that stay". */
  known?: Iterable<string>;
}

const lc = (s: string) => s.toLowerCase();

/** Pure: which sites touch the moved tables, and which of those cross the boundary. */
export function classifySites(sites: CodeSite[], seam: (s: CodeSite) => boolean, o: ClassifyOptions): CodeHit[] {
  const moved = new Set([...o.moved].map(lc));
  const known = o.known ? new Set([...o.known].map(lc)) : undefined;
  const out: CodeHit[] = [];
  for (const s of sites) {
    const m = s.tables.filter((t) => moved.has(lc(t)));
    if (!m.length) continue;
    const stays = s.tables.filter((t) => !moved.has(lc(t)) && (!known || known.has(lc(t))));
    out.push({ ...s, moved: m, crossesBoundaryWith: stays, throughSeam: seam(s) });
  }
  return out;
}

export function classifyUnparsed(list: UnparsedSql[], moved: Iterable<string>): UnparsedHit[] {
  const names = [...moved];
  return list.map((u) => ({ ...u, mentions: names.filter((t) => new RegExp(`\\b${t}\\b`, 'i').test(u.text)) }));
}
