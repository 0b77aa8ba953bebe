/**
 * Redis route source (many instances): the document is a JSON string under
 * `<prefix>routes`; every write publishes on `<prefix>routes:changed`, and each
 * instance re-reads the key on a message, on (re)connect and on a slow poll, so
 * instances converge within a second and catch up after an outage. While Redis
 * is down the last good table keeps serving and ioredis keeps reconnecting.
 * Writes are compare-and-set on the version (Lua), then published.
 *
 * It never goes back (docs/facade.md "Redis source during outages"): the table
 * applied last is remembered in a local file (`stateFile`), served when Redis is
 * unreachable at start (instead of the seed), and the controller refuses any
 * table older than it (`monotonic`). A missing key (Redis restarted empty,
 * flushed) is seeded again, with SET NX, from the table applied last.
 */
import { Redis } from 'ioredis';
import { LastAppliedStore } from './last-applied.ts';
import { docVersion, UnreadableDocument, VersionConflict, type RouteSource, type SourceStatus } from './types.ts';

export const DEFAULT_REDIS_PREFIX = 'strangler:';
export const DEFAULT_REDIS_POLL_MS = 5_000;
export const DEFAULT_RECONNECT_MAX_MS = 1_000;

const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, doc = pcall(cjson.decode, cur)
  local v = 0
  if ok and type(doc) == 'table' and doc.version then v = tonumber(doc.version) end
  if v ~= tonumber(ARGV[2]) then return redis.error_reply('CONFLICT ' .. tostring(v)) end
