/**
 * The call being served, available to everything the handler awaits
 * (AsyncLocalStorage), so a service that calls another service propagates the
 * request id and the remaining deadline without threading them by hand.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger.ts';

export interface Actor {
  kind?: string;
  id?: string;
  shopId?: string;
}

/** What callers pass as the first argument (the IDL's RequestContext, all fields optional). */
export interface RequestContext {
  requestId?: string;
  actor?: Actor;
  timeoutMs?: number;
}

export interface CallInfo {
  service: string;
  method: string;
  requestId: string;
  actor?: Actor;
  /** epoch ms after which the caller no longer waits (from ctx.timeoutMs), or undefined */
  deadline?: number;
  logger: Logger;
}

const storage = new AsyncLocalStorage<CallInfo>();
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function runInCall<R>(info: CallInfo, fn: () => R): R {
  return storage.run(info, fn);
}

/** The call being served by this async context, if any. */
export function currentCall(): CallInfo | undefined {
  return storage.getStore();
}

/** A well-formed request id from the context, else a new one. */
export function ensureRequestId(id: unknown): string {
  return typeof id === 'string' && REQUEST_ID_RE.test(id) ? id : randomUUID();
}

/**
 * The context an outgoing call carries: the caller's fields win, then the call
 * being served (request id, actor); timeoutMs is the time left to `deadline`.
 */
export function outgoingContext(ctx: RequestContext | undefined, deadline: number, now = Date.now()): RequestContext {
  const served = currentCall();
  return {
    requestId: ensureRequestId(ctx?.requestId ?? served?.requestId),
    actor: ctx?.actor ?? served?.actor,
    timeoutMs: Math.max(1, Math.round(deadline - now)),
  };
}
