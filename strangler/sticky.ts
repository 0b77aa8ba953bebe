/**
 * Sticky canary keys and buckets (pure; on the hot path: no JSON parse unless the token is a JWT).
 *
 * The key is, in order:
 *   1. the explicit `sticky` source of the table options (or the deprecated `stickyHeader`/`stickyCookie`),
 *      when the request carries it — configuration always beats the heuristics below;
 *   2. a bearer JWT's `sub` claim (decoded, NOT verified: see docs/facade.md), else the whole JWT;
 *   3. the user id leading a bearer token of exactly two segments `<userId>.<random>`;
 *   4. the whole bearer token;
 *   5. the client address: the socket's peer, or — only through configured trusted proxies — the first
 *      untrusted hop of X-Forwarded-For, walked from the right.
 * User ids (a JWT claim, a token prefix) share the `u:` key space, so a user keeps their side when their app
 * moves from `<id>.<random>` tokens to JWTs with the same `sub`.
 * The bucket is a salted FNV-1a hash, so raising the percentage keeps users already in the canary.
 */
import { BlockList, isIP } from 'node:net';

/** Where the sticky key comes from, when set explicitly (table `options.sticky`). */
export type StickySource =
  | { from: 'jwt'; claim: string }
  | { from: 'header'; name: string }
  | { from: 'cookie'; name: string }
  | { from: 'token-prefix' }
  | { from: 'address' };

export const STICKY_FROM = ['jwt', 'header', 'cookie', 'token-prefix', 'address'] as const;
export const DEFAULT_JWT_CLAIM = 'sub';
/** Claim values longer than this are not a user id (bucketed by the whole token instead). */
export const MAX_CLAIM_LENGTH = 512;
/** The leading id of `<userId>.<random>` is at most this long. */
export const MAX_TOKEN_PREFIX_LENGTH = 64;

/** The table options that shape the key (a subset of the table's `options`). */
export interface StickyOptions {
  sticky?: StickySource;
  /** @deprecated use `sticky: { from: 'header', name }` */
  stickyHeader?: string;
  /** @deprecated use `sticky: { from: 'cookie', name }` */
  stickyCookie?: string;
  /** IPs / CIDRs whose X-Forwarded-For entries are believed. */
  trustedProxies?: string[];
}

/** StickyOptions compiled once per table: explicit sources in order, and the trusted proxy set. */
export interface StickyConfig {
  sources: StickySource[];
  trusted: BlockList | null;
}

/** Checks one trusted-proxy entry (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`); returns a message, or null if fine. */
export function proxyEntryError(entry: string): string | null {
  const slash = entry.indexOf('/');
  const addr = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return `"${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8)`;
  if (slash !== -1) {
    const bits = entry.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}": the prefix length must be 0..${max}`;
  }
  return null;
}

/** Builds the trusted set; entries must have passed proxyEntryError. */
export function trustedSet(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const e of entries) {
    const slash = e.indexOf('/');
    const addr = slash === -1 ? e : e.slice(0, slash);
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (slash === -1) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(e.slice(slash + 1)), type);
  }
  return list;
}

export function compileSticky(opts: StickyOptions, extraTrusted: readonly string[] = []): StickyConfig {
  const sources: StickySource[] = [];
  if (opts.sticky !== undefined) sources.push(opts.sticky);
  if (opts.stickyHeader !== undefined) sources.push({ from: 'header', name: opts.stickyHeader.toLowerCase() });
  if (opts.stickyCookie !== undefined) sources.push({ from: 'cookie', name: opts.stickyCookie });
  const trusted = [...(opts.trustedProxies ?? []), ...extraTrusted].filter((e) => proxyEntryError(e) === null);
  return { sources, trusted: trustedSet(trusted) };
}

const compiled = new WeakMap<object, { extra: readonly string[]; config: StickyConfig }>();

/** compileSticky, once per options object (the table's options are replaced as a whole on reload). */
export function stickyConfig(opts: StickyOptions, extraTrusted: readonly string[] = []): StickyConfig {
  const hit = compiled.get(opts);
  if (hit !== undefined && hit.extra === extraTrusted) return hit.config;
  const config = compileSticky(opts, extraTrusted);
  compiled.set(opts, { extra: extraTrusted, config });
  return config;
}

export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearerToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth !== 'string' || auth.length <= 7 || auth.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = auth.slice(7).trim();
  return token === '' ? undefined : token;
}

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The payload of a JWT (three base64url segments whose header is JSON with `alg`), decoded and NOT verified;
 * null for anything else. Cheap rejection first: a JSON header starts with `{`, so its base64url starts with `e`.
 */
export function jwtPayload(token: string): Record<string, unknown> | null {
  if (token.charCodeAt(0) !== 101 /* e */) return null;
  const d1 = token.indexOf('.');
  if (d1 <= 0) return null;
  const d2 = token.indexOf('.', d1 + 1);
  if (d2 === -1 || d2 === d1 + 1 || token.indexOf('.', d2 + 1) !== -1) return null;
  const header = decodeJson(token.slice(0, d1));
  if (typeof header !== 'object' || header === null || typeof (header as { alg?: unknown }).alg !== 'string') return null;
  const payload = decodeJson(token.slice(d1 + 1, d2));
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  return payload as Record<string, unknown>;
}

