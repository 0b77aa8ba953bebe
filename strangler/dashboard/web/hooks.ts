/** Polling: fetch now and every `ms` (≤ 2 s keeps the page live), keep the last answer and the last error. */
import { useEffect, useRef, useState } from 'preact/hooks';

export const POLL_MS = 1000;

export function usePoll<T>(load: () => Promise<T>, deps: unknown[], ms = POLL_MS): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const d = await loadRef.current();
        if (!alive) return;
        setData(d);
        setError(null);
      } catch (err) {
        if (!alive) return;
        setError((err as Error).message);
        if ((err as { status?: number }).status === 401) window.dispatchEvent(new Event('strangler:logged-out'));
      }
      if (alive) timer = setTimeout(run, ms);
    };
    void run();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
