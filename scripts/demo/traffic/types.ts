/** Shapes shared by the traffic generator, the recorder and the summary. */
export type Persona = 'shopper' | 'admin' | 'merchant';

/**
 * Why a request counts as a client-visible error: a 5xx, a connection
 * error (status 0), a 4xx the client did not expect, another status it did
 * not expect, or an answer whose data contradicts what this client just
 * wrote (read-your-writes check).
 */
export type ErrorKind = '5xx' | 'connection' | 'unexpected-4xx' | 'unexpected-status' | 'consistency';

export interface Sample {
  persona: Persona;
  /** Persona action, e.g. "browse", "like". */
  action: string;
  /** Method and path template, e.g. "GET /api/products/:id". */
  endpoint: string;
  /** Demo phase (step id) in force when the request started. */
  phase: string;
  status: number;
  latencyMs: number;
  /** Start time, ms since epoch. */
  at: number;
  /** Facade route id that served it (x-strangler-route), when the facade said. */
  route?: string;
  /** Upstream that served it, from the same header. */
  upstream?: string;
  error?: ErrorKind;
  /** The client checked the answer's data against its own writes (read-your-writes). */
  checked?: boolean;
  /** Short explanation for errors (status line, error code, what was inconsistent). */
  detail?: string;
}
