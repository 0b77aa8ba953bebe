/** An open-loop load for the benchmarks (split-appcost's SPLIT_APPCOST_RATE / SPLIT_APPCOST_PACE). */

/**
 * Open loop: writes fall due every 1/rate s whatever the server does, checked every millisecond (a node timer), and go
 * out at once on a free session (FIFO when none is free). Latency is the write's own (sent → answered); a write sent
 * more than 2 ms after it fell due counts as late (every session was busy — the server fell behind the offered load,
 * which a closed loop would hide by slowing down — or this process's own event loop was behind) — the caller reports
 * the share. Writes due before `until`
 * all run.
 */
export function pacedWrites(sessions: number, rate: number, until: number, write: (session: number) => Promise<void>, out: number[], starts: number[]): Promise<{ late: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const due: number[] = [];
    let head = 0;
    let k = 0;
    let inflight = 0;
    let late = 0;
    let failed = false;
    const free = Array.from({ length: sessions }, (_, i) => sessions - 1 - i);
    const settleIfDone = () => {
      if (performance.now() >= until && inflight === 0 && head === due.length) resolve({ late });
    };
    const pump = () => {
      while (!failed && free.length && head < due.length) {
        const at = due[head++];
        const w = free.pop()!;
        inflight++;
        const sent = performance.now();
        if (sent - at > 2) late++;
        write(w).then(() => {
          out.push(performance.now() - sent);
          starts.push(performance.timeOrigin + sent);
          inflight--;
          free.push(w);
          pump();
          settleIfDone();
        }, (err) => {
          failed = true;
          reject(err);
        });
      }
    };
    const tick = () => {
      if (failed) return;
      const now = Math.min(performance.now(), until);
      for (let at = t0 + (k * 1000) / rate; at <= now && at < until; at = t0 + (++k * 1000) / rate) due.push(at);
      pump();
      if (performance.now() < until) setTimeout(tick, 1);
      else settleIfDone();
    };
    tick();
  });
}
