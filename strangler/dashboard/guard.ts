/**
 * Who may call the admin API: a client with the admin token (CLI, scripts), or the dashboard's page with its session
 * cookie. A cookie alone is never enough for a change: an unsafe method also needs the session's CSRF token in
 * `x-strangler-csrf` and an `Origin` equal to the admin API's own, and is refused when the browser says the request
 * is cross-site (`Sec-Fetch-Site`). A page on another origin cannot read the CSRF token (no CORS headers are sent),
 * cannot send a custom header without a preflight the API never answers, and gets no cookie (SameSite=Strict).
 */
import type { Request, RequestHandler } from 'express';
import { AppError } from '../../lib/errors.ts';
import { presentedToken, tokenMatches } from '../admin/auth.ts';
import { parseCookies, sameSecret, SESSION_COOKIE, type Session, type Sessions } from './session.ts';

export const CSRF_HEADER = 'x-strangler-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RequestFacts {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  csrf: string | undefined;
}

export interface Refusal {
  /** Bounded (a metric label): cross-site, origin, csrf. */
  kind: 'cross-site' | 'origin' | 'csrf';
  message: string;
}

/** Why a browser request is refused as cross-site or from another origin, or null. Pure. */
export function originRefusal(f: RequestFacts, always: boolean): Refusal | null {
  if (f.secFetchSite !== undefined && f.secFetchSite !== 'same-origin' && f.secFetchSite !== 'none') return { kind: 'cross-site', message: `cross-site request refused (Sec-Fetch-Site: ${f.secFetchSite})` };
  if (!always && SAFE_METHODS.has(f.method.toUpperCase())) return null;
  if (f.origin === undefined || f.host === undefined) return { kind: 'origin', message: 'an action needs an Origin header' };
  let originHost: string;
  try {
    originHost = new URL(f.origin).host;
  } catch {
    return { kind: 'origin', message: 'an action needs a valid Origin header' };
  }
  if (originHost.toLowerCase() !== f.host.toLowerCase()) return { kind: 'origin', message: `an action from another origin is refused (${f.origin.slice(0, 100)})` };
  return null;
}

/** Why a cookie-authenticated request is refused, or null when it may proceed. Pure. */
export function cookieRequestRefusal(f: RequestFacts, session: Pick<Session, 'csrf'>): Refusal | null {
  const o = originRefusal(f, false);
  if (o !== null || SAFE_METHODS.has(f.method.toUpperCase())) return o;
  if (!sameSecret(session.csrf, f.csrf)) return { kind: 'csrf', message: `an action needs the session's ${CSRF_HEADER} header` };
  return null;
}

const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);

export function requestFacts(req: Request): RequestFacts {
  return { method: req.method, host: one(req.headers.host), origin: one(req.headers.origin), secFetchSite: one(req.headers['sec-fetch-site']), csrf: one(req.headers[CSRF_HEADER]) };
}

export function sessionOf(req: Request, sessions: Sessions): Session | undefined {
  return sessions.get(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
}

/**
 * Replaces the token-only check on the admin API: the token as before, else a dashboard session that passes
 * cookieRequestRefusal. The session's user becomes the audit actor (whatever `x-strangler-actor` the page sent).
 */
export function requireTokenOrSession(token: string, sessions: Sessions, onRefused: (r: Refusal, req: Request) => void = () => undefined): RequestHandler {
  return (req, _res, next) => {
    if (tokenMatches(token, presentedToken(req.headers))) return next();
    const s = sessionOf(req, sessions);
    if (s === undefined) return next(new AppError('UNAUTHENTICATED', 'A valid admin token is required (Authorization: Bearer <token>)'));
    const refusal = cookieRequestRefusal(requestFacts(req), s);
    if (refusal !== null) {
      onRefused(refusal, req);
      return next(new AppError('FORBIDDEN', refusal.message));
    }
    req.headers['x-strangler-actor'] = s.actor;
    next();
  };
}
