/**
 * split-db --nice N: the tool's process runs at a lower CPU priority (Unix
 * nice 0–19), so on a source host whose cores the application and the
 * database keep busy, their threads win the CPU and the tool's work (binlog
 * reading, changelog writes, copy, apply) waits for idle cycles. It trades
 * the tool's speed (catch-up lag, copy time) for the application's latency;
 * 0 (the default) leaves the priority alone.
 *
 * Linux keeps a nice value per thread: every thread the process has (the
 * main thread, V8's and libuv's helpers) is set, by its id under
 * /proc/self/task; elsewhere the process's, which is per process there.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

export function niceProcess(n: number, tasks: () => string[] = () => readdirSync('/proc/self/task')): number {
  let ids: string[] = [];
  try {
    ids = tasks();
  } catch {
    ids = [];
  }
  if (!ids.length) {
    setPriority(n);
    return 1;
  }
  let set = 0;
  for (const id of ids) {
    try {
      setPriority(Number(id), n);
      set++;
    } catch {
      // a thread that ended between the listing and the call
    }
  }
  return set;
}
