/**
 * `npm run bench -- facade`'s account of shadow mode's CPU (pure: figures in, one line out).
 */
import { median } from './_appcost-stats.ts';

/** CPU per request (µs) of each process, one entry per throughput round of one target. */
export interface CpuRounds {
  loadUs: number[];
  cpuUsPerReq: number[];
  legacyUs: number[];
  serviceUs: number[];
}

const r2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Where shadow mode's CPU goes, from the same throughput runs: every process's CPU per request (load generator, facade,
 * legacy, service), medians over rounds. On one host every process shares the cores, so req/s follows their sum:
 * passthrough's sum ÷ shadow's predicts the req/s ratio (printed next to the measured one, to check the model), and
 * the same with the facade's extra CPU per copy taken out is the ratio a copy costing the facade nothing would give
 * here — the ceiling the service's own work on the same cores leaves. Facade CPU passthrough ÷ shadow is the ratio
 * with the facade on cores of its own, as deployed.
 */
export function shadowBudget(pass: CpuRounds, shadow: CpuRounds, measured: number): string {
  const parts = (m: CpuRounds) => ({ load: median(m.loadUs), facade: median(m.cpuUsPerReq), legacy: median(m.legacyUs), service: median(m.serviceUs) });
  const p = parts(pass);
  const sh = parts(shadow);
  const sum = (x: typeof p) => x.load + x.facade + x.legacy + x.service;
  const copyCost = sh.facade - p.facade;
  const fmt = (x: typeof p) => `load generator ${Math.round(x.load)} + facade ${Math.round(x.facade)} + legacy ${Math.round(x.legacy)} + service ${Math.round(x.service)} = ${Math.round(sum(x))} µs`;
  return `shadow at sample 1.0, CPU per request of every process: passthrough ${fmt(p)}; shadow ${fmt(sh)}. ` +
    `A copy costs the facade ${Math.round(copyCost)} µs and the service ${Math.round(sh.service - p.service)} µs. Req/s ratio predicted by the sums ${r2(sum(p) / sum(sh))}× ` +
    `(measured ${r2(measured)}×); with a copy costing the facade nothing ${r2(sum(p) / (sum(sh) - copyCost))}× (the ceiling on one host); ` +
    `facade on cores of its own (facade CPU passthrough ÷ shadow) ${r2(p.facade / sh.facade)}×`;
}
