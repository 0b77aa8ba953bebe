/**
 * The per-request mode decision (pure: randomness, time and breaker state are
 * inputs). Says where the primary request goes, whether a shadow copy and a
 * noise copy are sent, and whether a failed service answer falls back to legacy.
 */
import type { Breaker } from './breaker.ts';
import { inCanary } from './sticky.ts';
import { SAFE_METHODS, type RouteSpec } from './table/schema.ts';

export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export interface Decision {
  /** Upstream name of the primary request. */
  primary: string;
  target: 'legacy' | 'service';
  /** Upstream name for the shadow copy, if one is sent. */
  shadow: string | null;
  /** Send a second copy to legacy to measure noise (legacy vs itself). */
  noise: boolean;
  /** On 5xx/timeout/connection error from the service, answer from legacy instead. */
  fallback: boolean;
  /** The service request is a half-open breaker probe. */
  probe: boolean;
  /**
   * Fallback would apply but legacy's copy of the route's domain is stale (split cut over, or the split state is
   * unknown): a failing service answer is passed on and counted as `stale-fallback-refused`.
   */
  staleRefused: boolean;
  /** The breaker is open and legacy is stale: the facade answers 503 itself instead of sending anything. */
  refuse: boolean;
  reason: string;
}

export interface DecideInput {
  method: string;
  stickyKey: () => string;
  /** Shadow copies currently in flight for this route. */
  shadowInFlight: number;
  /** Legacy's copy of the route's data is stale (ownership-watch.ts `legacyStale`); default false. */
  legacyStale?: boolean;
}

export interface DecideDeps {
  rand: () => number;
  now: () => number;
  breaker: Breaker;
}

function legacy(route: RouteSpec, reason: string): Decision {
  return { primary: route.legacy, target: 'legacy', shadow: null, noise: false, fallback: false, probe: false, staleRefused: false, refuse: false, reason };
}

export function decide(route: RouteSpec, input: DecideInput, deps: DecideDeps): Decision {
  const service = route.service;
  switch (route.mode) {
    case 'legacy':
      return legacy(route, 'mode');
    case 'shadow': {
      const d = legacy(route, 'mode');
      if (!service) return d;
      const safe = SAFE_METHODS.has(input.method);
      if (!safe && route.shadow.writes !== 'dark-copy') return { ...d, reason: 'write-not-shadowed' };
      if (input.shadowInFlight >= route.shadow.maxConcurrency) return { ...d, reason: 'shadow-saturated' };
      if (!(deps.rand() < route.shadow.sample)) return { ...d, reason: 'not-sampled' };
      d.shadow = service;
      d.noise = safe && deps.rand() < route.shadow.noiseSample;
      d.reason = 'shadowed';
      return d;
    }
    case 'canary':
      if (!service) return legacy(route, 'mode');
      if (!inCanary(route.percent, route.id, input.stickyKey())) return legacy(route, 'canary-out');
      return toService(route, service, input, deps, 'canary-in');
    case 'service':
      if (!service) return legacy(route, 'mode');
      return toService(route, service, input, deps, 'mode');
  }
}

function toService(route: RouteSpec, service: string, input: DecideInput, deps: DecideDeps, reason: string): Decision {
  const admit = deps.breaker.admit(deps.now());
  const stale = input.legacyStale === true;
  if (admit === 'no') {
    // an open breaker sends everything to legacy; with a stale (fenced) legacy copy that is the stale answer itself
    if (stale) return { ...legacy(route, 'breaker-open-stale'), primary: service, target: 'service', refuse: true };
    return legacy(route, 'breaker-open');
  }
  const wouldFallBack = route.fallback && SAFE_METHODS.has(input.method);
  return {
    primary: service,
    target: 'service',
    shadow: null,
    noise: false,
    fallback: wouldFallBack && !stale,
    probe: admit === 'probe',
    staleRefused: wouldFallBack && stale,
    refuse: false,
    reason,
  };
}