/** A claim usable as a user id: a non-empty string (bounded) or a finite number. */
function claimValue(payload: Record<string, unknown>, claim: string): string | undefined {
  if (!Object.hasOwn(payload, claim)) return undefined;
  const v = payload[claim];
  if (typeof v === 'string') return v !== '' && v.length <= MAX_CLAIM_LENGTH ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** `<id>` of a bearer token `<id>.<rest>` (any number of dots when asked explicitly; exactly one by default). */
function tokenPrefix(token: string, oneDotOnly: boolean): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > MAX_TOKEN_PREFIX_LENGTH) return undefined;
  if (oneDotOnly && (dot === token.length - 1 || token.indexOf('.', dot + 1) !== -1)) return undefined;
  return token.slice(0, dot);
}

/** An address as a bare IP: strips an IPv4-mapped prefix, `[v6]:port` brackets and a `v4:port` port. */
export function normalizeAddress(raw: string): string {
  let a = raw.trim();
  if (a.charCodeAt(0) === 91 /* [ */) {
    const close = a.indexOf(']');
    if (close !== -1) a = a.slice(1, close);
  } else {
    const colon = a.indexOf(':');
    if (colon !== -1 && a.indexOf(':', colon + 1) === -1) a = a.slice(0, colon); // v4:port
  }
  if (a.length > 7 && a.slice(0, 7).toLowerCase() === '::ffff:' && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}

/** Whether the socket peer is one of the configured trusted proxies (whose x-forwarded-* headers are kept). */
export function peerTrusted(config: StickyConfig, remoteAddress: string | undefined): boolean {
  return config.trusted !== null && remoteAddress !== undefined && isTrusted(config.trusted, normalizeAddress(remoteAddress));
}

function isTrusted(trusted: BlockList, addr: string): boolean {
  const family = isIP(addr);
  return family !== 0 && trusted.check(addr, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the socket peer, unless that peer is a trusted proxy; then X-Forwarded-For is walked
 * from the right, skipping trusted hops, and the first untrusted entry is the client (all trusted: the leftmost).
 * Without trusted proxies X-Forwarded-For is never read. The facade appends the peer to X-Forwarded-For before
 * this runs; that duplicate is harmless (an untrusted peer returns first, a trusted one is skipped).
 */
export function clientAddress(headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined, trusted: BlockList | null): string {
  let addr = normalizeAddress(remoteAddress ?? '');
  if (trusted === null || !isTrusted(trusted, addr)) return addr;
  const raw = headers['x-forwarded-for'];
  if (raw === undefined) return addr;
  const hops = (Array.isArray(raw) ? raw.join(',') : raw).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i].trim();
    if (hop === '') continue;
    const a = normalizeAddress(hop);
    if (!isTrusted(trusted, a)) return a;
    addr = a;
  }
  return addr;
}

function explicitKey(src: StickySource, headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined, trusted: BlockList | null): string | undefined {
  switch (src.from) {
    case 'header': {
      const v = headers[src.name];
      return typeof v === 'string' && v !== '' ? 'h:' + v : undefined;
    }
    case 'cookie': {
      const c = cookieValue(typeof headers.cookie === 'string' ? headers.cookie : undefined, src.name);
      return c ? 'c:' + c : undefined;
    }
    case 'jwt': {
      const token = bearerToken(headers);
      const payload = token === undefined ? null : jwtPayload(token);
      const v = payload === null ? undefined : claimValue(payload, src.claim);
      return v === undefined ? undefined : 'u:' + v;
    }
    case 'token-prefix': {
      const token = bearerToken(headers);
      const id = token === undefined ? undefined : tokenPrefix(token, false);
      return id === undefined ? undefined : 'u:' + id;
    }
    case 'address':
      return 'ip:' + clientAddress(headers, remoteAddress, trusted);
  }
}

export function stickyKey(headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined, config: StickyConfig): string {
  const sources = config.sources;
  for (let i = 0; i < sources.length; i++) {
    const k = explicitKey(sources[i], headers, remoteAddress, config.trusted);
    if (k !== undefined) return k;
  }
  const token = bearerToken(headers);
  if (token !== undefined) {
    const payload = jwtPayload(token);
    if (payload !== null) {
      const sub = claimValue(payload, DEFAULT_JWT_CLAIM);
      return sub === undefined ? 't:' + token : 'u:' + sub;
    }
    const id = tokenPrefix(token, true);
    return id === undefined ? 't:' + token : 'u:' + id;
  }
  return 'ip:' + clientAddress(headers, remoteAddress, config.trusted);
}

/** 32-bit FNV-1a over salt + key. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Bucket in [0, 10000): in the canary when bucket < percent * 100. */
export function canaryBucket(salt: string, key: string): number {
  return fnv1a(salt + '\u0000' + key) % 10_000;
}

export function inCanary(percent: number, salt: string, key: string): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return canaryBucket(salt, key) < Math.round(percent * 100);
}
