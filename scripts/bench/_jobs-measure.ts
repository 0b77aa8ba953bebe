/**
 * Measuring helpers of `npm run bench -- jobs` (scripts/bench/jobs.ts): time
 * per port call, bytes on Thrift sockets, CPU of this process and of the local
 * MariaDB, SQL statements. (Files starting with `_` are not benchmarks.)
 */
import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Knex } from '../../lib/db.ts';
import type { JobPorts } from '../../rpc/jobs/ports.ts';

/** Per-port-method wall time, calls (and failed ones), items in (array arguments) / out (array or map results). */
export class PhaseTimer {
  readonly phases = new Map<string, { calls: number; failed: number; ms: number; in: number; out: number }>();
  async time<T>(name: string, args: unknown[], f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const p = this.phases.get(name) ?? { calls: 0, failed: 0, ms: 0, in: 0, out: 0 };
    this.phases.set(name, p);
    p.calls++;
    p.in += args.reduce<number>((n, a) => n + (Array.isArray(a) ? a.length : 0), 0);
    try {
      const r = await f();
      p.out += Array.isArray(r) ? r.length : r instanceof Map ? r.size : 0;
      return r;
    } catch (err) {
      p.failed++;
      throw err;
    } finally {
      p.ms += performance.now() - t0;
    }
  }
  reset(): void {
    this.phases.clear();
  }
}

/** The same ports, each method timed (plain wrappers: the adapters keep state in private fields). */
export function timedPorts(ports: JobPorts, timer: PhaseTimer): JobPorts {
  const wrap = <T extends object>(name: string, o: T): T => {
    const out: Record<string, unknown> = {};
    for (const m of Object.getOwnPropertyNames(Object.getPrototypeOf(o))) {
      const f = (o as Record<string, unknown>)[m];
      if (m === 'constructor' || typeof f !== 'function') continue;
      out[m] = (...args: unknown[]) => timer.time(`${name}.${m}`, args, () => (f as (...a: unknown[]) => Promise<unknown>).apply(o, args));
    }
    return out as T;
  };
  return {
    events: wrap('events(logs, SQL)', ports.events), likes: wrap('likes(user)', ports.likes), products: wrap('products(product)', ports.products),
    shops: wrap('shops(shop)', ports.shops), stats: wrap('stats(shop_daily_stats, SQL)', ports.stats),
  };
}

/** Bytes on every TCP client socket to the given ports (Thrift), both directions, via the `net.client.socket` channel. */
export class SocketBytes {
  readonly #sockets: Array<{ socket: Socket; port?: number }> = [];
  constructor() {
    subscribe('net.client.socket', (msg) => {
      const socket = (msg as { socket: Socket }).socket;
      const entry: { socket: Socket; port?: number } = { socket };
      socket.once('connect', () => (entry.port = socket.remotePort));
      this.#sockets.push(entry);
    });
  }
  total(ports: Map<number, string>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { socket, port } of this.#sockets) {
      const service = port === undefined ? undefined : ports.get(port);
      if (service) out[service] = (out[service] ?? 0) + socket.bytesRead + socket.bytesWritten;
    }
    return out;
  }
}

/** CPU seconds (user + system) of the local MariaDB server, if it runs on this machine (shared with other work). */
export function mariadbCpuSeconds(): number | undefined {
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let comm = '';
      try {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      if (comm !== 'mariadbd' && comm !== 'mysqld') continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15) in USER_HZ ticks
    }
  } catch {
    // not Linux, or not readable
  }
  return undefined;
}

export interface Measured<T> { result: T; ms: number; cpuMs: number; dbCpuMs?: number; sql: number }

/** Runs `f` timing wall clock, this process's CPU (client, and the in-process services for ours), MariaDB's CPU and SQL statements on `knex`. */
export async function measure<T>(knex: Knex, f: () => Promise<T>): Promise<Measured<T>> {
  let sql = 0;
  const onQuery = () => void sql++;
  knex.on('query', onQuery);
  const cpu0 = process.cpuUsage();
  const db0 = mariadbCpuSeconds();
  const t0 = performance.now();
  try {
    const result = await f();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const db1 = mariadbCpuSeconds();
    return { result, ms, cpuMs: (cpu.user + cpu.system) / 1000, dbCpuMs: db0 !== undefined && db1 !== undefined ? (db1 - db0) * 1000 : undefined, sql };
  } finally {
    knex.removeListener('query', onQuery);
  }
}
