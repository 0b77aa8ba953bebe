/**
 * Dashboard sessions: log in once with the admin token, then an HttpOnly SameSite=Strict cookie carries a random
 * session id (never the token). Each session also has a CSRF token the page sends back in a header on every action.
 * Sessions live in memory (a restart logs everyone out), capped, with an idle-free absolute lifetime.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'strangler_session';
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** More live sessions than this: the oldest is dropped (a login loop cannot grow the map without bound). */
export const DEFAULT_MAX_SESSIONS = 1000;
/** Who the audit log names for a dashboard user: `dashboard:<name>`. */
export const ACTOR_NAME_RE = /^[\w.@-]{1,48}$/;

export interface Session {
  id: string;
  csrf: string;
  actor: string;
  expiresAt: number;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();
  readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: { ttlMs?: number; max?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.max = opts.max ?? DEFAULT_MAX_SESSIONS;
    this.now = opts.now ?? Date.now;
  }

  create(name: string): Session {
    const s: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), actor: `dashboard:${name}`, expiresAt: this.now() + this.ttlMs };
    this.byId.set(s.id, s);
    while (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value as string);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (s === undefined) return undefined;
    if (s.expiresAt <= this.now()) {
      this.byId.delete(id);
      return undefined;
    }
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}

/** `Cookie` header → name/value pairs (first wins; malformed pairs skipped). Pure. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (k in out) continue;
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // not URI-encoded: skipped
    }
  }
  return out;
}

/** The Set-Cookie value for a session (or, with maxAgeSeconds 0, for clearing it). Pure. */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function sameSecret(a: string, b: string | undefined): boolean {
  if (typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
