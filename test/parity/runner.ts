import type { Answer } from './compare.ts';
import type { Step, TokenName } from './scenario.ts';

/**
 * Sends one scenario step to one side (a base URL chooser), with that side's
 * own session token, and returns the answer in comparable form. A fixed
 * x-request-id per step makes the echoed header comparable too.
 */
export interface Side {
  name: string;
  baseUrl(path: string): string;
  tokens: Partial<Record<TokenName, string>>;
}

const BAD_TOKEN = `1.${'A'.repeat(43)}`;

export async function send(side: Side, step: Step, index: number): Promise<Answer> {
  const headers: Record<string, string> = { 'x-request-id': `parity-${index}`, ...(step.headers ?? {}) };
  let body: string | undefined;
  if (step.rawBody !== undefined) body = step.rawBody;
  else if (step.body !== undefined) {
    body = JSON.stringify(step.body);
    headers['content-type'] = 'application/json';
  }
  if (step.as === 'mina' || step.as === 'admin' || step.as === 'operator' || step.as === 'merchant') {
    const t = side.tokens[step.as];
    if (!t) throw new Error(`${side.name}: no token captured for ${step.as} before step "${step.name}"`);
    headers.authorization = `Bearer ${t}`;
  } else if (step.as === 'bad-token') headers.authorization = `Bearer ${BAD_TOKEN}`;
  else if (step.as === 'malformed-auth') headers.authorization = 'Token abc';
  const res = await fetch(side.baseUrl(step.path) + step.path, { method: step.method, headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let parsed: unknown = text;
  if (type.includes('json') && text) parsed = JSON.parse(text);
  if (step.captureToken && res.status === 200) side.tokens[step.captureToken] = (parsed as { token: string }).token;
  const h: Record<string, string | undefined> = {};
  res.headers.forEach((v, k) => { h[k] = v; });
  return { status: res.status, headers: h, body: parsed };
}
