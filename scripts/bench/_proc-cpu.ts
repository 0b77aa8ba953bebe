import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** utime and stime of a process in µs (Linux /proc); throws when the process or /proc is not there. */
export function processCpuUs(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1e6) / CLK_TCK, sys: (Number(fields[12]) * 1e6) / CLK_TCK };
}

/** utime + stime of a process in ms (Linux /proc), NaN elsewhere: CPU per request is robust to contention, wall time is not. */
export function processCpuMs(pid: number): number {
  try {
    const { user, sys } = processCpuUs(pid);
    return (user + sys) / 1000;
  } catch {
    return NaN;
  }
}
