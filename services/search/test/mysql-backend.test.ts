import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { MysqlFulltextBackend } from '../backends/mysql-fulltext.ts';
import { backendContract } from './contract.ts';

describe('search backend contract: MySQL FULLTEXT @integration', function () {
  backendContract(async () => {
    const db: TestDatabase = await createTestDatabase('search_ft', ['search']);
    const backend = new MysqlFulltextBackend(db.knex);
    await backend.init();
    return { backend, refresh: async () => {}, cleanup: () => db.drop() };
  });
});
