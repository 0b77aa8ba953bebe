/**
 * Per-route aggregates of shadow overlap figures (overlap.ts), matches and
 * mismatches alike, so the diff report shows how close the service is and not
 * only how often it missed: per list the judged scores' count, mean, lowest,
 * decile histogram and how many fell below `min`; the scores reported but not
 * judged (`judge: "complete"`) apart; the count ratio's range; and the last
 * `history` requests' figures.
 */
import type { OverlapFigure } from './overlap.ts';
import { Ring } from './ring.ts';

/** Histogram bucket labels: [0, 0.1) … [0.9, 1) and exactly 1. */
export const OVERLAP_BUCKETS = ['<0.1', '<0.2', '<0.3', '<0.4', '<0.5', '<0.6', '<0.7', '<0.8', '<0.9', '<1', '1'] as const;

interface ListAggregate {
  measure: OverlapFigure['measure'];
  min: number;
  compared: number;
  /** judged scores: how many, below min, sum, lowest, histogram */
  judged: number;
  belowMin: number;
  sum: number;
  lowest: number;
  buckets: number[];
  unjudgedSum: number;
  itemsCompared: number;
  itemsDiffering: number;
  total: { path: string; compared: number; outside: number; ratioMin: number; ratioMax: number; ratioSum: number; ratioN: number } | null;
}

export interface OverlapSample {
  at: string;
  requestId: string;
  url: string;
  match: boolean;
  lists: { path: string; value: number; judged: boolean; legacy: number; service: number; common: number; missing: OverlapFigure['missing']; total?: { legacy: number | null; service: number | null; ratio: number | null } }[];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export class OverlapStats {
  private readonly lists = new Map<string, ListAggregate>();
  recent: Ring<OverlapSample>;

  constructor(history: number) {
    this.recent = new Ring(history);
  }

  resize(history: number): void {
    if (this.recent.capacity !== history) this.recent = new Ring(history);
  }

  record(figures: OverlapFigure[], ctx: { requestId: string; url: string; match: boolean }): void {
    for (const f of figures) {
      let a = this.lists.get(f.path);
      if (a === undefined) {
        a = { measure: f.measure, min: f.min, compared: 0, judged: 0, belowMin: 0, sum: 0, lowest: 1, buckets: new Array(OVERLAP_BUCKETS.length).fill(0),
          unjudgedSum: 0, itemsCompared: 0, itemsDiffering: 0, total: null };
        this.lists.set(f.path, a);
      }
      a.measure = f.measure;
      a.min = f.min;
      a.compared++;
      if (f.judged) {
        a.judged++;
        if (!f.pass) a.belowMin++;
        a.sum += f.value;
        a.lowest = Math.min(a.lowest, f.value);
        a.buckets[f.value >= 1 ? 10 : Math.min(9, Math.floor(f.value * 10))]++;
      } else a.unjudgedSum += f.value;
      a.itemsCompared += f.itemsCompared;
      a.itemsDiffering += f.itemsDiffering;
      if (f.total) {
        const t = a.total ??= { path: f.total.path, compared: 0, outside: 0, ratioMin: Infinity, ratioMax: -Infinity, ratioSum: 0, ratioN: 0 };
        t.compared++;
        if (!f.total.pass) t.outside++;
        if (f.total.ratio !== null) {
          t.ratioN++;
          t.ratioSum += f.total.ratio;
          t.ratioMin = Math.min(t.ratioMin, f.total.ratio);
          t.ratioMax = Math.max(t.ratioMax, f.total.ratio);
        }
      }
    }
    if (figures.length) {
      this.recent.push({
        at: new Date().toISOString(), requestId: ctx.requestId, url: ctx.url, match: ctx.match,
        lists: figures.map((f) => ({
          path: f.path, value: f.value, judged: f.judged, legacy: f.legacy, service: f.service, common: f.common, missing: f.missing,
          ...(f.total ? { total: { legacy: f.total.legacy, service: f.total.service, ratio: f.total.ratio } } : {}),
        })),
      });
    }
  }

  /** The report served with a route's diffs (`GET /routes/:id/diffs`); empty lists when the route declares no overlap. */
  report(limit: number) {
    return {
      lists: [...this.lists.entries()].map(([path, a]) => ({
        path, measure: a.measure, min: a.min, compared: a.compared, judged: a.judged, belowMin: a.belowMin,
        mean: a.judged ? r3(a.sum / a.judged) : null, lowest: a.judged ? a.lowest : null,
        buckets: Object.fromEntries(OVERLAP_BUCKETS.map((b, i) => [b, a.buckets[i]])),
        unjudged: { compared: a.compared - a.judged, mean: a.compared > a.judged ? r3(a.unjudgedSum / (a.compared - a.judged)) : null },
        items: { compared: a.itemsCompared, differing: a.itemsDiffering },
        total: a.total && {
          path: a.total.path, compared: a.total.compared, outside: a.total.outside,
          ratio: a.total.ratioN ? { min: a.total.ratioMin, mean: r3(a.total.ratioSum / a.total.ratioN), max: a.total.ratioMax } : null,
        },
      })),
      recent: this.recent.list(limit),
    };
  }
}
