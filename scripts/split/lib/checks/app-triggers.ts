import type { TriggerRow } from './facts.ts';
import { findingsOf, type Check, type Finding } from './types.ts';

export const NAME = 'app-triggers';
const f = findingsOf(NAME);

/** The tool's own triggers (any service) start with this; the claims check looks at other services' ones. */
export const TOOL_TRIGGER_PREFIX = '_split_';

/** Sessions of the tool set this user variable; a trigger that tests it stays silent for the tool's writes. */
export const BYPASS_VARIABLE = '@split_bypass';

/**
 * Pure: the application's own triggers on moved tables, on either side. The
 * tool's copy and apply write on the target and, after cutover, its reverse
 * apply writes on the source: such a trigger would fire for those writes too
 * (duplicate audit rows, changed values). A trigger is fine when its body
 * skips the tool's sessions (`IF @split_bypass IS NULL THEN … END IF`) or when
 * the manifest lists it in `acceptTriggers` (the DBA says firing is harmless).
 */
export function assessAppTriggers(rows: Array<TriggerRow & { side: 'source' | 'target' }>, moved: Set<string>, accepted: Set<string>): Finding[] {
  const out: Finding[] = [];
  for (const t of rows) {
    if (!moved.has(t.table) || t.name.startsWith(TOOL_TRIGGER_PREFIX)) continue;
    const what = `${t.side} trigger ${t.name} (${t.timing} ${t.event} ON ${t.table})`;
    if (t.body.toLowerCase().includes(BYPASS_VARIABLE)) continue;
    if (accepted.has(t.name)) {
      out.push(f.warning(`${what} fires for the tool's copy and apply writes too (accepted in the manifest)`, { table: t.table }));
      continue;
    }
    out.push(f.blocker(`${what} would fire for the tool's ${t.side === 'target' ? 'copy and apply' : 'reverse apply'} writes (duplicate side effects such as audit rows, or changed values)`, {
      table: t.table,
      fix: `drop it or move its work into the application; or wrap its body in IF ${BYPASS_VARIABLE} IS NULL THEN … END IF (the tool's sessions set it); or, if firing for the tool's writes is harmless, list it in the manifest: "acceptTriggers": ["${t.name}"]`,
    }));
  }
  return out;
}

export const appTriggers: Check = {
  name: NAME,
  what: 'no application trigger on a moved table (source or target) would fire for the tool\'s writes, unless it skips them or the manifest accepts it',
  async run(facts) {
    const rows = [
      ...(await facts.triggers('source')).map((t) => ({ ...t, side: 'source' as const })),
      ...(await facts.triggers('target')).map((t) => ({ ...t, side: 'target' as const })),
    ];
    return assessAppTriggers(rows, new Set(facts.moved), new Set(facts.ctx.service.spec.acceptTriggers));
  },
};
