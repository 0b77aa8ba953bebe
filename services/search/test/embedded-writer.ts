/**
 * Child process for embedded-restart.test.ts: opens the index in argv[2], writes the fixtures, takes a snapshot,
 * then writes more (a renamed product, a removal) and prints "written" — and waits to be killed with SIGKILL, so
 * the last changes are in SQLite but in no snapshot.
 */
import { EmbeddedBackend } from '../backends/embedded.ts';
import { fixtureDocuments } from './fixtures.ts';

const b = new EmbeddedBackend({ dir: process.argv[2] });
await b.init();
await b.upsert(fixtureDocuments());
await b.snapshot();
const base = fixtureDocuments().find((d) => d.id === 19)!;
await b.upsert([{ ...base, version: 5, name: '트위드 자켓 킬테스트' }]);
await b.remove(1, 9);
process.stdout.write('written\n');
setInterval(() => {}, 1000);
