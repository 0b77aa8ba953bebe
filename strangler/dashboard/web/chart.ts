/** A uPlot time chart that follows its container's width; the data table next to it is the accessible reading. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.ts';

export interface ChartSeries {
  label: string;
  color: string;
  dash?: number[];
  values: (number | null)[];
}

export function Chart({ title, t, series, unit, max }: { title: string; t: number[]; series: ChartSeries[]; unit: string; max?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('|');
  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth), height: 220,
      scales: { x: { time: true }, y: max === undefined ? { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.1)] } : { range: [0, max] } },
      axes: [{ stroke: '#333' }, { stroke: '#333', values: (_u, vals) => vals.map((v) => `${v}${unit}`) }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, dash: s.dash, spanGaps: false }))],
    };
    plot.current = new uPlot(opts, [t, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);
  useEffect(() => {
    plot.current?.setData([t, ...series.map((s) => s.values)] as uPlot.AlignedData);
  });
  return html`<figure class="chart"><figcaption>${title}</figcaption><div ref=${box} class="chart-box" role="img" aria-label=${title + ' (chart; figures in the table)'}></div></figure>`;
}