elseif tonumber(ARGV[2]) ~= -1 and tonumber(ARGV[2]) ~= 0 then
  return redis.error_reply('CONFLICT none')
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[3])
return 'OK'
`;

export interface RedisSourceOptions {
  url: string;
  prefix?: string;
  /** Document used when the key does not exist yet (written with SET NX) and nothing was applied before; served if Redis is down at the first start. */
  seed?: unknown;
  pollMs?: number;
  /** Local file remembering the table applied last (next to the audit file: last-applied.ts). */
  stateFile?: string;
}

export class RedisSource implements RouteSource {
  readonly kind = 'redis' as const;
  readonly monotonic = true;
  readonly key: string;
  readonly channel: string;
  private readonly opts: RedisSourceOptions;
  readonly client: Redis;
  private readonly sub: Redis;
  private onChange: ((doc: unknown) => void) | null = null;
  private lastText: string | null = null;
  private lastError: string | null = null;
  private lastLoadAt: string | null = null;
  private poller: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly store: LastAppliedStore | null;
  /** Remembered from an earlier run (read by start). */
  private rememberedDoc: unknown = null;
  /** The table this instance applied last (this run), used to re-seed a missing key. */
  private lastApplied: unknown = null;
  private rememberProblem: string | null = null;

  constructor(opts: RedisSourceOptions) {
    this.opts = opts;
    const prefix = opts.prefix ?? DEFAULT_REDIS_PREFIX;
    this.key = `${prefix}routes`;
    this.channel = `${prefix}routes:changed`;
    this.store = opts.stateFile ? new LastAppliedStore(opts.stateFile) : null;
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), DEFAULT_RECONNECT_MAX_MS),
    };
    this.client = new Redis(opts.url, common);
    this.sub = new Redis(opts.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
    for (const c of [this.client, this.sub]) {
      c.on('error', (err: Error) => {
        this.lastError = err.message;
      });
    }
    this.client.on('ready', () => {
      if (this.onChange) void this.refresh();
    });
    this.sub.on('message', (channel: string) => {
      if (channel === this.channel) void this.refresh();
    });
  }

  /** What a missing key is seeded with: the table applied last (this run, else remembered), else the seed. */
  private seedDoc(): unknown {
    return this.lastApplied ?? this.rememberedDoc ?? this.opts.seed;
  }

  async start(onChange: (doc: unknown) => void): Promise<unknown> {
    let doc: unknown;
    if (this.store) {
      try {
        this.rememberedDoc = await this.store.read();
      } catch (err) {
        this.rememberProblem = (err as Error).message; // unreadable: as if none (the seed rules); the controller warns
      }
    }
    try {
      await Promise.all([this.client.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel);
      const text = (await this.client.get(this.key)) ?? (await this.seedEmptyKey());
      if (text === null) throw new Error(`${this.key} is empty and no seed document was given`);
      this.lastText = text;
      this.lastLoadAt = new Date().toISOString();
      this.lastError = null;
      doc = JSON.parse(text);
    } catch (err) {
      const fallback = this.rememberedDoc ?? this.opts.seed;
      if (fallback === undefined || fallback === null) {
        await this.close();
        throw err;
      }
      // Redis is unreachable: serve the table applied last (else the seed); reconnecting will catch up.
      this.lastError = (err as Error).message;
      doc = fallback;
      if (this.sub.status !== 'end') this.sub.subscribe(this.channel).catch(() => undefined);
    }
    this.onChange = onChange;
    this.poller = setInterval(() => void this.refresh(), this.opts.pollMs ?? DEFAULT_REDIS_POLL_MS);
    this.poller.unref();
    return doc;
  }

  /** Re-reads the key; delivers the document if it changed. Errors leave the last good table in place. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    let text: string | null;
    try {
      text = await this.client.get(this.key);
    } catch (err) {
      this.lastError = (err as Error).message;
      return;
    }
    this.lastError = null;
    if (text === null) {
      // the key is gone (Redis restarted empty, or flushed): put back the table in force
      try {
        await this.seedEmptyKey();
      } catch (err) {
        this.lastError = (err as Error).message;
      }
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    this.lastLoadAt = new Date().toISOString();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      doc = new UnreadableDocument(`${this.key}: not valid JSON: ${(err as Error).message}`);
    }
    this.onChange?.(doc);
  }

  async write(doc: unknown, expectedVersion: number): Promise<void> {
    const text = JSON.stringify(doc);
    try {
      await this.client.eval(CAS_SCRIPT, 2, this.key, this.channel, text, String(expectedVersion), String(docVersion(doc)));
    } catch (err) {
      const m = /CONFLICT (\S+)/.exec((err as Error).message);
      if (m) throw new VersionConflict(expectedVersion, m[1]);
      throw err;
    }
    this.lastText = text;
    this.lastLoadAt = new Date().toISOString();
  }

  /**
   * Writes the table in force under a missing key (SET NX: another instance may have been first) and tells the
   * others; returns what the key holds afterwards, or null when there is nothing to seed with.
   */
  private async seedEmptyKey(): Promise<string | null> {
    const doc = this.seedDoc();
    if (doc === undefined || doc === null) return null;
    const text = JSON.stringify(doc);
    const set = await this.client.set(this.key, text, 'NX');
    if (set === 'OK') {
      this.lastText = text;
      await this.client.publish(this.channel, String(docVersion(doc)));
      return text;
    }
    return this.client.get(this.key);
  }

  async current(): Promise<unknown> {
    const text = (await this.client.get(this.key)) ?? (await this.seedEmptyKey());
    if (text === null) throw new Error(`${this.key} is empty and there is no table to seed it with`);
    this.lastText = text;
    return JSON.parse(text);
  }

  remembered(): unknown {
    return this.rememberedDoc;
  }

  rememberedProblem(): string | null {
    return this.rememberProblem;
  }

  async applied(table: unknown): Promise<void> {
    this.lastApplied = table;
    if (this.store) await this.store.write(table);
  }

  status(): SourceStatus {
    const healthy = this.client.status === 'ready' && this.sub.status === 'ready';
    return { kind: 'redis', healthy, detail: `${this.key} (client ${this.client.status}, subscriber ${this.sub.status})`, lastError: healthy ? null : this.lastError, lastLoadAt: this.lastLoadAt };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    this.client.disconnect();
    this.sub.disconnect();
    await this.store?.idle();
  }
}
