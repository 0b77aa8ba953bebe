/**
 * Opens the configured search backend (services/search/config.ts
 * `backendKind`): the service and the reindex CLI share it, so both always
 * write to the same index.
 */
import type { Knex } from 'knex';
import type { Logger } from '../../lib/logger.ts';
import { maskDsn } from '../../lib/mask.ts';
import { EmbeddedBackend } from './backends/embedded.ts';
import { createEsClient, ElasticsearchBackend } from './backends/elasticsearch.ts';
import { MysqlFulltextBackend } from './backends/mysql-fulltext.ts';
import type { SearchBackend } from './backends/types.ts';
import { backendKind, embeddedIndexDir, type SearchConfig } from './config.ts';

/** Creates and initialises the backend; `searchKnex` is the search database (FULLTEXT index, reindex checkpoints). */
export async function openBackend(config: SearchConfig, searchKnex: Knex, logger: Logger): Promise<SearchBackend> {
  const kind = backendKind(config);
  if (kind === 'elasticsearch') {
    const backend = new ElasticsearchBackend({ client: createEsClient(config.ELASTICSEARCH_URL!), alias: config.ELASTICSEARCH_INDEX, logger: logger.child({ component: 'es' }) });
    await backend.init();
    logger.info({ backend: kind, url: maskDsn(config.ELASTICSEARCH_URL!), alias: config.ELASTICSEARCH_INDEX, analysis: backend.analysis }, 'search backend');
    return backend;
  }
  if (kind === 'mysql') {
    const backend = new MysqlFulltextBackend(searchKnex);
    await backend.init();
    logger.info({ backend: kind, db: maskDsn(config.SEARCH_DB_URL) }, 'search backend');
    return backend;
  }
  const dir = embeddedIndexDir(config);
  const backend = new EmbeddedBackend({ dir });
  await backend.init();
  const st = backend.stats();
  const load = backend.lastLoad;
  if (load.snapshotError) logger.warn({ dir, reason: load.snapshotError }, 'search index snapshot not used: loaded every document from the file (slower start)');
  logger.info({ backend: kind, dir, documents: st.documents, tokens: st.tokens, loadMs: Math.round(load.ms), loadedFrom: load.from, replayed: load.replayed,
    fileMiB: Math.round(st.fileBytes / 2 ** 20), memoryMiB: Math.round(st.memoryBytes / 2 ** 20) }, 'search backend');
  return backend;
}
