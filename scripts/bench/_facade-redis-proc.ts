/**
 * One facade instance for `npm run bench -- facade-scale`: the Redis route
 * source (shared by every instance of the run), seeded from argv's seed file.
 * argv: seedFile redisPrefix. Prints {"port":N,"adminPort":N}.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFacade } from '../../strangler/index.ts';
import { BENCH_ADMIN_TOKEN } from '../../strangler/bench/admin-token.ts';

const [seedFile, prefix] = process.argv.slice(2);
const dir = await mkdtemp(join(tmpdir(), 'strangler-scale-'));
const f = await startFacade({
  host: '127.0.0.1', port: 0, adminHost: '127.0.0.1', adminPort: 0, adminToken: process.env.SCALE_ADMIN_TOKEN ?? BENCH_ADMIN_TOKEN,
  source: { kind: 'redis', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: prefix!, seedFile: seedFile! },
  auditFile: join(dir, 'audit.jsonl'), stateDir: dir,
  bodyLimit: 1024 * 1024, captureLimit: 256 * 1024, shutdownGraceMs: 100,
});
process.stdout.write(JSON.stringify({ port: f.port, adminPort: f.adminPort }) + '\n');
process.on('SIGTERM', () => { f.close().finally(() => process.exit(0)); });
