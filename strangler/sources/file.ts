/**
 * File route source (single instance, the default): JSON or YAML by extension,
 * watched with fs.watch on the directory (editors and our own writes replace the
 * file by rename) and debounced. Writes go to a temp file renamed over the original.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { docVersion, UnreadableDocument, VersionConflict, type RouteSource, type SourceStatus } from './types.ts';

export const DEFAULT_WATCH_DEBOUNCE_MS = 100;

export class FileSource implements RouteSource {
  readonly kind = 'file' as const;
  readonly path: string;
  private readonly debounceMs: number;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastText: string | null = null;
  private lastError: string | null = null;
  private lastLoadAt: string | null = null;
  private onChange: ((doc: unknown) => void) | null = null;
  /**
   * Bumped by each of our writes once its rename is done: a reload whose read began before it may hold the file as it
   * was before the write, and delivering that would put an older table back in force after the newer one was applied
   * (the file source is not monotonic: an operator may put an older file back on purpose).
   */
  private writes = 0;
  private readonly readText: (path: string) => Promise<string>;

  constructor(path: string, opts: { debounceMs?: number; readText?: (path: string) => Promise<string> } = {}) {
    this.path = path;
    this.debounceMs = opts.debounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
    this.readText = opts.readText ?? ((p) => readFile(p, 'utf8'));
  }

  private get yaml(): boolean {
    return /\.ya?ml$/i.test(this.path);
  }

  private parse(text: string): unknown {
    return this.yaml ? parseYaml(text) : JSON.parse(text);
  }

  private async read(): Promise<{ text: string; doc: unknown }> {
    const text = await this.readText(this.path);
    try {
      return { text, doc: this.parse(text) };
    } catch (err) {
      throw new Error(`${this.path}: not valid ${this.yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
    }
  }

  async start(onChange: (doc: unknown) => void): Promise<unknown> {
    this.onChange = onChange;
    const { text, doc } = await this.read();
    this.lastText = text;
    this.lastLoadAt = new Date().toISOString();
    const name = basename(this.path);
    this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
      if (file !== null && file !== name) return;
      this.scheduleReload();
    });
    this.watcher.on('error', (err) => {
      this.lastError = `watch: ${err.message}`;
    });
    return doc;
  }

  private scheduleReload(): void {
    if (this.watcher === null) return; // closed
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.debounceMs);
  }

  private async reload(): Promise<void> {
    this.timer = null;
    const writes = this.writes;
    let got: { text: string; doc: unknown };
    try {
      got = await this.read();
    } catch (err) {
      if (writes !== this.writes) return this.scheduleReload();
      // a half-written or deleted file: report it, keep the last good table
      this.lastError = (err as Error).message;
      this.onChange?.(new UnreadableDocument(this.lastError));
      return;
    }
    // one of our writes landed while this read ran: what it read may be from before it — read again
    if (writes !== this.writes) return this.scheduleReload();
    if (got.text === this.lastText) return;
    this.lastText = got.text;
    this.lastError = null;
    this.lastLoadAt = new Date().toISOString();
    this.onChange?.(got.doc);
  }

  async write(doc: unknown, expectedVersion: number): Promise<void> {
    const current = await this.read();
    if (docVersion(current.doc) !== expectedVersion) throw new VersionConflict(expectedVersion, docVersion(current.doc));
    const text = this.yaml ? stringifyYaml(doc) : JSON.stringify(doc, null, 2) + '\n';
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${Date.now()}.tmp`);
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, this.path);
    this.writes++;
    this.lastText = text;
    this.lastLoadAt = new Date().toISOString();
  }

  async current(): Promise<unknown> {
    return (await this.read()).doc;
  }

  status(): SourceStatus {
    return { kind: 'file', healthy: this.lastError === null, detail: this.path, lastError: this.lastError, lastLoadAt: this.lastLoadAt };
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = null;
  }
}
