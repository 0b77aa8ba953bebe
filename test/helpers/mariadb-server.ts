/**
 * A second, throwaway MariaDB server for tests and benchmarks (CONVENTIONS §4):
 * `mariadb-install-db` into a temporary datadir, `mariadbd` on a free loopback
 * port, ready when `SELECT 1` answers (waited on with a deadline, never a
 * sleep), stopped by the pid in its pid file, datadir removed.
 *
 *   const s = await startMariaDb({ binlog: true });  // ~0.5 s install + ~0.2 s start here
 *   createKnex(s.dsn('mydb'));
 *   await s.stop();
 *
 * `sharedMariaDb()` starts one instance per process lazily and stops it when
 * the process exits, so tests do not pay the start each. Every instance lives
 * under `<tmpdir>/strangler-mariadb/` with an `owner` file (the starting
 * process's pid): an instance whose owner is gone (a run that was killed) is
 * killed by its pid file and removed by the next start. The server on 3306 is
 * never touched: each instance has its own tmpdir (`<instance>/tmp`), because a
 * starting mariadbd deletes every `#sql*` file in its tmpdir — with the
 * default /tmp, the live temporary tables of 3306 and of every other instance.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from '../../lib/free-ports.ts';

export const MARIADB_INSTALL_DB = process.env.MARIADB_INSTALL_DB ?? '/usr/bin/mariadb-install-db';
export const MARIADBD = process.env.MARIADBD ?? '/usr/sbin/mariadbd';
export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 15_000;
/** Parent of every instance's directory (leftovers of killed runs are found here). */
export const INSTANCES_DIR = join(tmpdir(), 'strangler-mariadb');

export interface MariaDbOptions {
  /** Row-based binary log (`--log-bin --binlog-format=ROW --server-id=2`). */
  binlog?: boolean;
  /** More server options, after the harness's own (a later option wins: `--innodb-buffer-pool-size=1G`). */
  args?: string[];
  startTimeoutMs?: number;
}

export interface MariaDbServer {
  port: number;
  /** The instance's directory (datadir, socket, pid file, error log). */
  dir: string;
  /** Milliseconds from install to the first answered `SELECT 1`. */
  startMs: number;
  /** `mysql://root@127.0.0.1:<port>/<db>` (no database part without `db`). */
  dsn(db?: string): string;
  stop(): Promise<void>;
}

/** Whether the binaries are installed (tests that need a second server skip otherwise). */
export function mariaDbAvailable(): boolean {
  return existsSync(MARIADB_INSTALL_DB) && existsSync(MARIADBD);
}

/** The process exists and is not a zombie (an orphan killed under a non-reaping init stays a zombie). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The pid is a mariadbd serving this directory (never kill a recycled pid). */
function isOurServer(pid: number, dir: string): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('mariadbd') && cmd.includes(dir);
  } catch {
    return false;
  }
}

/** Kills and removes instances whose owning process is gone (a run killed before its cleanup). */
export function reapLeftovers(): number {
  let reaped = 0;
  if (!existsSync(INSTANCES_DIR)) return 0;
  for (const name of readdirSync(INSTANCES_DIR)) {
    const dir = join(INSTANCES_DIR, name);
    const owner = readPid(join(dir, 'owner'));
    if (owner !== undefined && pidAlive(owner)) continue;
    const pid = readPid(join(dir, 'pid')) ?? readPid(join(dir, 'spawned'));
    if (pid !== undefined && isOurServer(pid, dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    reaped++;
  }
  return reaped;
}

async function answers(port: number): Promise<boolean> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
    await conn.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await conn?.end().catch(() => conn?.destroy());
  }
}

