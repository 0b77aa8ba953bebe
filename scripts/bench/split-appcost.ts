/**
 * `npm run bench -- split-appcost`: what change capture costs the
 * application. Latency of the application's writes (autocommit UPDATE of a
 * random row, and INSERTs, on a moved table) with no split running, with
 * trigger capture (a changelog row in each writer transaction) and with
 * binlog capture (fence-only triggers; the tool reads the binlog and writes
 * the changelog from its own session), on one throwaway MariaDB with the
 * binlog on (test/helpers/mariadb-server.ts). The modes take turns in short
 * rounds (A B C A B C …) so a load change on the machine hits all three.
 * The binlog reader runs in its own process (_appcost-pump.ts), as split-db
 * does beside the application. No applier runs in any mode (the cost
 * measured is capture's alone).
 *
 *   SPLIT_APPCOST_ROUNDS (default 4), SPLIT_APPCOST_ROUND_MS (3000),
 *   SPLIT_APPCOST_WRITERS (4), SPLIT_APPCOST_ROWS (20000)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { dropDatabase, ensureDatabase, withDatabase } from '../../lib/db.ts';
import { startMariaDb } from '../../test/helpers/mariadb-server.ts';
import { initCapturePos } from '../split/lib/binlog.ts';
import { dropToolTriggers, ensureMachinery, startCapture } from '../split/lib/capture.ts';
import { readCatalog } from '../split/lib/context.ts';
import { openSide } from '../split/lib/side.ts';
import { changelogTable, q } from '../split/lib/sql.ts';
import type { BenchResult } from './cli.ts';

type Mode = 'no split' | 'trigger capture' | 'binlog capture';
const MODES: Mode[] = ['no split', 'trigger capture', 'binlog capture'];
const SERVICE = 'ac';

function envInt(name: string, def: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : def;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** User + system CPU seconds a live process has used (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** The binlog reader in its own process (_appcost-pump.ts), resolved once it reads. */
function startPump(dsn: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./_appcost-pump.ts', import.meta.url))], {
    env: { ...process.env, APPCOST_DSN: dsn, APPCOST_SERVICE: SERVICE }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('binlog reader did not start within 30 s')), 30_000);
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`binlog reader exited ${code}`)));
  });
}

export async function run(): Promise<BenchResult[]> {
  const rounds = envInt('SPLIT_APPCOST_ROUNDS', 4);
  const roundMs = envInt('SPLIT_APPCOST_ROUND_MS', 3000);
  const writers = envInt('SPLIT_APPCOST_WRITERS', 4);
  const rows = envInt('SPLIT_APPCOST_ROWS', 20_000);
  const server = await startMariaDb({ binlog: true });
  const dsn = withDatabase(server.dsn(), 'appcost');
  await ensureDatabase(dsn);
  const side = openSide(dsn);
  const conns: mysql.Connection[] = [];
  const lat = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const load0 = loadavg()[0];
  let readerCpuS = 0;
  try {
    await side.knex.raw('CREATE TABLE products (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(12,2) NOT NULL, stock INT NOT NULL, updated_at DATETIME(6) NOT NULL) ENGINE=InnoDB');
    for (let i = 0; i < rows; i += 2000) {
      const n = Math.min(2000, rows - i);
      await side.knex.raw(`INSERT INTO products (name, price, stock, updated_at) VALUES ${Array.from({ length: n }, (_, j) => `('product ${i + j}', ${(i + j) % 1000}.99, 10, NOW(6))`).join(',')}`);
    }
    const shapes = (await readCatalog(side, ['products'])).shapes;
    await ensureMachinery(side, SERVICE, false);
    for (let i = 0; i < writers; i++) conns.push(await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root', database: 'appcost' }));
    let pump: ChildProcess | null = null;
    const setMode = async (m: Mode) => {
      if (pump) {
        const p = pump;
        readerCpuS += cpuSeconds(p.pid!);
        const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
        p.kill('SIGTERM');
        await exited;
      }
      pump = null;
      await dropToolTriggers(side, SERVICE);
      if (m === 'trigger capture') await startCapture(side, SERVICE, shapes, false, true);
      if (m === 'binlog capture') {
        await side.knex.raw(`DELETE FROM ${q('_split_ac_binlog')}`).catch(() => undefined);
        await initCapturePos(side, SERVICE);
        await startCapture(side, SERVICE, shapes, false, true, undefined, true);
        pump = await startPump(dsn);
      }
      await side.knex.raw(`DELETE FROM ${q(changelogTable(SERVICE))}`);
    };
    for (let r = 0; r < rounds; r++) {
      for (const m of MODES) {
        await setMode(m);
        const out = lat.get(m)!;
        const until = performance.now() + roundMs;
        await Promise.all(conns.map(async (c, w) => {
          let i = 0;
          while (performance.now() < until) {
            const t = performance.now();
            if (++i % 5 === 0) await c.query('INSERT INTO products (name, price, stock, updated_at) VALUES (?, 9.99, 1, NOW(6))', [`new ${w}-${i}`]);
            else await c.query('UPDATE products SET stock = stock + 1, updated_at = NOW(6) WHERE id = ?', [1 + Math.floor(Math.random() * rows)]);
            out.push(performance.now() - t);
          }
        }));
      }
    }
    await setMode('no split');
  } finally {
    for (const c of conns) await c.end().catch(() => c.destroy());
    await side.knex.destroy();
    await dropDatabase(dsn).catch(() => undefined);
    await server.stop();
  }
  const load1 = loadavg()[0];
  const base = lat.get('no split')!;
  const table = MODES.map((m) => {
    const xs = lat.get(m)!;
    return { mode: m, writes: xs.length, 'p50 ms': +pct(xs, 50).toFixed(3), 'p99 ms': +pct(xs, 99).toFixed(3), 'p99 / no split': +(pct(xs, 99) / pct(base, 99)).toFixed(2), 'writes/s': Math.round(xs.length / ((rounds * roundMs) / 1000)) };
  });
  console.log(`\nsplit-appcost: ${writers} writers, ${rounds} rounds × ${roundMs} ms per mode, ${rows} rows; load average ${load0.toFixed(2)} → ${load1.toFixed(2)}; binlog reader CPU ${readerCpuS.toFixed(1)} s over ${((rounds * roundMs) / 1000).toFixed(0)} s of binlog capture (incl. its start)`);
  console.table(table);
  const p99 = (m: Mode) => pct(lat.get(m)!, 99);
  return [
    { bench: 'split-appcost', metric: 'app write p99, binlog capture (peer: no split)', ours: p99('binlog capture'), peer: p99('no split'), peerName: 'no split', unit: 'ms', ratio: p99('no split') / p99('binlog capture') },
    { bench: 'split-appcost', metric: 'app write p99, trigger capture (peer: no split)', ours: p99('trigger capture'), peer: p99('no split'), peerName: 'no split', unit: 'ms', ratio: p99('no split') / p99('trigger capture') },
  ];
}
