/**
 * `node services/search/cli.ts reindex [--restart] [--batch N] [--queue]`: full reindex
 * of the configured backend from the configured product source (same env as
 * the service). Prints progress; Ctrl-C stops after the batch in flight and
 * the next run resumes from the checkpoint. `status` prints the last runs.
 * Errors: one line, exit code 1 (2 for usage).
 */
import { Queue } from 'bullmq';
import { Command, InvalidArgumentError } from 'commander';
import { createRedis } from '../../lib/events/queues.ts';
import { parseConfig } from '../../lib/config.ts';
import { createKnex, ensureDatabase } from '../../lib/db.ts';
import { silentLogger } from '../../lib/logger.ts';
import { migrateLatest } from '../../lib/migrate.ts';
import { closeServiceClients, createServiceClients } from '../../rpc/index.ts';
import { parseHostPort } from '../common/config.ts';
import { openBackend } from './backend-factory.ts';
import { searchConfigSchema } from './config.ts';
import { ReindexRunStore } from './repository.ts';
import { DEFAULT_REINDEX_BATCH, runReindex } from './reindex.ts';
import { enqueueReindex, SEARCH_MAINTENANCE_QUEUE } from './reindex-worker.ts';
import { KnexProductSource, type ProductSource } from './source.ts';
import { ThriftProductSource, type ProductApi } from './thrift-source.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be an integer 1..10000');
  return n;
}

/** Hands the reindex to the running search services (BullMQ job; progress in the job). */
async function enqueue(opts: { restart?: boolean; batch: number }): Promise<void> {
  const config = parseConfig(searchConfigSchema, process.env);
  const redis = createRedis(config.REDIS_URL, 'producer');
  const queue = new Queue(SEARCH_MAINTENANCE_QUEUE, { connection: redis, prefix: config.QUEUE_PREFIX });
  try {
    const job = await enqueueReindex(queue, { restart: opts.restart, batchSize: opts.batch });
    process.stdout.write(`queued reindex job ${job.id} on ${config.QUEUE_PREFIX}:${SEARCH_MAINTENANCE_QUEUE}\n`);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

async function reindex(opts: { restart?: boolean; batch: number; queue?: boolean }): Promise<void> {
  if (opts.queue) return enqueue(opts);
  const config = parseConfig(searchConfigSchema, process.env);
  // checkpoints live in the search database whichever backend is used
  await ensureDatabase(config.SEARCH_DB_URL);
  const searchKnex = createKnex(config.SEARCH_DB_URL);
  await migrateLatest(searchKnex, 'search');
  const legacyKnex = createKnex(config.MYSQL_URL);
  const clients = config.PRODUCT_SOURCE === 'thrift' ? createServiceClients({ product: parseHostPort(config.PRODUCT_THRIFT) }) : null;
  const source: ProductSource = clients ? new ThriftProductSource(clients.product as unknown as ProductApi) : new KnexProductSource(legacyKnex);
  const ac = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after the batch in flight (resumable)\n');
    ac.abort();
  });
  const t0 = Date.now();
  let backend: Awaited<ReturnType<typeof openBackend>> | undefined;
  try {
    // embedded: the index file is locked while a search service runs; the error says to use --queue then
    backend = await openBackend(config, searchKnex, silentLogger());
    const r = await runReindex({
      backend, source, runs: new ReindexRunStore(searchKnex), batchSize: opts.batch, restart: opts.restart, signal: ac.signal,
      onProgress: (p) => {
        process.stdout.write(`\r${p.runId}: ${p.processed} documents, last id ${p.lastId}, ${Math.round(p.processed / Math.max(1, (Date.now() - t0) / 1000))}/s   `);
      },
    });
    process.stdout.write(`\n${r.runId}: ${r.status}${r.resumed ? ' (resumed)' : ''}, ${r.processed} documents in ${r.batches} batches\n`);
  } finally {
    if (clients) await closeServiceClients(clients);
    await backend?.close();
    await searchKnex.destroy();
    await legacyKnex.destroy();
  }
}

async function status(): Promise<void> {
  const config = parseConfig(searchConfigSchema, process.env);
  const knex = createKnex(config.SEARCH_DB_URL);
  try {
    const rows = await knex('reindex_runs').orderBy('started_at', 'desc').limit(10);
    for (const r of rows) console.log(`${r.id} ${r.backend} ${r.status} processed=${r.processed} last_id=${r.last_id} started=${r.started_at}${r.error ? ` error=${r.error}` : ''}`);
    if (rows.length === 0) console.log('no reindex runs');
  } finally {
    await knex.destroy();
  }
}

const program = new Command('search').description('search service maintenance');
// usage errors exit 2 (set before the subcommands: they copy it)
program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
program.command('reindex').description('rebuild the index from the product source (resumable)')
  .option('--restart', 'abandon an unfinished run and start over')
  .option('--batch <n>', 'products per batch', positiveInt, DEFAULT_REINDEX_BATCH)
  .option('--queue', 'enqueue it as a BullMQ job for the running search services instead of running it here')
  .action(reindex);
program.command('status').description('recent reindex runs').action(status);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`search: ${err.message}\n`);
  process.exit(1);
});
