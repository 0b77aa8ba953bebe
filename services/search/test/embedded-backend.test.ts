import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBackend } from '../backends/embedded.ts';
import { backendContract } from './contract.ts';

describe('search backend contract: embedded (inverted index + node:sqlite)', function () {
  backendContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'search-embedded-'));
    const backend = new EmbeddedBackend({ dir });
    await backend.init();
    return { backend, refresh: async () => {}, cleanup: async () => { await backend.close(); rmSync(dir, { recursive: true, force: true }); } };
  });
});
