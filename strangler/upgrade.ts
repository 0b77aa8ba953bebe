/**
 * Upgrades (WebSocket and others) on the same rules as ordinary requests: protocol and target checks, route match and
 * decision (no shadow), forwarded headers from `prepareForwardHeaders`, a connect and a handshake deadline (→ 504), a
 * cap on open upgraded connections per upstream (→ 503), and both sides torn down when either closes, ends or fails.
 *
 * The upstream side is a plain node:http request with `agent: false` rather than http-proxy-middleware's stock ws
 * pass: that pass has no handshake timeout, forwards the client's headers untouched, and leaves the client side
 * half-open when the upstream hangs; owning the ~100 lines here makes every deadline and teardown explicit.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { closeSoon, rawJsonError, WarnLimiter, type ConnectionGuard, type ConnectionLimits } from './connections.ts';
import { decide } from './decide.ts';
import type { FacadeDeps } from './facade.ts';
import { checkProtocol, checkRequestTarget, prepareForwardHeaders, takeRequestId } from './headers.ts';
import { normaliseTarget } from './table/normalize.ts';
import type { FacadeMetrics } from './metrics.ts';
import { peerTrusted, stickyConfig, stickyKey } from './sticky.ts';

export interface UpgradeDeps extends Pick<FacadeDeps, 'active' | 'stats' | 'rand' | 'now' | 'logger' | 'trustedProxies' | 'ownership'> {
  metrics: FacadeMetrics;
  guard: ConnectionGuard;
  limits: Pick<ConnectionLimits, 'upgradeTimeoutMs' | 'maxUpgradesPerUpstream'>;
}

/** Response headers of a refused upgrade that are not passed on (framing and connection are ours to set). */
const REFUSED_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'trailer']);

function statusLine(res: IncomingMessage): string {
  return `HTTP/1.1 ${res.statusCode} ${(res.statusMessage ?? '').replace(/[\r\n]/g, '')}\r\n`;
}

