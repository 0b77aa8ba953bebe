/**
 * The binlog reader's CPU per application write, without the noise of a live
 * run: split-appcost's workload (4 writers, autocommit UPDATEs of random rows
 * and 1 in 5 INSERTs on `products`) is written once into a throwaway mariadbd
 * with the binlog on, then BinlogPump reads that same stretch of binlog again
 * and again, each variant in turn (rounds, order rotating), from the start
 * position to the end, and this process's CPU (user + system, from the
 * reader's start until it has passed the end) is divided by the writes.
 * A replay reads the events in large batches (the writes are already in the
 * binlog): fewer wakeups per event than a live reader, so this is the
 * per-event work (decoding, key texts, changelog flushes), not the wakeups.
 *
 *   node scripts/bench/_binlog-replay.ts [--writes N] [--rounds R] [--variant name=/path/to/scripts/split/lib[,keyOnlyRows=false]]...
 *
 * Without --variant: this tree's reader, with and without key-only rows.
 * Another tree's reader is loaded from its own lib directory (e.g.
 * /work/main/scripts/split/lib): its BinlogPump reads the same binlog.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { ensureDatabase, withDatabase } from '../../lib/db.ts';
import { startMariaDb } from '../../test/helpers/mariadb-server.ts';
import { ensureMachinery } from '../split/lib/capture.ts';
import { readCatalog } from '../split/lib/context.ts';
import { openSide } from '../split/lib/side.ts';
import { changelogTable, q } from '../split/lib/sql.ts';
import { initCapturePos, masterPos, positionTable } from '../split/lib/binlog.ts';
import { median } from './_appcost-stats.ts';

const SERVICE = 'rp';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

interface Variant {
  name: string;
  lib: string;
  keyOnlyRows: boolean;
}

function variants(): Variant[] {
  const out: Variant[] = [];
  process.argv.forEach((a, i) => {
    if (a !== '--variant') return;
    const [head, ...opts] = process.argv[i + 1].split(',');
    const [name, lib] = head.split('=');
    out.push({ name, lib, keyOnlyRows: !opts.includes('keyOnlyRows=false') });
  });
  const here = fileURLToPath(new URL('../split/lib', import.meta.url));
  return out.length ? out : [{ name: 'key columns only', lib: here, keyOnlyRows: true }, { name: 'all columns decoded', lib: here, keyOnlyRows: false }];
}

const writes = Number(arg('writes', '20000'));
const rounds = Number(arg('rounds', '5'));
const vs = variants();
const load0 = loadavg();
const server = await startMariaDb({ binlog: true });
const dsn = withDatabase(server.dsn(), 'replay');
try {
  await ensureDatabase(dsn);
  const side = openSide(dsn);
  const rows = 20_000;
  await side.knex.raw('CREATE TABLE products (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(12,2) NOT NULL, stock INT NOT NULL, updated_at DATETIME(6) NOT NULL) ENGINE=InnoDB');
  for (let i = 0; i < rows; i += 2000) {
    await side.knex.raw(`INSERT INTO products (name, price, stock, updated_at) VALUES ${Array.from({ length: 2000 }, (_, j) => `('product ${i + j}', ${(i + j) % 1000}.99, 10, NOW(6))`).join(',')}`);
  }
  const shapes = (await readCatalog(side, ['products'])).shapes;
  await ensureMachinery(side, SERVICE, false);
  await initCapturePos(side, SERVICE);
  const from = await masterPos(side);
  const conns = await Promise.all(Array.from({ length: 4 }, () => mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root', database: 'replay' })));
  let n = 0;
  await Promise.all(conns.map(async (c, w) => {
    for (let i = 1; n < writes; i++) {
      n++;
      if (i % 5 === 0) await c.query('INSERT INTO products (name, price, stock, updated_at) VALUES (?, 9.99, 1, NOW(6))', [`new ${w}-${i}`]);
      else await c.query('UPDATE products SET stock = stock + 1, updated_at = NOW(6) WHERE id = ?', [1 + Math.floor(Math.random() * rows)]);
    }
  }));
  for (const c of conns) await c.end();
  const to = await masterPos(side);
  const pumps = new Map<string, new (...a: unknown[]) => { keyOnlyRows?: boolean; start(): Promise<void>; waitFor(p: unknown, ms: number): Promise<void>; stop(): Promise<void> }>();
  for (const v of vs) pumps.set(v.name, (await import(`${v.lib}/binlog.ts`)).BinlogPump);
  const per = new Map<string, number[]>(vs.map((v) => [v.name, []]));
  for (let r = -1; r < rounds; r++) {
    for (const v of vs.map((_, i) => vs[(i + Math.max(0, r)) % vs.length])) {
      await side.knex.raw(`UPDATE ${q(positionTable(SERVICE))} SET file = ?, pos = ?, gtid = NULL WHERE id = 1`, [from.file, from.pos]);
      await side.knex.raw(`DELETE FROM ${q(changelogTable(SERVICE))}`);
      const Pump = pumps.get(v.name)!;
      const pump = new Pump(side, SERVICE, shapes);
      pump.keyOnlyRows = v.keyOnlyRows;
      await pump.start();
      const c0 = process.cpuUsage();
      await pump.waitFor(to, 120_000);
      const c1 = process.cpuUsage(c0);
      await pump.stop();
      if (r >= 0) per.get(v.name)!.push((c1.user + c1.system) / writes);
    }
  }
  const base = per.get(vs[0].name)!;
  console.log(`binlog replay: ${writes} writes, ${rounds} rounds after a warm-up round; load average ${load0.map((x) => x.toFixed(2)).join(' ')} → ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.table(vs.map((v) => {
    const xs = per.get(v.name)!;
    return { variant: v.name, lib: v.lib, 'median CPU µs/write': +median(xs).toFixed(1), rounds: xs.map((x) => x.toFixed(1)).join(' '), [`median ratio to ${vs[0].name}`]: +median(xs.map((x, i) => x / base[i])).toFixed(2) };
  }));
  await side.knex.destroy();
} finally {
  await server.stop();
}
