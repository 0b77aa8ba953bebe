/**
 * One simulated client (an app install or a browser tab): its own login,
 * its own memory of what it wrote, and `act`, which sends one request,
 * checks the status against what this client expects and records it.
 */
import type { Rng } from '../../seed/prng.ts';
import type { HttpClient, Reply } from './client.ts';
import type { Recorder } from './recorder.ts';
import { classify } from './stats.ts';
import type { ErrorKind, Persona } from './types.ts';

export interface ActOptions {
  token?: string;
  body?: unknown;
  /** Statuses this client expects for this request. */
  expect: readonly number[];
  /** Data check on an expected reply: return a message when the data contradicts this client's own writes. */
  check?: (reply: Reply) => string | undefined;
}

export abstract class SimulatedClient {
  abstract readonly persona: Persona;
  readonly name: string;
  protected readonly http: HttpClient;
  protected readonly recorder: Recorder;
  protected readonly rng: Rng;
  token: string | undefined;
  /** This client's last requests (what a support engineer asks for first when a client reports an error). */
  private readonly history: string[] = [];

  constructor(name: string, http: HttpClient, recorder: Recorder, rng: Rng) {
    this.name = name;
    this.http = http;
    this.recorder = recorder;
    this.rng = rng;
  }

  /** Signs in (called once before the loop and again by the login action). */
  abstract login(): Promise<boolean>;
  /** Performs one action of the persona's mix. */
  abstract step(): Promise<void>;

  protected async act(action: string, method: string, endpoint: string, path: string, o: ActOptions): Promise<Reply> {
    const phase = this.recorder.phase;
    const at = Date.now();
    const reply = await this.http.call(method, path, { token: o.token, body: o.body });
    let error: ErrorKind | undefined = classify(reply.status, o.expect);
    let detail: string | undefined;
    if (error) detail = reply.error ?? describe(reply);
    else if (o.check) {
      let problem: string | undefined;
      try {
        problem = o.check(reply);
      } catch (err) {
        problem = `unreadable answer (${(err as Error).message})`;
      }
      if (problem) {
        error = 'consistency';
        detail = problem;
      }
    }
    const body = o.body === undefined ? '' : ` ${JSON.stringify(o.body).slice(0, 60)}`;
    const line = `${new Date(at).toISOString().slice(11, 23)} [${phase}] ${method} ${path}${body} → ${reply.status}`;
    if (error) {
      // the client's earlier requests about the same resource (ids in the path or body), else its last few
      const ids = `${path}${body}`.match(/\d{2,}/g) ?? [];
      const related = this.history.filter((h) => ids.some((id) => h.includes(id)));
      detail = `${detail ?? ''} [${this.name} earlier: ${(related.length ? related : this.history).slice(-4).join('; ') || 'nothing'}]`;
    }
    this.history.push(line);
    if (this.history.length > 200) this.history.shift();
    this.recorder.record({
      persona: this.persona, action, endpoint, phase, status: reply.status, latencyMs: reply.latencyMs, at,
      route: reply.servedBy?.route, upstream: reply.servedBy?.upstream, error, detail: detail ? `${method} ${path}: ${detail}` : undefined,
      ...(o.check && (!error || error === 'consistency') ? { checked: true } : {}),
    });
    return reply;
  }
}

function describe(r: Reply): string {
  const b = r.body as { error?: { code?: string; message?: string } } | undefined;
  const e = b && typeof b === 'object' ? b.error : undefined;
  return e ? `${r.status} ${e.code ?? ''} ${e.message ?? ''}`.trim() : `${r.status}`;
}

export function items<T>(r: Reply): T[] {
  const b = r.body as { items?: T[] } | undefined;
  return Array.isArray(b?.items) ? b.items : [];
}
