/** Benchmark facade process: routes /bench/pass (legacy), /bench/svc (service), /bench/shadow (shadow, sample 1), /bench/shadow10 (sample 0.1). Prints {"port":N}. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFacade } from '../index.ts';
import { BENCH_ADMIN_TOKEN } from './admin-token.ts';

const [legacyPort, servicePort] = process.argv.slice(2).map(Number);
const dir = await mkdtemp(join(tmpdir(), 'strangler-bench-'));
const routes = join(dir, 'routes.json');
await writeFile(routes, JSON.stringify({
  version: 1,
  upstreams: {
    legacy: { url: `http://127.0.0.1:${legacyPort}`, pool: 128 },
    svc: { url: `http://127.0.0.1:${servicePort}`, pool: 128 },
  },
  fallbacks: [{ prefix: '/', upstream: 'legacy' }],
  routes: [
    { id: 'pass', methods: ['GET'], path: '/bench/pass', legacy: 'legacy', service: 'svc', mode: 'legacy' },
    { id: 'svc', methods: ['GET'], path: '/bench/svc', legacy: 'legacy', service: 'svc', mode: 'service' },
    { id: 'shadow', methods: ['GET'], path: '/bench/shadow', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { sample: 1, noiseSample: 0, maxConcurrency: 256 } },
    { id: 'shadow10', methods: ['GET'], path: '/bench/shadow10', legacy: 'legacy', service: 'svc', mode: 'shadow', shadow: { sample: 0.1, noiseSample: 0, maxConcurrency: 256 } },
  ],
}));
const f = await startFacade({
  host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, adminToken: BENCH_ADMIN_TOKEN,
  source: { kind: 'file', path: routes }, auditFile: join(dir, 'audit.jsonl'),
  bodyLimit: 1024 * 1024, captureLimit: 256 * 1024, shutdownGraceMs: 100,
});
process.stdout.write(JSON.stringify({ port: f.port, adminPort: f.adminPort }) + '\n');
process.on('SIGTERM', () => process.exit(0));
