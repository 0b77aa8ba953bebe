/**
 * Append-only audit log of route changes: who changed which route, when, from
 * what to what, and why. A JSONL file for one instance, a Redis list for many.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Redis } from 'ioredis';

/** Mode changes (`set`, `rollback`) carry from/to; every other change carries the item's before and after (null when absent). */
export type AuditAction = 'set' | 'rollback' | 'route-put' | 'route-delete' | 'upstream-put' | 'upstream-delete' | 'apply' | 'stats-reset';

export interface AuditEntry {
  at: string;
  who: string;
  /** The route id; `upstream:<name>` for upstream changes; `(table)` for `apply`. */
  route: string;
  action: AuditAction;
  from?: { mode: string; percent: number };
  to?: { mode: string; percent: number };
  before?: unknown;
  after?: unknown;
  /** `apply`: the field-level difference applied (table/diff.ts). */
  diff?: unknown;
  reason: string;
  version: number;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest last; at most `limit` entries, optionally for one route. */
  list(limit: number, route?: string): Promise<AuditEntry[]>;
}

export class FileAudit implements AuditLog {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  async append(entry: AuditEntry): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, JSON.stringify(entry) + '\n', { flag: 'a' });
  }

  async list(limit: number, route?: string): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // a torn last line (crash mid-append) is skipped
      }
    }
    return (route ? entries.filter((e) => e.route === route) : entries).slice(-limit);
  }
}

export class RedisAudit implements AuditLog {
  private readonly client: Redis;
  readonly key: string;
  constructor(client: Redis, key: string) {
    this.client = client;
    this.key = key;
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.client.rpush(this.key, JSON.stringify(entry));
  }

  async list(limit: number, route?: string): Promise<AuditEntry[]> {
    const raw = await this.client.lrange(this.key, route ? -10_000 : -limit, -1);
    const entries = raw.map((r) => JSON.parse(r) as AuditEntry);
    return (route ? entries.filter((e) => e.route === route) : entries).slice(-limit);
  }
}
