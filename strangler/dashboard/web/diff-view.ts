/** One shadow mismatch side by side: real differences highlighted, noise and ignored paths greyed, each path's ignore rule copyable. */
import { useState } from 'preact/hooks';
import { countKinds, diffRows, type DiffRow } from '../diff-model.ts';
import { html } from './html.ts';

export interface DiffRecordView {
  at: string;
  requestId: string;
  method: string;
  url: string;
  differences: string[];
  legacy: { status: number; body: string; truncated: boolean };
  service: { status: number; body: string; truncated: boolean } | { error: string };
}

const KIND_TEXT = { real: 'real difference', noise: 'noise (legacy differs from itself here)', ignored: 'ignored by the route', same: 'same' } as const;

function CopyRule({ rule }: { rule: string }) {
  const [done, setDone] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(JSON.stringify(rule));
      setDone('copied');
    } catch {
      setDone('select the rule and copy it');
    }
  };
  return html`<button type="button" class="small" onClick=${copy} aria-label=${'Copy ignore rule ' + rule}>Copy rule</button>${done && html`<span class="sub" role="status"> ${done}</span>`}`;
}

export function DiffView({ d, noisy, ignore }: { d: DiffRecordView; noisy: string[]; ignore: string[] }) {
  const [all, setAll] = useState(false);
  const svcBody = 'error' in d.service ? undefined : d.service.body;
  const rows = diffRows(d.legacy.body, svcBody, noisy, ignore);
  const c = countKinds(rows);
  const shown: DiffRow[] = all ? rows : rows.filter((r) => r.kind !== 'same');
  const status = 'error' in d.service ? `service error: ${d.service.error}` : `status ${d.legacy.status} vs ${d.service.status}`;
  return html`<div class="diff">
    <p><strong>${d.method} ${d.url}</strong> · ${d.at} · request ${d.requestId} · ${status}</p>
    <p>${c.real} real · ${c.noise} noise · ${c.ignored} ignored · ${c.same} same
      ${d.legacy.truncated || ('body' in d.service && d.service.truncated) ? html` · <strong>a body was cut at the capture limit</strong>` : null}
      · <label><input type="checkbox" checked=${all} onChange=${(e: Event) => setAll((e.target as HTMLInputElement).checked)} /> show unchanged paths</label></p>
    <div class="scroll" role="region" aria-label="Side-by-side difference" tabindex="0">
      <table class="difftable">
        <caption class="visually-hidden">Legacy and service answers by JSON path</caption>
        <thead><tr><th scope="col">Path</th><th scope="col">Legacy</th><th scope="col">Service</th><th scope="col">Kind</th><th scope="col">Ignore rule</th></tr></thead>
        <tbody>${shown.map((r) => html`<tr key=${r.path} class=${'kind-' + r.kind} data-path=${r.path} data-kind=${r.kind}>
          <th scope="row"><code>${r.path}</code></th>
          <td><code>${r.legacy ?? '(absent)'}</code></td>
          <td><code>${r.service ?? '(absent)'}</code></td>
          <td>${KIND_TEXT[r.kind]}</td>
          <td><code class="rule">${r.rule}</code> <${CopyRule} rule=${r.rule} /></td>
        </tr>`)}</tbody>
      </table>
    </div>
  </div>`;
}
