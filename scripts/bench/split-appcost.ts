/**
 * `npm run bench -- split-appcost`: what change capture costs the
 * application. Latency of the application's writes (autocommit UPDATE of a
 * random row, and INSERTs, on a moved table) with no split running, with
 * trigger capture (a changelog row in each writer transaction) and with
 * binlog capture (no row trigger before the cutover; the tool reads the
 * binlog and writes the changelog from its own session), on one throwaway MariaDB with the
 * binlog on in every mode (test/helpers/mariadb-server.ts), so the baseline
 * pays for its own binlog too. The modes take turns in short rounds
 * (A B C, B C A, C A B, …: the order rotates) so a load change on the
 * machine hits all of them; a first warm-up round is not counted. The split's side runs in one process for the
 * whole run (_appcost-pump.ts), as split-db does beside the application, so
 * the reader is measured warm (its steady state), not during its start.
 *
 * CPU accounting per mode (Linux /proc): the server's threads — the
 * application's four sessions, the binlog dump thread, everything else (the
 * tool's sessions, InnoDB's background threads) — the split process and
 * this process (the application's client side), as CPU µs per application
 * write. On a box with fewer cores than busy threads, latency follows CPU
 * demand: these columns say where the extra demand of each mode comes from.
 *
 *   SPLIT_APPCOST_ROUNDS (default 4), SPLIT_APPCOST_ROUND_MS (3000),
 *   SPLIT_APPCOST_WRITERS (4), SPLIT_APPCOST_ROWS (20000),
 *   SPLIT_APPCOST_APPLY=1: the applier runs too (capture + apply into a
 *   second database on the server: the split after its copy), in both
 *   capture modes; SPLIT_APPCOST_FENCE_TRIGGERS=1: binlog capture with the
 *   fence-only row triggers installed from the start (as split-db did before
 *   it deferred them to the cutover); SPLIT_APPCOST_TARGET_OWN=1 (with
 *   APPLY): a further mode, binlog capture applying into a database on a
 *   second mariadbd (the service's own server, as the product story has it;
 *   same machine, cores and disk here) instead of a second database on the
 *   source's server; SPLIT_APPCOST_APPLY_BATCH: the applier's batch size
 *   (split-db's --apply-batch; its default otherwise); SPLIT_APPCOST_NO_APPLIER=1
 *   (with APPLY): a further mode, binlog capture with no applier, in the same
 *   rounds (what the applier adds, paired); SPLIT_APPCOST_APPLIERS: see APPLIERS;
 *   SPLIT_APPCOST_RATE / SPLIT_APPCOST_PACE: an open loop instead (pacedWrites);
 *   SPLIT_APPCOST_PIN=1: split-db on its own host, as deployed — the source
 *   mariadbd and the application's client side (this process) pinned to CPU 0,
 *   the split process (and a TARGET_OWN server) to CPU 1 (taskset, every
 *   thread); every mode runs so, the no-split baseline included;
 *   SPLIT_APPCOST_REPLICA=1: a further mode, a filtering MariaDB replica
 *   attached and no split (REPLICA);
 *   SPLIT_APPCOST_PUMP_NODE_ARGS: node flags for the split process (e.g.
 *   `--cpu-prof --cpu-prof-dir=/tmp/prof`, which NODE_OPTIONS refuses).
 *
 * Server counters per mode (SHOW GLOBAL STATUS deltas on the source, per
 * 1,000 application writes): row lock waits and their time, fsyncs, redo
 * log writes, binlog commits, group commits and bytes; and the applier's
 * batches. They
 * tell a lock wait from a commit queued behind the applier's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
import { processCpuMs } from './_proc-cpu.ts';
import { COUNTERS, median, overlaps, pct, serverCounters, type Counter } from './_appcost-stats.ts';
import { pacedWrites } from './_paced-writes.ts';

type Mode = 'no split' | 'trigger capture' | 'binlog capture' | 'replica attached, no split' | 'binlog, fence triggers' | 'binlog, batched reads' | 'binlog, all columns decoded' | 'binlog, nice 10' | 'binlog, nice 19' | 'binlog, read gap 2 ms' | 'binlog, read gap 5 ms' | 'binlog, target on own server' | 'binlog, no applier' | `binlog, applier ${string}`;
/**
 * SPLIT_APPCOST_APPLIERS=`name:opts;…` (with APPLY): binlog capture with the
 * applier's follow loop set otherwise, one mode each (`binlog, applier <name>`),
 * in the same rounds: opts `batch=N,lag=MS,save=MS|off,flush=MS` (_appcost-pump.ts).
 */
