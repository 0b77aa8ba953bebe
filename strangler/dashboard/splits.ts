/**
 * Reads split-db's state (read-only) for the dashboard and Prometheus: the `_split_state` documents and each
 * split's capture backlog from the databases named by STRANGLER_SPLIT_STATE_URLS (split-db keeps its state in the
 * source database). Polled in the background; a database that cannot be read keeps its last reads, is reported
 * (masked) on the page, logged at warn once per outage and counted in strangler_split_state_read_errors_total.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { createKnex, type Knex } from '../../lib/db.ts';
import type { Logger } from '../../lib/logger.ts';
import { maskDsn, maskSecretsInText } from '../../lib/mask.ts';
import { changelogTable, q, STATE_TABLE } from '../../scripts/split/lib/sql.ts';
import type { SplitState } from '../../scripts/split/lib/state.ts';
import { splitView, type SplitSample, type SplitView } from './data-model.ts';

export const DEFAULT_SPLIT_POLL_MS = 2000;

interface Source {
  dsn: string;
  masked: string;
  knex: Knex;
  error: string | null;
}

/** The split gauges (read at scrape time from the latest reads) and the read-error counter. */
export function registerSplitMetrics(registry: Registry, views: () => SplitView[]): { errors: Counter } {
  const registers = [registry];
  const perSplit = (name: string, help: string, pick: (v: SplitView) => number | null) => new Gauge({
    name, help, labelNames: ['service'], registers,
    collect() {
      this.reset();
      for (const v of views()) {
        const x = pick(v);
        if (x !== null) this.labels(v.service).set(x);
      }
    },
  });
  perSplit('strangler_split_copy_progress', 'Copied share of a split\'s tables, 0..1 (split-db state read by the facade)', (v) => v.copy.fraction);
  perSplit('strangler_split_rows_copied', 'Rows copied by a split so far', (v) => v.copy.rowsCopied);
  perSplit('strangler_split_backlog_rows', 'Captured changes of a split not applied yet (its changelog rows)', (v) => v.backlog.rows);
  perSplit('strangler_split_last_freeze_seconds', 'Write freeze of a split\'s last cutover or rollback attempt, seconds', (v) => {
    const ms = v.freezes.at(-1)?.freezeMs;
    return ms === undefined || ms === null ? null : ms / 1000;
  });
  perSplit('strangler_split_verify_differences', 'Differences found by a split\'s last verify', (v) => v.verify?.differences ?? null);
  perSplit('strangler_split_phase', 'A split\'s phase: 0 copying, 1 copied, 2 cutover, 3 completed', (v) => Math.max(0, ['copying', 'copied', 'cutover', 'completed'].indexOf(v.phase)));
  return { errors: new Counter({ name: 'strangler_split_state_read_errors_total', help: 'Failed reads of split-db state (STRANGLER_SPLIT_STATE_URLS)', registers }) };
}

export class SplitWatch {
  private readonly sources: Source[];
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly latest = new Map<string, SplitSample>();
  private readonly previous = new Map<string, SplitSample>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly gauges: { errors: Counter };

  constructor(opts: { dsns: string[]; logger: Logger; registry: Registry; now?: () => number }) {
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.sources = opts.dsns.map((dsn) => {
      const knex = createKnex(dsn, { pool: { min: 0, max: 2 } });
      // knex prints pool errors to stdout by itself (with a stack); the failed read is logged once, masked, below
      const knexLog = (knex as unknown as { client?: { logger?: { _warn?: unknown } } }).client?.logger;
      if (knexLog) knexLog._warn = (message: string) => opts.logger.debug({ detail: maskSecretsInText(String(message)).slice(0, 300) }, 'split state connection');
      return { dsn, masked: maskDsn(dsn), knex, error: null };
    });
    this.gauges = registerSplitMetrics(opts.registry, () => this.views());
  }

  start(intervalMs = DEFAULT_SPLIT_POLL_MS): void {
    if (this.timer) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  /** Reads every source now (one read at a time; a read in progress is joined). */
  poll(): Promise<void> {
    this.polling ??= Promise.all(this.sources.map((s) => this.read(s))).then(() => undefined).finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async read(s: Source): Promise<void> {
    try {
      const [[exists]] = await s.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [STATE_TABLE]);
      const docs: SplitState[] = [];
      if (Number(exists.n)) {
        const [rows] = await s.knex.raw(`SELECT doc FROM ${q(STATE_TABLE)} ORDER BY service`);
        for (const r of rows as Array<{ doc: string }>) docs.push(JSON.parse(r.doc) as SplitState);
      }
      const t = this.now();
      for (const state of docs) {
        const [[bl]] = await s.knex.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [changelogTable(state.service)]);
        const backlog = Number(bl.n) ? Number((await s.knex.raw(`SELECT COUNT(*) AS n FROM ${q(changelogTable(state.service))}`))[0][0].n) : null;
        const prev = this.latest.get(state.service);
        if (prev) this.previous.set(state.service, prev);
        this.latest.set(state.service, { t, state, backlog });
      }
      if (s.error !== null) this.logger.info({ source: s.masked }, 'split state readable again');
      s.error = null;
    } catch (err) {
      this.gauges.errors.inc();
      const message = maskSecretsInText(String((err as Error).message ?? err)).slice(0, 300);
      if (s.error === null) this.logger.warn({ source: s.masked, err: { message } }, 'split state could not be read; the data page shows the last read');
      s.error = message;
    }
  }

  view(service: string): SplitView | null {
    const cur = this.latest.get(service);
    return cur ? splitView(cur, this.previous.get(service) ?? null) : null;
  }

  views(): SplitView[] {
    return [...this.latest.keys()].sort().map((k) => this.view(k)!);
  }

  states(): SplitState[] {
    return [...this.latest.values()].map((x) => x.state);
  }

  sourceStatus(): Array<{ source: string; error: string | null }> {
    return this.sources.map((s) => ({ source: s.masked, error: s.error }));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling?.catch(() => undefined);
    await Promise.all(this.sources.map((s) => s.knex.destroy()));
  }
}
