import { Listeners } from './listeners.ts';
import {
  applyPatch, defaultRecord, DOMAIN_PATTERN, DOMAINS, isDomain, OwnershipError, samePlacement, validateChange,
  type ChangeMeta, type Domain, type OwnershipListener, type OwnershipPatch, type OwnershipRecord, type OwnershipRegistry,
} from './types.ts';

/** In-memory registry for unit tests of code that consumes ownership. Same semantics as the MySQL one. */
export class MemoryOwnershipRegistry implements OwnershipRegistry {
  private readonly records = new Map<Domain, OwnershipRecord>();
  private readonly listeners = new Listeners();
  readonly audit: Array<{ domain: Domain; from: OwnershipRecord; to: OwnershipRecord }> = [];
  private readonly now: () => Date;

  /** Seeds `opts.domains` (default: the demo's DOMAINS) plus every domain named in `initial`. */
  constructor(initial: Partial<Record<Domain, Partial<OwnershipRecord>>> = {}, opts: { now?: () => Date; domains?: readonly Domain[] } = {}) {
    this.now = opts.now ?? (() => new Date());
    for (const d of [...(opts.domains ?? DOMAINS), ...Object.keys(initial)]) {
      if (!isDomain(d)) throw new OwnershipError('OWNERSHIP_INVALID', `domain: ${JSON.stringify(d).slice(0, 80)} must match ${DOMAIN_PATTERN.source}`);
      if (!this.records.has(d)) this.records.set(d, { ...defaultRecord(d), ...(initial[d] ?? {}), domain: d });
    }
  }

  /** Same rule as the MySQL registry: a malformed name throws; a well-formed unseeded one reads as its initial record. */
  get(domain: Domain): OwnershipRecord {
    if (!isDomain(domain)) throw new OwnershipError('OWNERSHIP_UNKNOWN_DOMAIN', `unknown domain: ${JSON.stringify(String(domain)).slice(0, 80)} (a domain name matches ${DOMAIN_PATTERN.source})`);
    return this.records.get(domain) ?? defaultRecord(domain);
  }

  all(): OwnershipRecord[] {
    return [...this.records.keys()].map((d) => this.get(d));
  }

  async set(domain: Domain, patch: OwnershipPatch, meta: ChangeMeta): Promise<OwnershipRecord> {
    const problems = validateChange(domain, patch, meta);
    if (problems.length) throw new OwnershipError('OWNERSHIP_INVALID', problems.join('; '));
    const cur = this.get(domain);
    if (meta.ifVersion !== undefined && meta.ifVersion !== cur.version) {
      throw new OwnershipError('OWNERSHIP_CONFLICT', `${domain}: version is ${cur.version}, expected ${meta.ifVersion}`);
    }
    if (samePlacement(cur, patch)) return cur;
    const next = applyPatch(cur, patch, meta, this.now());
    this.records.set(domain, next);
    this.audit.push({ domain, from: cur, to: next });
    this.listeners.emit(next, cur);
    return next;
  }

  async refresh(): Promise<OwnershipRecord[]> {
    return this.all();
  }

  onChange(cb: OwnershipListener): () => void {
    return this.listeners.add(cb);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