const APPLIERS = new Map((process.env.SPLIT_APPCOST_APPLIERS ?? '').split(';').filter(Boolean).map((x) => {
  const [name, opts = ''] = x.split(':');
  return [`binlog, applier ${name}` as Mode, opts] as const;
}));
/**
 * SPLIT_APPCOST_VARIANTS=1 adds binlog capture as it was before each fix, in the same rounds (paired A/B);
 * a comma list picks some by the part of their name after `binlog, ` (e.g. `all columns decoded`).
 */
const ALL_VARIANTS: Mode[] = ['binlog, fence triggers', 'binlog, batched reads', 'binlog, all columns decoded', 'binlog, nice 10', 'binlog, nice 19', 'binlog, read gap 2 ms', 'binlog, read gap 5 ms'];
const VARIANTS_ENV = process.env.SPLIT_APPCOST_VARIANTS ?? '';
const VARIANTS: Mode[] = VARIANTS_ENV === '1' ? ALL_VARIANTS : ALL_VARIANTS.filter((m) => VARIANTS_ENV.split(',').map((x) => x.trim()).includes(m.slice('binlog, '.length)));
const TARGET_OWN = process.env.SPLIT_APPCOST_TARGET_OWN === '1';
/**
 * SPLIT_APPCOST_REPLICA=1: a further mode, no split but a MariaDB replica of the source (GTID replication, its own
 * mariadbd on the same machine) — the peer every binlog reader is held to: the source's dump thread works for it as
 * for split-db's reader. Its replication runs only in its own rounds, and it has caught up before each (not measured).
 */
const REPLICA = process.env.SPLIT_APPCOST_REPLICA === '1';
const ALL_MODES: Mode[] = ['no split', 'trigger capture', 'binlog capture', ...(REPLICA ? ['replica attached, no split' as const] : []), ...VARIANTS, ...(TARGET_OWN ? ['binlog, target on own server' as const] : []),
  ...(process.env.SPLIT_APPCOST_NO_APPLIER === '1' ? ['binlog, no applier' as const] : []), ...APPLIERS.keys()];
/** SPLIT_APPCOST_NO_TRIGGERS=1 leaves trigger capture out (shorter A/B runs of the binlog variants). */
const MODES = ALL_MODES.filter((m) => !(m === 'trigger capture' && process.env.SPLIT_APPCOST_NO_TRIGGERS === '1'));
const SERVICE = 'ac';
const CPU_PARTS = ['app sessions', 'dump thread', 'server other', 'target server', 'split process', 'app client'] as const;
type CpuPart = (typeof CPU_PARTS)[number];

const PIN = process.env.SPLIT_APPCOST_PIN === '1';

/** Every thread of `pid` (and the threads it starts later) onto `cpu` (SPLIT_APPCOST_PIN). */
function pin(pid: number, cpu: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`SPLIT_APPCOST_PIN: taskset ${pid} to CPU ${cpu} failed: ${(r.stderr || r.error?.message || '').trim().slice(0, 200)}`);
}

function envInt(name: string, def: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : def;
}