function rawHeaderLines(raw: string[], skip: Set<string> | null): string {
  let out = '';
  for (let i = 0; i < raw.length; i += 2) {
    if (skip !== null && skip.has(raw[i].toLowerCase())) continue;
    out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  return out;
}

/** Ties two sockets: an end on one ends the other (then both are destroyed); a close or error on one destroys both. */
function tie(a: Socket, b: Socket): void {
  a.once('end', () => closeSoon(b));
  b.once('end', () => closeSoon(a));
  a.once('close', () => b.destroy());
  b.once('close', () => a.destroy());
  a.pipe(b, { end: false });
  b.pipe(a, { end: false });
}

export function createUpgradeHandler(deps: UpgradeDeps, open: Set<Socket>): (req: IncomingMessage, socket: Socket, head: Buffer) => void {
  const trusted = deps.trustedProxies ?? []; // one array: stickyConfig caches per (options, trusted list)
  const { metrics, guard, limits } = deps;
  const openPerUpstream = new Map<string, number>();
  const warns = new WarnLimiter(deps.logger);

  return function upgrade(req, socket, head) {
    socket.on('error', () => socket.destroy());
    guard.markUpgraded(socket);
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const requestId = takeRequestId(req.headers);
    const reject = (status: number, code: string, message: string, upstream: string, result: string) => {
      metrics.upgrades.inc({ upstream, result });
      closeSoon(socket, rawJsonError(status, code, message, requestId));
    };
    if (guard.shuttingDown) return reject(503, 'SHUTTING_DOWN', 'The facade is shutting down', '', 'rejected');
    const proto = checkProtocol(req.httpVersionMajor, req.rawHeaders) ?? checkRequestTarget(req.url);
    if (proto !== null) return reject(proto.status, proto.code, proto.message, '', 'rejected');
    // the same form of the target is matched and forwarded as for ordinary requests (docs/facade.md "Path matching")
    const target = normaliseTarget(req.url);
    if (target.url !== req.url) req.url = target.url;
    const path = target.path;
    const active = deps.active();
    const m = active.compiled.match(req.method!, req.headers.host, path, req.headers);
    if (m === null) return reject(404, 'ROUTE_NOT_FOUND', `No route for ${req.method} ${path}`, '', 'rejected');
    let name = m.kind === 'fallback' ? m.upstream : m.route.spec.legacy;
    // the path sent upstream: the route's `rewrite` applies on the service side only, as for ordinary requests
    let upstreamPath = req.url!;
    if (m.kind === 'route') {
      const stats = deps.stats.get(m.route.id);
      const opts = active.compiled.table.options;
      const d = decide(m.route.spec, { method: req.method!, stickyKey: () => stickyKey(req.headers, socket.remoteAddress, stickyConfig(opts, trusted)), shadowInFlight: Infinity,
        legacyStale: deps.ownership !== undefined && deps.ownership.legacyStale(m.route.spec) },
        { rand: deps.rand, now: deps.now, breaker: stats.breaker ?? stats.ensureBreaker(m.route.spec.breaker) });
      if (d.refuse) {
        stats.recordFallbackRefused('stale-fallback-refused');
        warns.warn(`stale:${m.route.id}`, { route: m.route.id, requestId, domain: m.route.spec.domain }, 'upgrade refused: breaker open and legacy\'s copy of the domain is stale');
        return reject(503, 'SERVICE_UNAVAILABLE', 'The service is unavailable (circuit open) and legacy\'s copy of this data is stale', d.primary, 'rejected');
      }
      name = d.primary;
      if (d.target === 'service' && m.route.rewrite) upstreamPath = m.route.rewrite(req.url!);
      if (d.probe) stats.breaker?.cancelProbe();
    }
    const up = active.upstreams.get(name);
    if (up === undefined) return reject(502, 'BAD_GATEWAY', 'The upstream service failed', name, 'error');

    const count = openPerUpstream.get(name) ?? 0;
    if (count >= limits.maxUpgradesPerUpstream) {
      warns.warn(`cap:${name}`, { upstream: name, requestId, limit: limits.maxUpgradesPerUpstream }, 'upgrade refused: upstream at its cap of open upgrades');
      return reject(503, 'UPGRADE_LIMIT', 'Too many open upgraded connections to this upstream', name, 'capped');
    }
    openPerUpstream.set(name, count + 1);
    const gauge = metrics.upgradesOpen.labels(name);
    gauge.inc();
    socket.once('close', () => {
      gauge.dec();
      const n = (openPerUpstream.get(name) ?? 1) - 1;
      if (n <= 0) openPerUpstream.delete(name);
      else openPerUpstream.set(name, n);
    });

    const upgradeToken = req.headers.upgrade;
    const headers = req.headers;
    prepareForwardHeaders(headers, requestId, socket.remoteAddress, (socket as TLSSocket).encrypted === true, peerTrusted(stickyConfig(active.compiled.table.options, trusted), socket.remoteAddress));
    headers.connection = 'upgrade';
    if (upgradeToken !== undefined) headers.upgrade = upgradeToken;

    let phase: 'handshake' | 'refused' | 'upgraded' | 'failed' = 'handshake';
    const fail = (kind: 'timeout' | 'error' | 'aborted', err?: unknown) => {
      if (phase !== 'handshake' && phase !== 'refused') return;
      const wasRefused = phase === 'refused';
      phase = 'failed';
      clearTimeout(deadline);
      clearTimeout(connectDeadline);
      proxyReq.destroy();
      metrics.upgrades.inc({ upstream: name, result: kind });
      if (kind === 'aborted') return;
      if (kind === 'timeout') metrics.connectionTimeouts.inc({ kind: 'upgrade' });
      warns.warn(`fail:${name}:${kind}`, { upstream: name, requestId, err }, kind === 'timeout' ? 'upgrade handshake timed out' : 'upgrade to the upstream failed');
      if (wasRefused) socket.destroy();
      else if (kind === 'timeout') closeSoon(socket, rawJsonError(504, 'GATEWAY_TIMEOUT', 'The upstream service did not answer in time', requestId));
      else closeSoon(socket, rawJsonError(502, 'BAD_GATEWAY', 'The upstream service failed', requestId));
    };

    const send = up.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let proxyReq: ClientRequest;
    try {
      proxyReq = send({
        protocol: up.url.protocol, hostname: up.url.hostname, port: up.url.port || undefined,
        method: req.method, path: upstreamPath, headers: headers as OutgoingHttpHeaders, agent: false,
      });
    } catch (err) {
      // node's client refuses some header values llhttp let through
      phase = 'failed';
      warns.warn(`headers:${name}`, { upstream: name, requestId, err }, 'upgrade request headers could not be forwarded');
      return reject(400, 'BAD_REQUEST', 'The request headers could not be forwarded', name, 'rejected');
    }
    const deadline = setTimeout(() => fail('timeout'), limits.upgradeTimeoutMs);
    const connectDeadline = setTimeout(() => fail('timeout'), up.spec.connectTimeoutMs);
    proxyReq.once('socket', (s: Socket) => {
      if (!s.connecting) clearTimeout(connectDeadline);
      else s.once('connect', () => clearTimeout(connectDeadline));
    });
    socket.once('close', () => fail('aborted'));
    proxyReq.on('error', (err) => fail('error', err));

    proxyReq.once('upgrade', (res: IncomingMessage, proxySocket: Socket, proxyHead: Buffer) => {
      if (phase !== 'handshake' || socket.destroyed) {
        proxySocket.destroy();
        return;
      }
      phase = 'upgraded';
      clearTimeout(deadline);
      clearTimeout(connectDeadline);
      metrics.upgrades.inc({ upstream: name, result: 'upgraded' });
      proxySocket.on('error', () => proxySocket.destroy());
      proxySocket.setTimeout(0);
      proxySocket.setNoDelay(true);
      socket.setNoDelay(true);
      socket.write(statusLine(res) + rawHeaderLines(res.rawHeaders, null) + '\r\n');
      if (proxyHead.length > 0) socket.write(proxyHead);
      if (head.length > 0) proxySocket.write(head);
      tie(socket, proxySocket);
    });

    proxyReq.once('response', (res: IncomingMessage) => {
      // the upstream answered without switching protocols: pass its answer on (close-delimited), then close
      if (phase !== 'handshake') {
        res.destroy();
        return;
      }
      phase = 'refused';
      clearTimeout(connectDeadline);
      metrics.upgrades.inc({ upstream: name, result: 'refused' });
      res.on('error', () => socket.destroy());
      socket.write(statusLine(res) + rawHeaderLines(res.rawHeaders, REFUSED_HOP) + `connection: close\r\n\r\n`);
      res.pipe(socket, { end: false });
      res.once('end', () => {
        clearTimeout(deadline);
        phase = 'failed';
        closeSoon(socket);
      });
    });

    proxyReq.end();
  };
}
