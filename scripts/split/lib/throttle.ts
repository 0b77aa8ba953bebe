/**
 * Pure pacing rules for the copier: adaptive chunk size toward a target chunk
 * time, and the pause needed to stay under a rows-per-second ceiling.
 */
export function nextChunkSize(current: number, elapsedMs: number, targetMs: number, min: number, max: number): number {
  if (elapsedMs <= 0) return Math.min(max, current * 2);
  const factor = Math.min(2, Math.max(0.5, targetMs / elapsedMs));
  return Math.round(Math.min(max, Math.max(min, current * factor)));
}

/** Milliseconds to wait so that `rowsDone` rows since `startedAt` stay within `maxPerSecond` (0 = unlimited). */
export function rateDelay(rowsDone: number, elapsedMs: number, maxPerSecond: number): number {
  if (maxPerSecond <= 0) return 0;
  const due = (rowsDone / maxPerSecond) * 1000;
  return Math.max(0, Math.ceil(due - elapsedMs));
}
