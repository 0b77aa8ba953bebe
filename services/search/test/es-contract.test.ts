import { Client } from '@elastic/elasticsearch';
import { silentLogger } from '../../../lib/logger.ts';
import { ElasticsearchBackend } from '../backends/elasticsearch.ts';
import { backendContract } from './contract.ts';

const ES_URL = process.env.ELASTICSEARCH_URL;

describe('search backend contract: Elasticsearch @integration', function () {
  if (!ES_URL) {
    it.skip('skipped: ELASTICSEARCH_URL is not set (no Elasticsearch cluster on this machine; the adapter is covered by elasticsearch.test.ts with elasticsearch-mock)', () => {});
    return;
  }
  this.timeout(60_000);
  backendContract(async () => {
    const alias = `t-search-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const client = new Client({ node: ES_URL });
    const backend = new ElasticsearchBackend({ client, alias, logger: silentLogger(), refresh: true });
    await backend.init();
    return {
      backend,
      refresh: async () => { await client.indices.refresh({ index: `${alias}*` }); },
      cleanup: async () => {
        await client.indices.delete({ index: `${alias}*` }).catch(() => {});
        await client.close();
      },
    };
  });
});
