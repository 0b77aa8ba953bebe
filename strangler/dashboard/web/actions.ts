/**
 * A route's actions — shadow, canary N %, service, rollback — each asking for a reason and a confirmation, then
 * calling the admin API endpoints the CLI uses (`strangler set`, `strangler rollback`), so they are validated,
 * audited and hot-reloaded the same way.
 */
import { useRef, useState } from 'preact/hooks';
import { call, enc } from './api.ts';
import { actionDone } from './format.ts';
import { html } from './html.ts';

type Action = 'shadow' | 'canary' | 'service' | 'rollback';
const TITLE: Record<Action, string> = { shadow: 'Put in shadow', canary: 'Canary', service: 'Send to the service', rollback: 'Roll back to legacy' };

export function Actions({ id, mode, percent, hasService, onDone }: { id: string; mode: string; percent: number; hasService: boolean; onDone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string; warn?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const open = (a: Action) => {
    setAction(a);
    setMessage(null);
    dialog.current?.showModal();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const reason = String(f.get('reason') ?? '').trim();
    setBusy(true);
    try {
      const r = action === 'rollback'
        ? await call('POST', `/routes/${enc(id)}/rollback`, { reason })
        : await call('POST', `/routes/${enc(id)}`, { mode: action, ...(action === 'canary' ? { percent: Number(f.get('percent')) } : {}), reason });
      setMessage({ ok: true, ...actionDone(TITLE[action!], reason, r?.warnings) });
      dialog.current?.close();
      onDone();
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const disabled = (a: Action) => !hasService && a !== 'rollback';
  return html`<section aria-labelledby="actions-h" class="actions">
    <h2 id="actions-h">Actions</h2>
    <div class="buttons">
      ${(['shadow', 'canary', 'service', 'rollback'] as Action[]).map((a) => html`<button type="button" class=${a === 'rollback' ? 'danger' : ''} disabled=${disabled(a)} onClick=${() => open(a)}>${a === 'canary' ? 'Canary…' : TITLE[a]}</button>`)}
    </div>
    <p class="sub">Each change is validated, written to the audit log under your name and applied to the live route table (the same calls as <code>strangler set</code> / <code>strangler rollback</code>).</p>
    <div role="status" aria-live="polite">${message && html`<p class=${!message.ok ? 'error' : message.warn ? 'warn-text' : 'ok-text'}>${message.text}</p>`}</div>
    <dialog ref=${dialog} aria-labelledby="confirm-h" onClose=${() => setAction(null)}>
      ${action && html`<form onSubmit=${submit}>
        <h3 id="confirm-h">${TITLE[action]}: ${id}</h3>
        <p>Now: ${mode === 'canary' ? `canary ${percent} %` : mode}.</p>
        ${action === 'canary' && html`<label for="percent">Share of users sent to the service (%)</label>
          <input id="percent" name="percent" type="number" min="0" max="100" step="1" required value=${mode === 'canary' ? percent : 5} />`}
        <label for="reason">Reason (for the audit log)</label>
        <textarea id="reason" name="reason" required maxlength="500" rows="3"></textarea>
        <div class="buttons">
          <button type="submit" class=${action === 'rollback' ? 'danger' : ''} disabled=${busy}>Confirm: ${TITLE[action]}</button>
          <button type="button" onClick=${() => dialog.current?.close()}>Cancel</button>
        </div>
        ${message && !message.ok && html`<p class="error" role="alert">${message.text}</p>`}
      </form>`}
    </dialog>
  </section>`;
}
