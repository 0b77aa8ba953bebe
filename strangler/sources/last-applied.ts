/**
 * The last route table this instance applied, kept in a local file so a restart
 * during a route-store outage serves it (not an older seed) and so a table older
 * than it is recognised. Written atomically (temp file, fsync, rename); writes are
 * serialised and coalesced: only the newest table waiting is written.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file's name, next to the audit file (`STRANGLER_AUDIT_FILE`). */
export const LAST_APPLIED_FILE = 'routes.last-applied.json';

export function lastAppliedPathFor(auditFile: string): string {
  return join(dirname(auditFile), LAST_APPLIED_FILE);
}

export class LastAppliedStore {
  readonly path: string;
  private pending: unknown = undefined;
  private running: Promise<void> | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /** The remembered document, or null when there is none; an unreadable file is an error (the caller decides). */
  async read(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new Error(`${this.path}: not valid JSON: ${(err as Error).message}`);
    }
  }

  /** Remembers `doc`; resolves once it (or a newer one) is on disk. */
  write(doc: unknown): Promise<void> {
    this.pending = doc;
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no write is in flight (errors were reported to the writer). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined) {
      const doc = this.pending;
      this.pending = undefined;
      await writeAtomic(this.path, JSON.stringify(doc) + '\n');
    }
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
