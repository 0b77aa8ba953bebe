/**
 * Where the route table lives. A source delivers raw documents (validation is
 * the controller's job) and accepts writes guarded by the expected version, so
 * concurrent writers do not overwrite each other.
 */
export interface SourceStatus {
  kind: 'file' | 'redis';
  healthy: boolean;
  detail: string;
  lastError: string | null;
  lastLoadAt: string | null;
}

export interface RouteSource {
  readonly kind: 'file' | 'redis';
  /** Loads the current document and starts watching; `onChange` receives later documents. */
  start(onChange: (doc: unknown) => void): Promise<unknown>;
  /** Writes a new document if the stored version is still `expectedVersion`; all watchers then see it. */
  write(doc: unknown, expectedVersion: number): Promise<void>;
  /** Reads the stored document now (after a version conflict). */
  current(): Promise<unknown>;
  status(): SourceStatus;
  close(): Promise<void>;
  /** A source shared by many instances (Redis) sets this: a table older than the one applied is refused. */
  readonly monotonic?: boolean;
  /** The table this instance applied last, remembered from an earlier run (read by `start`), or null. */
  remembered?(): unknown;
  /** Why the remembered table could not be read at start (then there is none), or null. */
  rememberedProblem?(): string | null;
  /** Told after every table applied; resolves once it is remembered locally. */
  applied?(table: unknown): Promise<void>;
}

export class VersionConflict extends Error {
  readonly code = 'CONFLICT';
  constructor(expected: number, found: unknown) {
    super(`route table changed meanwhile (expected version ${expected}, found ${String(found)}); retry`);
    this.name = 'VersionConflict';
  }
}

export function docVersion(doc: unknown): number {
  const v = (doc as { version?: unknown } | null)?.version;
  return typeof v === 'number' ? v : 0;
}

/** Delivered when a source could not read or parse a document; the controller rejects it with this reason. */
export class UnreadableDocument {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}
