import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logger.ts';
import { startFacade } from '../../strangler/index.ts';
import { ROUTES, serviceFor } from './scenario.ts';
import type { ServiceStack } from './stack.ts';

/**
 * The facade in front of legacy and the service edges, with every route the
 * services take over in `service` mode (its own temp route file and audit
 * log), so the parity suite can go through it like a client would.
 */
export interface ParityFacade {
  url: string;
  close(): Promise<void>;
}

export async function startParityFacade(legacy: { user: string; admin: string; merchant: string }, stack: ServiceStack): Promise<ParityFacade> {
  const dir = await mkdtemp(join(tmpdir(), 'parity-facade-'));
  const routesFile = join(dir, 'routes.json');
  const doc = {
    version: 1,
    // names the route and upstream that served each answer (x-strangler-route), so the suite can prove the service answered
    options: { routeHeader: true },
    upstreams: {
      'legacy-user': { url: legacy.user, timeoutMs: 10_000 },
      'legacy-admin': { url: legacy.admin, timeoutMs: 10_000 },
      'legacy-merchant': { url: legacy.merchant, timeoutMs: 10_000 },
      product: { url: stack.product.httpUrl, timeoutMs: 5_000 },
      shop: { url: stack.shop.httpUrl, timeoutMs: 5_000 },
      user: { url: stack.user.httpUrl, timeoutMs: 5_000 },
    },
    fallbacks: [{ prefix: '/api', upstream: 'legacy-user' }, { prefix: '/admin', upstream: 'legacy-admin' }, { prefix: '/merchant', upstream: 'legacy-merchant' }],
    routes: Object.entries(ROUTES).map(([id, spec]) => {
      const [method, path] = spec.split(' ');
      const legacyName = path.startsWith('/admin') ? 'legacy-admin' : path.startsWith('/merchant') ? 'legacy-merchant' : 'legacy-user';
      return { id, methods: [method], path, legacy: legacyName, service: serviceFor(path), mode: 'service', fallback: false };
    }),
  };
  await writeFile(routesFile, JSON.stringify(doc, null, 2));
  const handle = await startFacade({
    host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, adminToken: 'parity-admin-token-0123456789',
    source: { kind: 'file', path: routesFile }, auditFile: join(dir, 'audit.jsonl'), bodyLimit: 1024 * 1024, captureLimit: 64 * 1024, shutdownGraceMs: 1000,
  }, { logger: silentLogger() });
  return {
    url: handle.url,
    async close() {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
