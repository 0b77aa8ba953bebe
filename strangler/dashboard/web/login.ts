/** Log in once with the admin token; the name you give is the audit log's actor (`dashboard:<name>`). */
import { useState } from 'preact/hooks';
import { call } from './api.ts';
import { html } from './html.ts';

export function Login({ onLogin }: { onLogin: (s: { actor: string; csrf: string }) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setBusy(true);
    try {
      const name = String(f.get('name') ?? '').trim();
      onLogin(await call('POST', '/dashboard/login', { token: String(f.get('token') ?? ''), ...(name ? { name } : {}) }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main id="main" class="login" tabindex="-1">
      <h1>Strangler control room</h1>
      <form onSubmit=${submit} aria-describedby="login-help">
        <p id="login-help">Log in with the facade's admin token (STRANGLER_ADMIN_TOKEN). The page keeps it nowhere: a session cookie replaces it.</p>
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <label for="name">Your name (shown in the audit log)</label>
        <input id="name" name="name" type="text" autocomplete="username" pattern="[A-Za-z0-9_.@-]{1,48}" placeholder="operator" />
        <button type="submit" disabled=${busy}>Log in</button>
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </form>
    </main>`;
}
