/**
 * Redis route source (many instances): the document is a JSON string under
 * `<prefix>routes`; every write publishes on `<prefix>routes:changed`, and each
 * instance re-reads the key on a message, on (re)connect and on a slow poll, so
 * instances converge within a second and catch up after an outage. While Redis
 * is down the last good table keeps serving and ioredis keeps reconnecting.
 * Writes are compare-and-set on the version (Lua), then published.
 */
import { Redis } from 'ioredis';
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
  /** Document used when the key does not exist yet (written with SET NX), and served if Redis is down at start. */
  seed?: unknown;
  pollMs?: number;
}

export class RedisSource implements RouteSource {
  readonly kind = 'redis' as const;
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

  constructor(opts: RedisSourceOptions) {
    this.opts = opts;
    const prefix = opts.prefix ?? DEFAULT_REDIS_PREFIX;
    this.key = `${prefix}routes`;
    this.channel = `${prefix}routes:changed`;
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

  async start(onChange: (doc: unknown) => void): Promise<unknown> {
    let doc: unknown;
    try {
      await Promise.all([this.client.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel);
      if (this.opts.seed !== undefined) await this.client.set(this.key, JSON.stringify(this.opts.seed), 'NX');
      const text = await this.client.get(this.key);
      if (text === null) throw new Error(`${this.key} is empty and no seed document was given`);
      this.lastText = text;
      this.lastLoadAt = new Date().toISOString();
      this.lastError = null;
      doc = JSON.parse(text);
    } catch (err) {
      if (this.opts.seed === undefined) {
        await this.close();
        throw err;
      }
      // Redis is unreachable: serve the seed; reconnecting will catch up.
      this.lastError = (err as Error).message;
      doc = this.opts.seed;
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
    if (text === null || text === this.lastText) return;
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

  async current(): Promise<unknown> {
    const text = await this.client.get(this.key);
    if (text === null) throw new Error(`${this.key} is empty`);
    this.lastText = text;
    return JSON.parse(text);
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
  }
}
