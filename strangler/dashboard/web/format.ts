/** Number and time formatting for the page (pure). */
export const dash = '—';

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? dash : `${(x * 100).toFixed(digits)} %`;
}

export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined) return dash;
  return x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`;
}

export function rate(x: number | null | undefined): string {
  return x === null || x === undefined ? dash : x >= 100 ? `${Math.round(x)}/s` : `${x.toFixed(1)}/s`;
}

export function count(x: number | null | undefined): string {
  return x === null || x === undefined ? dash : Math.round(x).toLocaleString('en');
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return dash;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function when(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return dash;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const ago = Math.max(0, Math.round((now - t) / 1000));
  return `${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (${duration(ago)} ago)`;
}

export function modeLabel(mode: string, percent: number): string {
  return mode === 'canary' ? `canary ${percent} %` : mode;
}

/**
 * The line an action leaves on the route page: done, and the advice the facade answered with when the change works
 * but not as it seems to (the admin API's `warnings`: a shadow pool short of the route's copies, …).
 */
export function actionDone(title: string, reason: string, warnings: unknown): { text: string; warn: boolean } {
  const list = Array.isArray(warnings) ? warnings.map(String).filter(Boolean) : [];
  return { text: `${title}: done (${reason})${list.length ? `. Warning: ${list.join(' ')}` : ''}`, warn: list.length > 0 };
}
