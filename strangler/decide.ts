/**
 * The per-request mode decision (pure: randomness, time and breaker state are
 * inputs). Says where the primary request goes, whether a shadow copy and a
 * noise copy are sent, and whether a failed service answer falls back to legacy.
 */
import type { Breaker } from './breaker.ts';
import { inCanary } from './sticky.ts';
import type { RouteSpec } from './table/schema.ts';

export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
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
  reason: string;
}

export interface DecideInput {
  method: string;
  stickyKey: () => string;
  /** Shadow copies currently in flight for this route. */
  shadowInFlight: number;
}

export interface DecideDeps {
  rand: () => number;
  now: () => number;
  breaker: Breaker;
}

function legacy(route: RouteSpec, reason: string): Decision {
  return { primary: route.legacy, target: 'legacy', shadow: null, noise: false, fallback: false, probe: false, reason };
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
  if (admit === 'no') return legacy(route, 'breaker-open');
  return {
    primary: service,
    target: 'service',
    shadow: null,
    noise: false,
    fallback: route.fallback && SAFE_METHODS.has(input.method),
    probe: admit === 'probe',
    reason,
  };
}
