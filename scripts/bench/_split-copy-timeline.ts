/**
 * Where the cross-server copy's WALL time goes (issue #16): the bench's seed, then one `start` into a fresh database on
 * a second mariadbd (and, with --dump, the dump pipe before it), sampled every --every ms: what each connection of
 * the copy is doing on both servers (information_schema.PROCESSLIST: command/state/statement kind), the CPU of both
 * mariadbd and of this process, the target's InnoDB counters (fsyncs, pages read from disk, waits for a free page,
 * redo written, checkpoint age, dirty pages) and its /proc io. Prints per-second rows and a summary: the share of
 * samples each loader connection spent in each state, and the phases (fault points and log lines, timestamped).
 *
 *   node scripts/bench/_split-copy-timeline.ts --rows=300000 [--dump] [--base] [--preraise] [--every=50] [--loaders=N] [--chunk=N]
 *
 * `--base`: also the same copy by the code of another checkout (SPLIT_AB_BASE=<dir>, see _split-copy-ab.ts).
 * `--preraise`: an experiment — the target tables' AUTO_INCREMENT raised above every key before the first chunk.
 *
 * A tool to look with, not a benchmark of record.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { createKnex, parseMysqlDsn, type Knex } from '../../lib/db.ts';
import { createLogger } from '../../lib/logger.ts';
import type { FaultPoint } from '../split/lib/faults.ts';
import { processCpuMs } from './_proc-cpu.ts';
import { baseLib, dumpInto, openProbe, OURS, productService } from './_split-probe-lib.ts';
import { TABLES } from './_split-seed.ts';

const arg = (n: string, d: string) => process.argv.find((x) => x.startsWith(`--${n}=`))?.slice(n.length + 3) ?? d;
const rows = Number(arg('rows', '100000'));
const every = Number(arg('every', '50'));
const log = (s: string) => process.stderr.write(`${s}\n`);

const STATUS = ['Innodb_data_fsyncs', 'Innodb_buffer_pool_reads', 'Innodb_buffer_pool_wait_free', 'Innodb_os_log_written', 'Innodb_checkpoint_age', 'Innodb_buffer_pool_pages_dirty', 'Innodb_data_written', 'Innodb_log_waits'];

async function status(k: Knex): Promise<Record<string, number>> {
  const [r] = await k.raw(`SHOW GLOBAL STATUS WHERE Variable_name IN (${STATUS.map(() => '?').join(',')})`, STATUS);
  return Object.fromEntries((r as Array<{ Variable_name: string; Value: string }>).map((x) => [x.Variable_name, Number(x.Value)]));
}

function ioBytes(pid: number): { read: number; write: number } {
  try {
    const s = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { read: Number(/read_bytes: (\d+)/.exec(s)?.[1]), write: Number(/^write_bytes: (\d+)/m.exec(s)?.[1]) };
  } catch {
    return { read: NaN, write: NaN };
  }
}

/** Run and runqueue-wait ns of every thread of a process, summed (/proc/<pid>/task/<tid>/schedstat). */
function sched(pid: number): { run: number; wait: number } {
  let run = 0;
  let wait = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [r, w] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      run += r;
      wait += w;
    } catch { /* thread ended */ }
  }
  return { run, wait };
}

/** What a processlist row is doing, in a few words. */
function activity(cmd: string, state: string, info: string | null): string {
  if (cmd === 'Sleep') return 'idle';
  const verb = (info ?? '').trim().split(/\s+/).slice(0, 2).join(' ').toUpperCase();
  const kind = verb.startsWith('LOAD DATA') ? 'LOAD' : verb.startsWith('SELECT') ? 'SELECT' : verb.split(' ')[0] || cmd;
  return `${kind}:${state || cmd}`;
}