/** CPU ms of one thread of a process (Linux /proc), 0 when it is gone. */
function threadCpuMs(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * SPLIT_APPCOST_RATE=N: the writers run an open loop at N writes/s in all instead of as fast as they can;
 * SPLIT_APPCOST_PACE=F (0 < F < 1): the same at F × the no-split writes/s of the (closed-loop) warm-up round,
 * i.e. the application at that share of what the box can serve, where a production database runs. The measured
 * rounds only; the warm-up round stays closed (it measures the capacity).
 */
const RATE = envInt('SPLIT_APPCOST_RATE', 0);
const PACE = ((v) => (Number.isFinite(v) && v > 0 && v < 1 ? v : 0))(Number(process.env.SPLIT_APPCOST_PACE));

/** The split's side (_appcost-pump.ts): one process, driven by line commands. */
function startSplitProcess(dsn: string, target: string | null, targetOwn: string | null): Promise<{ child: ChildProcess; ask(cmd: string): Promise<string> }> {
  const nodeArgs = (process.env.SPLIT_APPCOST_PUMP_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(new URL('./_appcost-pump.ts', import.meta.url))], {
    env: { ...process.env, APPCOST_DSN: dsn, APPCOST_SERVICE: SERVICE, ...(target ? { APPCOST_TARGET: target } : {}), ...(targetOwn ? { APPCOST_TARGET_OWN: targetOwn } : {}), APPCOST_COPY: process.env.SPLIT_APPCOST_COPY === '1' ? '1' : '' }, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<(l: string) => void> = [];
  let ready: () => void;
  const readyP = new Promise<void>((resolve) => (ready = resolve));
  lines.on('line', (l) => (l === 'ready' ? ready() : waiting.shift()?.(l)));
  const ask = (cmd: string) => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`split process did not answer "${cmd}" within 30 s`)), 30_000);
    waiting.push((l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.stdin!.write(`${cmd}\n`);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('split process did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`split process exited ${code}`)));
    void readyP.then(() => {
      clearTimeout(timer);
      resolve({ child, ask });
    });
  });
}

