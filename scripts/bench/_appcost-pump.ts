/**
 * The split's side of split-appcost in its own process, as split-db runs
 * beside the application: one process for the whole benchmark, so the reader
 * is measured warm (JIT-compiled, connections open), as in a split's steady
 * state, not in the first seconds of a fresh process. Commands on stdin, one
 * a line, each answered `ok <command>` on stdout:
 *   binlog    read the binlog from its current end (BinlogPump)
 *   binlog-per-event  the same, reading every event as it arrives (readGapMs 0)
 *   triggers  no reader (the triggers log the keys)
 *   off       no reader, no applier
 *   cpu       answers `cpu <user+system µs>` of this process
 * With APPCOST_TARGET (a database on the same server), the applier also runs
 * in `binlog` and `triggers` (the follow loop of split-db start: drain, then
 * 100 ms idle), so the figure is capture + apply, the split after its copy.
 * With APPCOST_COPY=1 as well, a copy runs beside them in those modes: the
 * same-server copy's statements (DELETE + REPLACE … SELECT of a 1,000-key
 * range in one transaction, as copier.ts), unthrottled (the default), over
 * the table again and again: the split during its copy.
 * APPCOST_DSN, APPCOST_SERVICE. SIGTERM stops it (saving its position).
 */
import { createInterface } from 'node:readline';
import { drain } from '../split/lib/applier.ts';
import { BinlogPump, masterPos, positionTable } from '../split/lib/binlog.ts';
import { readCatalog } from '../split/lib/context.ts';
import { NO_FAULTS } from '../split/lib/faults.ts';
import type { Link } from '../split/lib/link.ts';
import { openSide } from '../split/lib/side.ts';
import { q } from '../split/lib/sql.ts';

const service = process.env.APPCOST_SERVICE!;
const side = openSide(process.env.APPCOST_DSN!);
const target = process.env.APPCOST_TARGET ? openSide(process.env.APPCOST_TARGET) : null;
const shapes = (await readCatalog(side, ['products'])).shapes;
const link: Link | null = target ? { direction: 'forward', service, from: side, to: target, sql: true, shapes } : null;
let pump: BinlogPump | null = null;
let mode = 'off';
let applying: Promise<void> | null = null;
let copying: Promise<void> | null = null;
const COPY_CHUNK = 1000;

async function copyLoop(): Promise<void> {
  const t = target!.db;
  let lo = 0;
  while (mode !== 'off') {
    const [[m]] = await side.knex.raw('SELECT MAX(id) AS m FROM products');
    if (lo >= Number(m.m)) lo = 0;
    const where = `id > ${lo} AND id <= ${lo + COPY_CHUNK}`;
    await side.knex.transaction(async (tx) => {
      await tx.raw(`DELETE FROM ${q(t)}.products WHERE ${where}`);
      await tx.raw(`REPLACE INTO ${q(t)}.products SELECT * FROM products WHERE ${where}`);
    });
    lo += COPY_CHUNK;
  }
}

async function applyLoop(): Promise<void> {
  while (mode !== 'off') {
    const n = await drain(link!, 500, NO_FAULTS);
    if (n === 0) await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopPump(): Promise<void> {
  const p = pump;
  pump = null;
  if (p) await p.stop();
  if (p?.error) throw p.error;
}

async function command(c: string): Promise<string> {
  if (c === 'cpu') {
    const u = process.cpuUsage();
    return `cpu ${u.user + u.system}`;
  }
  if (c !== 'binlog' && c !== 'binlog-per-event' && c !== 'triggers' && c !== 'off') throw new Error(`unknown command ${c}`);
  await stopPump();
  mode = c;
  if (c === 'off' && applying) {
    await applying;
    applying = null;
  }
  if (c === 'off' && copying) {
    await copying;
    copying = null;
  }
  if (c.startsWith('binlog')) {
    const p = await masterPos(side);
    await side.knex.raw(`UPDATE ${q(positionTable(service))} SET file = ?, pos = ?, gtid = NULL WHERE id = 1`, [p.file, p.pos]);
    pump = new BinlogPump(side, service, shapes);
    if (c === 'binlog-per-event') pump.readGapMs = 0;
    await pump.start();
  }
  if (c !== 'off' && link && !applying) applying = applyLoop();
  if (c !== 'off' && link && process.env.APPCOST_COPY === '1' && !copying) copying = copyLoop();
  return `ok ${c}`;
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  command(line.trim()).then((r) => process.stdout.write(`${r}\n`), (err: Error) => {
    process.stderr.write(`appcost pump: ${err.stack}\n`);
    process.exit(1);
  });
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  mode = 'off';
  void stopPump().catch(() => undefined).finally(async () => {
    await applying?.catch(() => undefined);
    await copying?.catch(() => undefined);
    await side.knex.destroy();
    await target?.knex.destroy();
    process.exit(0);
  });
});
