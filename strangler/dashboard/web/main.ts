/**
 * The control room's page: log in once (the session cookie is HttpOnly; the page keeps only the CSRF token in
 * memory), then three views — overview, a route, data — switched by the address (history API).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, setCsrf } from './api.ts';
import { html } from './html.ts';
import { Login } from './login.ts';
import { Overview } from './overview.ts';
import { RoutePage } from './route-page.ts';
import { DataPage } from './data-page.ts';

export function navigate(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new Event('strangler:navigate'));
}

function useLocation(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    window.addEventListener('popstate', on);
    window.addEventListener('strangler:navigate', on);
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener('strangler:navigate', on);
    };
  }, []);
  return path;
}

/** Same-page links: plain anchors (keyboard, middle-click, copyable), navigated without a reload. */
function onLinkClick(e: MouseEvent): void {
  const a = (e.target as Element).closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/dashboard/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}

function App() {
  const path = useLocation();
  const [session, setSession] = useState<{ actor: string } | null | undefined>(undefined);
  useEffect(() => {
    call<{ actor: string; csrf: string }>('GET', '/dashboard/api/session').then((s) => {
      setCsrf(s.csrf);
      setSession(s);
    }, () => setSession(null));
    const out = () => setSession(null);
    window.addEventListener('strangler:logged-out', out);
    document.addEventListener('click', onLinkClick);
    return () => {
      window.removeEventListener('strangler:logged-out', out);
      document.removeEventListener('click', onLinkClick);
    };
  }, []);
  useEffect(() => {
    const main = document.getElementById('main');
    if (main) main.focus();
  }, [path, session === null]);
  if (session === undefined) return html`<p class="loading">Loading…</p>`;
  if (session === null) return html`<${Login} onLogin=${(s: { actor: string; csrf: string }) => { setCsrf(s.csrf); setSession(s); }} />`;
  const routeMatch = /^\/dashboard\/route\/([^/]+)$/.exec(path);
  const page = routeMatch ? html`<${RoutePage} id=${decodeURIComponent(routeMatch[1])} />`
    : path === '/dashboard/data' ? html`<${DataPage} />` : html`<${Overview} />`;
  const current = (p: string) => (p === path || (p === '/dashboard/' && !routeMatch && path !== '/dashboard/data') ? 'page' : undefined);
  const logout = async () => {
    await call('POST', '/dashboard/logout').catch(() => undefined);
    setSession(null);
  };
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <span class="brand">Strangler control room</span>
      <nav aria-label="Pages">
        <a href="/dashboard/" aria-current=${current('/dashboard/')}>Overview</a>
        <a href="/dashboard/data" aria-current=${current('/dashboard/data')}>Data</a>
      </nav>
      <span class="who">${session.actor} <button type="button" class="link" onClick=${logout}>Log out</button></span>
    </header>
    <main id="main" tabindex="-1">${page}</main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
