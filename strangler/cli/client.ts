/** A small admin API client for the CLI: one error type with a one-line message. */
export class CliError extends Error {
  readonly exitCode: number;
  /** For `--json` errors: USAGE for exit 2, the admin API's error code, UNREACHABLE, UNAUTHENTICATED or ERROR. */
  readonly code: string;
  constructor(message: string, exitCode = 1, code?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = code ?? (exitCode === 2 ? 'USAGE' : 'ERROR');
  }
}

export interface AdminClientOptions {
  url: string;
  token: string;
  actor: string;
  timeoutMs?: number;
}

export class AdminClient {
  private readonly opts: AdminClientOptions;
  constructor(opts: AdminClientOptions) {
    this.opts = opts;
  }

  async call<T = any>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    const url = this.opts.url.replace(/\/+$/, '') + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          'x-strangler-actor': this.opts.actor,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...extraHeaders,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CliError(`cannot reach the admin API at ${this.opts.url} (${cause}); is the facade running? (set STRANGLER_ADMIN_URL)`, 1, 'UNREACHABLE');
    }
    const text = await res.text();
    let data: any;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!res.ok) {
      const e = data?.error;
      if (res.status === 401) throw new CliError('the admin API refused the token (set STRANGLER_ADMIN_TOKEN)', 1, 'UNAUTHENTICATED');
      // one line: the details (e.g. every validation error) are already in the message
      throw new CliError(e?.message ? `${String(e.message).replace(/\s*\n\s*/g, ' ')} (${e.code}, HTTP ${res.status})` : `admin API answered HTTP ${res.status}`, 1, typeof e?.code === 'string' ? e.code : undefined);
    }
    return data as T;
  }
}
