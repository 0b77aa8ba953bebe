import { Listeners } from './listeners.ts';
import {
  applyPatch, defaultRecord, DOMAINS, OwnershipError, samePlacement, validateChange,
  type ChangeMeta, type Domain, type OwnershipListener, type OwnershipPatch, type OwnershipRecord, type OwnershipRegistry,
} from './types.ts';

/** In-memory registry for unit tests of code that consumes ownership. Same semantics as the MySQL one. */
export class MemoryOwnershipRegistry implements OwnershipRegistry {
  private readonly records = new Map<Domain, OwnershipRecord>();
  private readonly listeners = new Listeners();
  readonly audit: Array<{ domain: Domain; from: OwnershipRecord; to: OwnershipRecord }> = [];
  private readonly now: () => Date;

  constructor(initial: Partial<Record<Domain, Partial<OwnershipRecord>>> = {}, opts: { now?: () => Date } = {}) {
    this.now = opts.now ?? (() => new Date());
    for (const d of DOMAINS) this.records.set(d, { ...defaultRecord(d), ...(initial[d] ?? {}), domain: d });
  }

  get(domain: Domain): OwnershipRecord {
    const r = this.records.get(domain);
    if (!r) throw new OwnershipError('OWNERSHIP_UNKNOWN_DOMAIN', `unknown domain: ${String(domain)}`);
    return r;
  }

  all(): OwnershipRecord[] {
    return DOMAINS.map((d) => this.get(d));
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
