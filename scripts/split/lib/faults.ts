/**
 * Named fault-injection points (ghostferry style): SPLIT_FAULT=<point>[:<n>][,<point>...]
 * kills the process with SIGKILL the n-th time (default 1st) the point is reached;
 * SPLIT_FAIL=<point>[:<n>] throws an error there instead. Parsed once by the CLI entry.
 * `loaders-committed`: stream copy with LOAD DATA, several chunks in flight — reached when a loader has committed
 * its chunk while another loader's committed chunk is not covered by a saved position yet (two commits on the
 * target, neither position saved).
 * `indexes-dropped`: the target's deferred secondary indexes are dropped, the state not yet saved as such;
 * `indexes-readding`: their online re-add ALTER has been sent (it runs on in the server after a kill);
 * `indexes-readded`: it has finished, the state does not say so yet (deferred-indexes.ts).
 */
export const FAULT_POINTS = [
  'after-capture', 'mid-chunk', 'chunk-committed', 'loaders-committed', 'after-chunk', 'indexes-dropped', 'indexes-readding', 'indexes-readded', 'mid-apply', 'after-apply', 'during-verify',
  'cutover-fenced', 'cutover-before-flip', 'cutover-after-flip', 'rollback-before-flip',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface Faults {
  hit(point: FaultPoint): void;
}

export const NO_FAULTS: Faults = { hit() {} };

export function parseFaultSpec(spec: string | undefined): Map<FaultPoint, number> {
  const out = new Map<FaultPoint, number>();
  if (!spec) return out;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, n] = part.split(':');
    if (!(FAULT_POINTS as readonly string[]).includes(name)) throw new Error(`unknown fault point "${name}" (known: ${FAULT_POINTS.join(', ')})`);
    const count = n === undefined ? 1 : Number(n);
    if (!Number.isInteger(count) || count < 1) throw new Error(`fault point ${name}: count must be a positive integer`);
    out.set(name as FaultPoint, count);
  }
  return out;
}

export function createFaults(killSpec: string | undefined, failSpec: string | undefined, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): Faults {
  const kills = parseFaultSpec(killSpec);
  const fails = parseFaultSpec(failSpec);
  const seen = new Map<FaultPoint, number>();
  return {
    hit(point) {
      const n = (seen.get(point) ?? 0) + 1;
      seen.set(point, n);
      if (kills.get(point) === n) kill();
      if (fails.get(point) === n) throw new Error(`injected failure at ${point}`);
    },
  };
}
