/**
 * Ownership registry: for each domain, who serves it (legacy code or the
 * extracted service) and which database the service uses (the legacy one
 * before the split, its own after). Legacy repositories ask per request, so
 * reads are served from a cache kept fresh by notifications and polling.
 */
/** The demo monolith's (Zigzag's) domains: its seed list, not a restriction. Any name matching DOMAIN_PATTERN is a domain. */
export const DOMAINS = ['product', 'shop', 'user', 'search'] as const;
/** A domain name: `^[a-z][a-z0-9_-]{0,63}$` (checked by isDomain / validateChange). */
export type Domain = string;
export const DOMAIN_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export type Owner = 'legacy' | 'service';
export type OwnedDatabase = 'legacy' | 'own';

export interface OwnershipRecord {
  domain: Domain;
  owner: Owner;
  database: OwnedDatabase;
  version: number;
  /** ISO-8601 UTC. */
  changedAt: string;
  changedBy: string;
  reason: string;
}

export interface OwnershipPatch {
  owner?: Owner;
  database?: OwnedDatabase;
}

export interface ChangeMeta {
  actor: string;
  reason: string;
  /** Compare-and-set: fail with OWNERSHIP_CONFLICT unless the current version equals this. */
  ifVersion?: number;
}

export type OwnershipListener = (next: OwnershipRecord, prev: OwnershipRecord | undefined) => void;

export interface OwnershipRegistry {
  /** Cached read; cheap enough to call per request. */
  get(domain: Domain): OwnershipRecord;
  all(): OwnershipRecord[];
  /** Atomic, audited change. Resolves with the new record (unchanged record if the patch changes nothing). */
  set(domain: Domain, patch: OwnershipPatch, meta: ChangeMeta): Promise<OwnershipRecord>;
  /** Re-reads the store (bypassing the cache; read after the call, never an older in-flight read) and notifies listeners of changes. */
  refresh(): Promise<OwnershipRecord[]>;
  /** Returns an unsubscribe function. */
  onChange(cb: OwnershipListener): () => void;
  close(): Promise<void>;
}

export class OwnershipError extends Error {
  readonly code: 'OWNERSHIP_UNKNOWN_DOMAIN' | 'OWNERSHIP_CONFLICT' | 'OWNERSHIP_INVALID' | 'OWNERSHIP_CLOSED';
  constructor(code: OwnershipError['code'], message: string) {
    super(message);
    this.name = 'OwnershipError';
    this.code = code;
  }
}

/** True for a well-formed domain name (any adopter's domain, not only the demo's). */
export function isDomain(x: unknown): x is Domain {
  return typeof x === 'string' && DOMAIN_PATTERN.test(x);
}

/** Throws OWNERSHIP_INVALID with one clear message when `x` is not a well-formed domain name. */
export function assertDomain(x: unknown): asserts x is Domain {
  if (!isDomain(x)) throw new OwnershipError('OWNERSHIP_INVALID', `domain: ${JSON.stringify(String(x)).slice(0, 80)} must match ${DOMAIN_PATTERN.source}`);
}

/** Validates a patch and meta; returns the problems (empty when valid). Pure. */
export function validateChange(domain: unknown, patch: OwnershipPatch, meta: ChangeMeta): string[] {
  const problems: string[] = [];
  if (!isDomain(domain)) problems.push(`domain: must match ${DOMAIN_PATTERN.source}`);
  if (patch.owner !== undefined && patch.owner !== 'legacy' && patch.owner !== 'service') problems.push('owner: must be legacy or service');
  if (patch.database !== undefined && patch.database !== 'legacy' && patch.database !== 'own') problems.push('database: must be legacy or own');
  if (!meta || typeof meta.actor !== 'string' || !meta.actor.trim()) problems.push('actor: required');
  else if (meta.actor.length > 100) problems.push('actor: at most 100 characters');
  if (!meta || typeof meta.reason !== 'string' || !meta.reason.trim()) problems.push('reason: required');
  else if (meta.reason.length > 500) problems.push('reason: at most 500 characters');
  return problems;
}

export function applyPatch(rec: OwnershipRecord, patch: OwnershipPatch, meta: ChangeMeta, now: Date): OwnershipRecord {
  return {
    ...rec,
    owner: patch.owner ?? rec.owner,
    database: patch.database ?? rec.database,
    version: rec.version + 1,
    changedAt: now.toISOString(),
    changedBy: meta.actor,
    reason: meta.reason,
  };
}

export function samePlacement(a: OwnershipRecord, patch: OwnershipPatch): boolean {
  return (patch.owner ?? a.owner) === a.owner && (patch.database ?? a.database) === a.database;
}

export function defaultRecord(domain: Domain): OwnershipRecord {
  return { domain, owner: 'legacy', database: 'legacy', version: 1, changedAt: new Date(0).toISOString(), changedBy: 'default', reason: 'initial' };
}
