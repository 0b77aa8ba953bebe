/**
 * Sticky canary keys and buckets (pure). The key is, in order: the user id
 * leading a bearer token `<userId>.<random>`, a configured header, a configured
 * cookie, the whole bearer token, the client address. The bucket is a salted
 * FNV-1a hash, so raising the percentage keeps users already in the canary.
 */
export interface StickyOptions {
  stickyHeader?: string;
  stickyCookie?: string;
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

export function stickyKey(headers: Record<string, string | string[] | undefined>, remoteAddress: string | undefined, opts: StickyOptions): string {
  const auth = headers.authorization;
  let token: string | undefined;
  if (typeof auth === 'string' && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    token = auth.slice(7).trim();
    const dot = token.indexOf('.');
    if (dot > 0 && dot <= 64) return 'u:' + token.slice(0, dot);
  }
  if (opts.stickyHeader) {
    const v = headers[opts.stickyHeader];
    if (typeof v === 'string' && v) return 'h:' + v;
  }
  if (opts.stickyCookie) {
    const c = cookieValue(typeof headers.cookie === 'string' ? headers.cookie : undefined, opts.stickyCookie);
    if (c) return 'c:' + c;
  }
  if (token) return 't:' + token;
  return 'ip:' + (remoteAddress ?? '');
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