function tail(file: string, n = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** Installs a datadir and starts mariadbd on a free port; resolves when `SELECT 1` answers. */
export async function startMariaDb(opts: MariaDbOptions = {}): Promise<MariaDbServer> {
  if (!mariaDbAvailable()) throw new Error(`second MariaDB server: ${MARIADB_INSTALL_DB} or ${MARIADBD} missing (apt-get install mariadb-server)`);
  reapLeftovers();
  const dir = instanceDir();
  writeFileSync(join(dir, 'owner'), String(process.pid));
  // a private tmpdir: at start mariadbd deletes every #sql* file in its tmpdir, and with the default (/tmp) those are
  // the live temporary tables of every other server on the host (queries fail, 3306 crashed in create_tmp_table_for_schema)
  mkdirSync(join(dir, 'tmp'));
  const t0 = performance.now();
  const install = spawnSync(MARIADB_INSTALL_DB, ['--no-defaults', `--datadir=${dir}/data`, `--tmpdir=${dir}/tmp`, '--auth-root-authentication-method=normal', '--user=root', '--skip-test-db'],
    { encoding: 'utf8', timeout: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS });
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (${install.status ?? install.signal}): ${(install.stderr || install.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  let port = 0;
  let child: ReturnType<typeof spawn> | undefined;
  let exited: string | undefined;
  const deadline = Date.now() + (opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  // a port picked free can be taken before mariadbd binds it: try a few
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    exited = undefined;
    child = spawn(MARIADBD, [
      '--no-defaults', `--datadir=${dir}/data`, `--tmpdir=${dir}/tmp`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${dir}/sock`, `--pid-file=${dir}/pid`,
      '--user=root', `--log-error=${dir}/err.log`, '--skip-name-resolve', '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=32M',
      '--max-connections=300', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci',
      ...(opts.binlog ? [`--log-bin=${dir}/binlog`, '--binlog-format=ROW', '--server-id=2'] : []),
      ...(opts.args ?? []),
    ], { stdio: 'ignore', detached: true });
    child.unref();
    writeFileSync(join(dir, 'spawned'), String(child.pid));
    child.once('exit', (code, signal) => { exited = `exited ${code ?? signal}`; });
    while (!exited && !(await answers(port))) {
      if (Date.now() > deadline) {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`second MariaDB server did not answer on port ${port} within ${opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms: ${tail(join(dir, 'err.log'))}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!exited) break;
    if (attempt >= 3 || Date.now() > deadline) {
      const log = tail(join(dir, 'err.log'));
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`second MariaDB server ${exited}: ${log}`);
    }
  }
  const startMs = performance.now() - t0;
  let stopped: Promise<void> | undefined;
  const server: MariaDbServer = {
    port, dir, startMs,
    dsn: (db?: string) => `mysql://root@127.0.0.1:${port}/${db ?? ''}`,
    stop() {
      stopped ??= stopInstance(dir, child?.pid);
      return stopped;
    },
  };
  live.add(server);
  return server;
}

async function stopInstance(dir: string, spawned?: number): Promise<void> {
  const pid = readPid(join(dir, 'pid')) ?? spawned;
  if (pid !== undefined && pidAlive(pid) && isOurServer(pid, dir)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + DEFAULT_STOP_TIMEOUT_MS;
    while (pidAlive(pid) && isOurServer(pid, dir)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  for (const s of live) if (s.dir === dir) live.delete(s);
  removeInstancesDirIfEmpty();
}

/** A fresh instance folder; another process may remove the (empty) parent at the same moment: make it again. */
function instanceDir(): string {
  for (let attempt = 0; ; attempt++) {
    mkdirSync(INSTANCES_DIR, { recursive: true });
    try {
      return mkdtempSync(join(INSTANCES_DIR, 'm-'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
  }
}

/** The parent folder goes with its last instance, so a test run leaves nothing in /tmp. */
function removeInstancesDirIfEmpty(): void {
  try {
    rmdirSync(INSTANCES_DIR); // fails (and is left alone) while another instance lives in it
  } catch { /* not empty, or gone */ }
}

const live = new Set<MariaDbServer>();

/** Synchronous last resort at process exit: SIGKILL every instance this process started and remove its directory. */
function killAllNow(): void {
  for (const s of live) {
    const pid = readPid(join(s.dir, 'pid')) ?? readPid(join(s.dir, 'spawned'));
    if (pid !== undefined && isOurServer(pid, s.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch { /* gone already */ }
    }
    rmSync(s.dir, { recursive: true, force: true });
  }
  live.clear();
  removeInstancesDirIfEmpty();
}
process.once('exit', killAllNow);

let shared: Promise<MariaDbServer> | undefined;

/** One instance per process, started on first use, stopped at exit (tests share it; use unique database names). */
export function sharedMariaDb(opts: MariaDbOptions = { binlog: true }): Promise<MariaDbServer> {
  shared ??= startMariaDb(opts).catch((err) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

/** Stops the shared instance if one was started (root `after` hooks; exit also cleans up). */
export async function stopSharedMariaDb(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s).stop();
}