async function main(): Promise<void> {
  const probe = await openProbe('bench_tl_src', rows);
  const { server, srcDb, src, second, targetPid, sourcePid, total } = probe;
  const mon = createKnex(second.dsn(), { pool: { max: 1 } });
  const srcMon = createKnex(server, { pool: { max: 1 } });
  try {
    log(`seeded ${total} rows; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const variants = [...(process.argv.includes('--dump') ? ['dump'] : []), ...(process.argv.includes('--base') ? ['base'] : []), 'ours'];
    for (const v of variants) {
      const db = `tl_${v}`;
      const events: Array<{ t: number; what: string }> = [];
      const sc0 = { tgt: sched(targetPid), src: sched(sourcePid), self: sched(process.pid) };
      const t0 = performance.now();
      const at = () => Math.round(performance.now() - t0);
      // sampler
      let stop = false;
      const samples: Array<{ t: number; tgt: string[]; src: string[] }> = [];
      const seconds: string[] = [];
      const lockWaits: number[] = [];
      const waitKinds = new Map<string, number>();
      let prev = { t: 0, tgtCpu: processCpuMs(targetPid), srcCpu: processCpuMs(sourcePid), self: process.cpuUsage(), io: ioBytes(targetPid), st: await status(mon) };
      const sampler = (async () => {
        while (!stop) {
          const [[tp], [sp], [lw]] = await Promise.all([
            mon.raw('SELECT COMMAND AS c, STATE AS s, LEFT(INFO, 30) AS i FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [db]),
            srcMon.raw('SELECT COMMAND AS c, STATE AS s, LEFT(INFO, 30) AS i FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [srcDb]),
            mon.raw(`SELECT LEFT(r.trx_query, 40) AS wq, l.lock_mode AS m, l.lock_type AS lt, l.lock_index AS li, LEFT(l.lock_data, 30) AS ld, LEFT(b.trx_query, 40) AS bq, r.trx_isolation_level AS ri, b.trx_isolation_level AS bi
              FROM information_schema.INNODB_LOCK_WAITS w JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
              JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id`),
          ]);
          const waits = lw as Array<Record<string, string>>;
          lockWaits.push(waits.length);
          for (const x of waits) {
            const k = `${x.wq} [${x.ri}] waits ${x.m} ${x.lt} ${x.li} on ${x.ld} held by ${x.bq} [${x.bi}]`;
            waitKinds.set(k, (waitKinds.get(k) ?? 0) + 1);
          }
          const t = at();
          samples.push({ t, tgt: (tp as Array<{ c: string; s: string; i: string | null }>).map((r) => activity(r.c, r.s, r.i)), src: (sp as Array<{ c: string; s: string; i: string | null }>).map((r) => activity(r.c, r.s, r.i)) });
          if (t - prev.t >= 1000) {
            const now = { t, tgtCpu: processCpuMs(targetPid), srcCpu: processCpuMs(sourcePid), self: process.cpuUsage(), io: ioBytes(targetPid), st: await status(mon) };
            const dt = (now.t - prev.t) / 1000;
            const d = (k: string) => (now.st[k] - prev.st[k]) / dt;
            const self = (now.self.user + now.self.system - prev.self.user - prev.self.system) / 1e3 / (now.t - prev.t);
            const busy = samples.filter((x) => x.t > prev.t);
            const loads = busy.reduce((a, x) => a + x.tgt.filter((s) => s.startsWith('LOAD')).length, 0) / Math.max(1, busy.length);
            seconds.push(`${(t / 1000).toFixed(1).padStart(6)}s cpu tgt ${((now.tgtCpu - prev.tgtCpu) / (now.t - prev.t)).toFixed(2)} src ${((now.srcCpu - prev.srcCpu) / (now.t - prev.t)).toFixed(2)} tool ${self.toFixed(2)} | loads ${loads.toFixed(1)} | fsync/s ${d('Innodb_data_fsyncs').toFixed(0)} bp-reads/s ${d('Innodb_buffer_pool_reads').toFixed(0)} wait-free/s ${d('Innodb_buffer_pool_wait_free').toFixed(0)} redo MB/s ${(d('Innodb_os_log_written') / 1e6).toFixed(1)} ckpt-age MB ${(now.st.Innodb_checkpoint_age / 1e6).toFixed(1)} dirty ${now.st.Innodb_buffer_pool_pages_dirty} | io w MB/s ${((now.io.write - prev.io.write) / dt / 1e6).toFixed(1)} r MB/s ${((now.io.read - prev.io.read) / dt / 1e6).toFixed(1)} | load ${loadavg()[0].toFixed(2)}`);
            prev = now;
          }
          await new Promise((r) => setTimeout(r, every));
        }
      })();
      if (v === 'dump') {
        await dumpInto(probe, db, () => events.push({ t: at(), what: 'dump begins' }));
      } else {
        await src.raw('DROP TABLE IF EXISTS _split_state');
        const sink = new Writable({
          write(chunk: Buffer, _e, cb) {
            for (const line of chunk.toString().split('\n').filter(Boolean)) {
              try {
                const j = JSON.parse(line) as { msg: string; table?: string };
                events.push({ t: at(), what: `log: ${j.msg}${j.table ? ` (${j.table})` : ''}` });
              } catch { /* not json */ }
            }
            cb();
          },
        });
        const counts = new Map<string, number>();
        const lib = v === 'base' ? await baseLib('--base') : OURS;
        const ctx = lib.openContext({
          service: productService(lib, probe, db),
          opts: lib.validateOptions({ chunkSize: 5000, maxChunk: Number(arg('chunk', '50000')), maxThreadsRunning: 0, ...(arg('loaders', '') ? { copyLoaders: arg('loaders', '') } : {}) }),
          log: createLogger('tl', { level: 'info', destination: sink }),
          faults: { hit(p: FaultPoint) {
            const n = (counts.get(p) ?? 0) + 1;
            counts.set(p, n);
            // experiment: the target's AUTO_INCREMENT counters raised above every key before the first chunk
            if (p === 'after-capture' && process.argv.includes('--preraise')) {
              const d = parseMysqlDsn(second.dsn());
              for (const t of TABLES) spawnSync('mariadb', ['-h', d.host, '-P', String(d.port), '-u', d.user, '-e', `ALTER TABLE \`${db}\`.\`${t}\` AUTO_INCREMENT = 1000000000`]);
            }
            if (p !== 'mid-chunk' && p !== 'after-chunk' && p !== 'loaders-committed') events.push({ t: at(), what: `${p} #${n}` });
          } },
        });
        try {
          events.push({ t: at(), what: 'start begins' });
          await lib.start(ctx);
        } finally {
          await lib.closeContext(ctx);
        }
      }
      const wall = at();
      events.push({ t: wall, what: 'done' });
      stop = true;
      await sampler;
      const sc1 = { tgt: sched(targetPid), src: sched(sourcePid), self: sched(process.pid) };
      const fmt = (k: 'tgt' | 'src' | 'self') => `${k} run ${((sc1[k].run - sc0[k].run) / 1e9).toFixed(2)} s, runqueue wait ${((sc1[k].wait - sc0[k].wait) / 1e9).toFixed(2)} s`;
      log(`\n=== ${v}: ${(wall / 1000).toFixed(2)} s, ${Math.round(total / (wall / 1000))} rows/s, load ${loadavg()[0].toFixed(2)}`);
      log(`  schedstat: ${fmt('tgt')}; ${fmt('src')}; ${fmt('self')}`);
      for (const s of seconds) log(s);
      log(`  loads in flight per sample: ${samples.map((x) => x.tgt.filter((s) => s.startsWith('LOAD')).length + (x.tgt.some((s) => s.startsWith('ALTER')) ? 'A' : '')).join('')}`);
      // the copy window: first to last sample with a LOAD on the target
      const loadsOf = samples.map((x) => x.tgt.filter((q) => q.startsWith('LOAD')).length);
      const first = loadsOf.findIndex((n) => n > 0);
      const lastLoad = loadsOf.length - 1 - [...loadsOf].reverse().findIndex((n) => n > 0);
      if (first >= 0) {
        const win = loadsOf.slice(first, lastLoad + 1);
        const autoinc = samples.slice(first, lastLoad + 1).length;
        log(`  copy window ${((samples[lastLoad].t - samples[first].t) / 1000).toFixed(2)} s (${win.length} samples): LOADs in flight mean ${(win.reduce((a, b) => a + b, 0) / win.length).toFixed(2)}, samples with none ${(win.filter((n) => n === 0).length / autoinc * 100).toFixed(0)} %, lock waits mean ${(lockWaits.slice(first, lastLoad + 1).reduce((a, b) => a + b, 0) / win.length).toFixed(2)}`);
      }
      log(`  target lock waits per sample: ${lockWaits.join('')}`);
      for (const [k, n] of [...waitKinds].sort((a, b) => b[1] - a[1]).slice(0, 8)) log(`    ${n}× ${k}`);
      log(`  source SELECTs per sample:  ${samples.map((x) => x.src.filter((s) => s.startsWith('SELECT')).length).join('')}`);
      // phases: consecutive chunk-committed events collapsed
      let last = '';
      for (const e of events) {
        const k = e.what.replace(/ #\d+$/, '');
        if (k === last && k === 'chunk-committed') continue;
        log(`  ${(e.t / 1000).toFixed(2).padStart(7)}s ${e.what}`);
        last = k;
      }
      const share = (pick: (x: (typeof samples)[number]) => string[]) => {
        const m = new Map<string, number>();
        for (const x of samples) for (const s of pick(x)) m.set(s, (m.get(s) ?? 0) + 1);
        return [...m].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([s, n]) => `${s} ${(n / samples.length).toFixed(2)}`).join(', ');
      };
      log(`  target connections (mean per sample): ${share((x) => x.tgt)}`);
      log(`  source connections (mean per sample): ${share((x) => x.src)}`);
    }
  } finally {
    await Promise.allSettled([mon.destroy(), srcMon.destroy()]);
    await probe.close();
  }
}

await main();