export async function run(): Promise<BenchResult[]> {
  const rounds = envInt('SPLIT_APPCOST_ROUNDS', 4);
  const roundMs = envInt('SPLIT_APPCOST_ROUND_MS', 3000);
  // an open loop needs sessions to spare, or a slow write holds back the ones due behind it
  const writers = envInt('SPLIT_APPCOST_WRITERS', RATE > 0 || PACE > 0 ? 16 : 4);
  const rows = envInt('SPLIT_APPCOST_ROWS', 20_000);
  const copy = process.env.SPLIT_APPCOST_COPY === '1';
  const apply = copy || process.env.SPLIT_APPCOST_APPLY === '1';
  const fenceTriggers = process.env.SPLIT_APPCOST_FENCE_TRIGGERS === '1';
  const server = await startMariaDb({ binlog: true });
  const mpid = Number(readFileSync(join(server.dir, 'pid'), 'utf8'));
  // the service's own server (no binlog: the split does not read it before the cutover)
  const own = apply && TARGET_OWN ? await startMariaDb() : null;
  const opid = own ? Number(readFileSync(join(own.dir, 'pid'), 'utf8')) : 0;
  const ownDsn = own ? withDatabase(own.dsn(), 'appcost_t') : null;
  const replica = REPLICA ? await startMariaDb({ args: ['--server-id=21', '--replicate-wild-ignore-table=%.%'] }) : null;
  const dsn = withDatabase(server.dsn(), 'appcost');
  const targetDsn = apply ? withDatabase(server.dsn(), 'appcost_t') : null;
  await ensureDatabase(dsn);
  const side = openSide(dsn);
  const conns: mysql.Connection[] = [];
  const lat = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const cpu = new Map<Mode, Record<CpuPart, number>>(MODES.map((m) => [m, Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as Record<CpuPart, number>]));
  const roundP99 = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const overlap = new Map<Mode, { all: number; slow: number; slowN: number; busyMs: number }>(MODES.map((m) => [m, { all: 0, slow: 0, slowN: 0, busyMs: 0 }]));
  const counters = new Map<Mode, Record<Counter | 'applier batches', number>>(MODES.map((m) => [m, Object.fromEntries([...COUNTERS, 'applier batches'].map((p) => [p, 0])) as Record<Counter | 'applier batches', number>]));
  const load0 = loadavg()[0];
  let split: Awaited<ReturnType<typeof startSplitProcess>> | null = null;
  // open loop (SPLIT_APPCOST_RATE, or SPLIT_APPCOST_PACE × the warm-up round's no-split writes/s): 0 = closed loop
  let rate = RATE;
  let capacity = 0;
  const lateWrites = new Map<Mode, number>();
  try {
    await side.knex.raw('CREATE TABLE products (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(12,2) NOT NULL, stock INT NOT NULL, updated_at DATETIME(6) NOT NULL) ENGINE=InnoDB');
    for (let i = 0; i < rows; i += 2000) {
      const n = Math.min(2000, rows - i);
      await side.knex.raw(`INSERT INTO products (name, price, stock, updated_at) VALUES ${Array.from({ length: n }, (_, j) => `('product ${i + j}', ${(i + j) % 1000}.99, 10, NOW(6))`).join(',')}`);
    }
    if (targetDsn) {
      // the copy, done before the measurement: the applier keeps this copy current
      await ensureDatabase(targetDsn);
      await side.knex.raw('CREATE TABLE appcost_t.products LIKE appcost.products');
      await side.knex.raw('INSERT INTO appcost_t.products SELECT * FROM appcost.products');
    }
    if (ownDsn) {
      await ensureDatabase(ownDsn);
      const o = openSide(ownDsn);
      try {
        const [[ddl]] = await side.knex.raw('SHOW CREATE TABLE products');
        await o.knex.raw((ddl as Record<string, string>)['Create Table']);
        for (let lo = 0; ; lo += 2000) {
          const [rs] = await side.knex.raw(`SELECT * FROM products WHERE id > ${lo} AND id <= ${lo + 2000}`);
          if (!(rs as unknown[]).length) break;
          await o.knex('products').insert(rs as Array<Record<string, unknown>>);
        }
      } finally {
        await o.knex.destroy();
      }
    }
    const shapes = (await readCatalog(side, ['products'])).shapes;
    await ensureMachinery(side, SERVICE, false);
    await initCapturePos(side, SERVICE);
    const tids: number[] = [];
    for (let i = 0; i < writers; i++) {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root', database: 'appcost' });
      conns.push(c);
      const [[r]] = (await c.query('SELECT TID AS tid FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()')) as unknown as [[{ tid: number }]];
      tids.push(Number(r.tid));
    }
    // the replica follows from here; it filters every table (the source's dump thread and its own I/O thread still carry
    // every event): the cheapest binlog reader there is, so what it costs the writers no binlog capture can go below
    const onReplica = async (sql: string) => {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: replica!.port, user: 'root' });
      try {
        return (await c.query(sql))[0] as Array<Record<string, unknown>>;
      } finally {
        await c.end();
      }
    };
    if (replica) {
      const [[pos]] = await side.knex.raw('SELECT @@gtid_binlog_pos AS g');
      await onReplica(`SET GLOBAL gtid_slave_pos = '${String(pos.g)}'`);
      await onReplica(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${server.port}, MASTER_USER='root', MASTER_USE_GTID=slave_pos`);
    }
    split = await startSplitProcess(dsn, targetDsn, ownDsn);
    if (PIN) {
      // the source host: its server and the application; the split's host: the split process (and the service's server)
      pin(mpid, 0);
      pin(process.pid, 0);
      pin(split.child.pid!, 1);
      if (opid) pin(opid, 1);
    }
    const sp = split;
    const setMode = async (m: Mode) => {
      await sp.ask('off');
      if (replica) {
        await onReplica(m === 'replica attached, no split' ? 'START SLAVE' : 'STOP SLAVE');
        if (m === 'replica attached, no split') {
          // caught up before the round (the rounds of the other modes): what is measured is following, not catching up
          const [[pos]] = await side.knex.raw('SELECT @@gtid_binlog_pos AS g');
          const [w] = await onReplica(`SELECT MASTER_GTID_WAIT('${String(pos.g)}', 120) AS r`);
          if (Number(w.r) !== 0) throw new Error(`the replica did not catch up with ${String(pos.g)} within 120 s`);
        }
      }
      await dropToolTriggers(side, SERVICE);
      if (m === 'trigger capture') await startCapture(side, SERVICE, shapes, false, true);
      // as split-db start does: no row trigger until the cutover (SPLIT_APPCOST_FENCE_TRIGGERS=1: fence-only ones, as before)
      if (m === 'binlog capture' || m === 'binlog, batched reads' || m === 'binlog, all columns decoded' || m.startsWith('binlog, nice ') || m.startsWith('binlog, read gap ') || m === 'binlog, target on own server' || m === 'binlog, no applier' || APPLIERS.has(m)) await startCapture(side, SERVICE, shapes, false, true, undefined, fenceTriggers ? true : 'deferred');
      if (m === 'binlog, fence triggers') await startCapture(side, SERVICE, shapes, false, true, undefined, true);
      await side.knex.raw(`DELETE FROM ${q(changelogTable(SERVICE))}`);
      if (m === 'trigger capture') await sp.ask('triggers');
      if (m === 'binlog capture' || m === 'binlog, fence triggers') await sp.ask('binlog');
      if (m === 'binlog, batched reads') await sp.ask('binlog-batched');
      if (m === 'binlog, all columns decoded') await sp.ask('binlog-allcols');
      // split-db --nice N: the split process at a lower CPU priority (nice.ts)
      if (m.startsWith('binlog, nice ')) await sp.ask(`binlog-nice${m.slice('binlog, nice '.length)}`);
      // the reader pauses its socket this long after each burst (BinlogPump.readGapMs; split-db: READ_GAP_MS)
      if (m.startsWith('binlog, read gap ')) await sp.ask(`binlog-gap${parseInt(m.slice('binlog, read gap '.length), 10)}`);
      if (m === 'binlog, target on own server') await sp.ask('binlog@own');
      if (m === 'binlog, no applier') await sp.ask('binlog@none');
      if (APPLIERS.has(m)) await sp.ask(`binlog@same#${APPLIERS.get(m)}`);
    };
    const dumpTid = async (): Promise<number | null> => {
      const [r] = await side.knex.raw("SELECT TID AS tid FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
      return (r as Array<{ tid: number }>)[0] ? Number((r as Array<{ tid: number }>)[0].tid) : null;
    };
    const splitCpuMs = async () => Number((await sp.ask('cpu')).split(' ')[1]) / 1000;
    const applierBatches = async () => (JSON.parse((await sp.ask('stats')).slice('stats '.length)) as { batches: number }).batches;
    for (let r = -1; r < rounds; r++) {
      // the order rotates every round, so no mode always follows the same one (or the same DDL)
      for (const m of MODES.map((_, i) => MODES[(i + Math.max(0, r)) % MODES.length])) {
        await setMode(m);
        const dump = await dumpTid();
        const snap = async () => ({
          server: processCpuMs(mpid), app: tids.reduce((a, t) => a + threadCpuMs(mpid, t), 0), dump: dump ? threadCpuMs(mpid, dump) : 0,
          split: await splitCpuMs(), client: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
          target: opid ? processCpuMs(opid) : 0, counters: await serverCounters(side), batches: await applierBatches(),
        });
        const out: number[] = [];
        const starts: number[] = [];
        await sp.ask('spans'); // forget the batches before the round
        const s0 = await snap();
        const until = performance.now() + roundMs;
        const counts = conns.map(() => 0);
        const write = async (w: number) => {
          const c = conns[w];
          const i = ++counts[w];
          if (i % 5 === 0) await c.query('INSERT INTO products (name, price, stock, updated_at) VALUES (?, 9.99, 1, NOW(6))', [`new ${w}-${i}-${r}`]);
          else await c.query('UPDATE products SET stock = stock + 1, updated_at = NOW(6) WHERE id = ?', [1 + Math.floor(Math.random() * rows)]);
        };
        if (r >= 0 && rate > 0) lateWrites.set(m, (lateWrites.get(m) ?? 0) + (await pacedWrites(conns.length, rate, until, write, out, starts)).late);
        else {
          await Promise.all(conns.map(async (_c, w) => {
            while (performance.now() < until) {
              const t = performance.now();
              await write(w);
              out.push(performance.now() - t);
              starts.push(performance.timeOrigin + t);
            }
          }));
        }
        if (r < 0 && m === 'no split') {
          capacity = Math.round(out.length / (roundMs / 1000));
          if (PACE > 0) rate = Math.round(PACE * capacity);
        }
        const s1 = await snap();
        const spans = JSON.parse((await sp.ask('spans')).slice('spans '.length)) as Array<[number, number]>;
        if (r < 0) continue; // warm-up round: not counted
        lat.get(m)!.push(...out);
        roundP99.get(m)!.push(pct(out, 99));
        const ov = overlaps(starts, out, spans);
        const o = overlap.get(m)!;
        o.all += ov.all;
        o.slow += ov.slow;
        o.slowN += ov.slowN;
        o.busyMs += spans.reduce((a, [x, y]) => a + (y - x), 0);
        const acc = cpu.get(m)!;
        acc['app sessions'] += s1.app - s0.app;
        acc['dump thread'] += s1.dump - s0.dump;
        acc['server other'] += (s1.server - s0.server) - (s1.app - s0.app) - (s1.dump - s0.dump);
        acc['split process'] += s1.split - s0.split;
        acc['target server'] += s1.target - s0.target;
        const cs = counters.get(m)!;
        for (const c of COUNTERS) cs[c] += s1.counters[c] - s0.counters[c];
        cs['applier batches'] += s1.batches - s0.batches;
        acc['app client'] += s1.client - s0.client;
      }
    }
    await setMode('no split');
  } finally {
    if (split) {
      const child = split.child;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
    }
    for (const c of conns) await c.end().catch(() => c.destroy());
    await side.knex.destroy();
    await dropDatabase(dsn).catch(() => undefined);
    if (targetDsn) await dropDatabase(targetDsn).catch(() => undefined);
    await server.stop();
    await own?.stop();
    await replica?.stop();
  }
  const load1 = loadavg()[0];
  const base = lat.get('no split')!;
  const table = MODES.map((m) => {
    const xs = lat.get(m)!;
    const c = cpu.get(m)!;
    const us = (p: CpuPart) => Math.round((c[p] * 1000) / xs.length);
    return {
      mode: m, writes: xs.length, ...(rate > 0 ? { 'late %': +((100 * (lateWrites.get(m) ?? 0)) / Math.max(1, xs.length)).toFixed(2) } : {}), 'p50 ms': +pct(xs, 50).toFixed(3), 'p99 ms': +pct(xs, 99).toFixed(3), 'p99 / no split': +(pct(xs, 99) / pct(base, 99)).toFixed(2), 'writes/s': Math.round(xs.length / ((rounds * roundMs) / 1000)),
      ...Object.fromEntries(CPU_PARTS.map((p) => [`${p} µs/w`, us(p)])), 'total µs/w': CPU_PARTS.reduce((a, p) => a + us(p), 0),
    };
  });
  const loop = rate > 0 ? `open loop at ${rate} writes/s (${Math.round((100 * rate) / Math.max(1, capacity))} % of the warm-up's closed-loop no-split ${capacity} writes/s; late: sent > 2 ms after due — every session busy, or this client's own event loop behind)` : 'closed loop (as fast as they can)';
  console.log(`\nsplit-appcost: ${writers} writers, ${loop}, ${rounds} rounds × ${roundMs} ms per mode (after a warm-up round), ${rows} rows, ${copy ? 'capture + apply + copy (the split during its copy)' : apply ? `capture + apply (the split after its copy; target: a second database on the source's mariadbd${own ? '; in its own mode a database on a second mariadbd, same machine' : ''})` : 'capture only (no applier)'}${fenceTriggers ? ', binlog capture with fence-only triggers' : ''}${PIN ? '; pinned: source mariadbd + application on CPU 0, split process on CPU 1 (split-db on its own host)' : ''}; load average ${load0.toFixed(2)} → ${load1.toFixed(2)}; CPU in µs per application write (server threads, split process, the app's client)`);
  console.table(table);
  console.log('source server counters per 1,000 application writes (row lock time in ms), and the applier\'s transactions');
  console.table(MODES.map((m) => {
    const n = lat.get(m)!.length / 1000;
    const cs = counters.get(m)!;
    return { mode: m, 'row lock waits': +(cs.Innodb_row_lock_waits / n).toFixed(2), 'row lock ms': +(cs.Innodb_row_lock_time / n).toFixed(1), 'fsyncs': Math.round(cs.Innodb_data_fsyncs / n), 'redo writes': Math.round(cs.Innodb_log_writes / n),
      'binlog commits': Math.round(cs.Binlog_commits / n), 'binlog group commits': Math.round(cs.Binlog_group_commits / n), 'binlog KB': Math.round(cs.Binlog_bytes_written / n / 1024), 'applier batches': +(cs['applier batches'] / n).toFixed(1) };
  }));
  console.log('p99 per round against no split in the same round (median of the rounds\' ratios), and the writes that ran while an applier batch did (all writes; the round\'s slowest 1 %)');
  const base99 = roundP99.get('no split')!;
  console.table(MODES.map((m) => {
    const o = overlap.get(m)!;
    const n = lat.get(m)!.length;
    return { mode: m, 'median p99 ratio': +median(roundP99.get(m)!.map((x, i) => x / base99[i])).toFixed(2), 'rounds': roundP99.get(m)!.map((x, i) => (x / base99[i]).toFixed(2)).join(' '),
      'applier busy %': +((100 * o.busyMs) / (rounds * roundMs)).toFixed(1), 'writes during a batch %': +((100 * o.all) / n).toFixed(1), 'slowest 1 % during a batch %': +((100 * o.slow) / Math.max(1, o.slowN)).toFixed(1) };
  }));
  const p99 = (m: Mode) => pct(lat.get(m)!, 99);
  const tag = (copy ? ', during copy' : apply ? ', capture + apply (target on the source server)' : '') + (rate > 0 ? `, open loop ${Math.round((100 * rate) / Math.max(1, capacity))} % load` : '') + (PIN ? ', split process on its own CPU' : '');
  return [
    { bench: 'split-appcost', metric: `app write p99, binlog capture${tag} (peer: no split)`, ours: p99('binlog capture'), peer: p99('no split'), peerName: 'no split', unit: 'ms', ratio: p99('no split') / p99('binlog capture') },
    ...(MODES.includes('trigger capture') ? [{ bench: 'split-appcost', metric: `app write p99, trigger capture${tag} (peer: no split)`, ours: p99('trigger capture'), peer: p99('no split'), peerName: 'no split', unit: 'ms', ratio: p99('no split') / p99('trigger capture') }] : []),
    ...(MODES.includes('binlog, target on own server') ? [{ bench: 'split-appcost', metric: 'app write p99, binlog capture, capture + apply (target on its own server) (peer: no split)', ours: p99('binlog, target on own server'), peer: p99('no split'), peerName: 'no split', unit: 'ms', ratio: p99('no split') / p99('binlog, target on own server') }] : []),
  ];
}
