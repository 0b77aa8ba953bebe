/**
 * Machine-wide and per-process CPU accounting from Linux /proc, for benches
 * that must say where every core went (the 2-core development VM is shared).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Busy and total jiffies summed over all CPUs (/proc/stat's first line); busy excludes idle and iowait. */
export function machineJiffies(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Cores busy between two machineJiffies() readings (0..cores), every process on the machine included. */
export function busyCores(a: ReturnType<typeof machineJiffies>, b: ReturnType<typeof machineJiffies>): number {
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * cpus().length : NaN;
}

/** Resident set size of a live process in MiB (/proc/<pid>/status VmRSS), NaN when unreadable. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
