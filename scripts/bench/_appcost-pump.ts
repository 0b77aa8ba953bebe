/**
 * The binlog reader of split-appcost in its own process, as split-db runs
 * beside the application (not in the benchmark's writer process, whose event
 * loop it would otherwise share). APPCOST_DSN, APPCOST_SERVICE; prints
 * `ready` once reading; stops (saving its position) on SIGTERM.
 */
import { BinlogPump } from '../split/lib/binlog.ts';
import { readCatalog } from '../split/lib/context.ts';
import { openSide } from '../split/lib/side.ts';

const side = openSide(process.env.APPCOST_DSN!);
const shapes = (await readCatalog(side, ['products'])).shapes;
const pump = new BinlogPump(side, process.env.APPCOST_SERVICE!, shapes);
await pump.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void pump.stop().finally(async () => {
    await side.knex.destroy();
    process.exit(pump.error ? 1 : 0);
  });
});
