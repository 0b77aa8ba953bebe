/**
 * The embedded index's snapshot: the in-memory index written as one binary
 * file next to the SQLite file, so a restart maps arrays back instead of
 * re-reading and re-indexing every document. The SQLite file stays the source
 * of truth: a snapshot records the change sequence it includes and the id of
 * the SQLite file it was taken from; at start the changes after that sequence
 * are replayed from SQLite, and a missing, foreign or damaged snapshot only
 * means a slower start (full load).
 *
 * Layout: "SRCHIDX1", u32 LE header length, header JSON, then the arrays'
 * bytes in InvertedIndex.exportState order. Written to a temporary file,
 * fsynced and renamed over the old one.
 */
import { open, rename, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { InvertedIndex, type IndexStateHeader } from './inverted-index.ts';

const MAGIC = 'SRCHIDX1';

export interface SnapshotMeta {
  /** The SQLite file's id (docs meta table): a snapshot of another file is ignored. */
  indexId: string;
  /** The highest change sequence the snapshot includes. */
  seq: number;
}

interface Header extends SnapshotMeta {
  state: IndexStateHeader;
  bytes: number;
}

export async function writeSnapshot(path: string, meta: SnapshotMeta, state: { header: IndexStateHeader; chunks: Uint8Array[] }): Promise<number> {
  const bytes = state.chunks.reduce((a, c) => a + c.byteLength, 0);
  const header = Buffer.from(JSON.stringify({ ...meta, state: state.header, bytes } satisfies Header));
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(prefix);
    await fh.write(header);
    // chunks are small (one per token) or large (per-document arrays): write them in ~8 MiB groups
    let group: Uint8Array[] = [];
    let size = 0;
    for (const c of state.chunks) {
      group.push(c);
      size += c.byteLength;
      if (size >= 8 << 20) {
        await fh.write(Buffer.concat(group));
        group = [];
        size = 0;
      }
    }
    if (group.length) await fh.write(Buffer.concat(group));
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  return 12 + header.length + bytes;
}

/** Reads a snapshot; null when there is none. Throws when it is damaged (the caller falls back to a full load). */
export function readSnapshot(path: string): { meta: SnapshotMeta; index: InvertedIndex } | null {
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error('not a search index snapshot');
  const hlen = buf.readUInt32LE(8);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
  let off = 12 + hlen;
  if (buf.length !== off + header.bytes) throw new Error(`snapshot truncated: ${buf.length} bytes, expected ${off + header.bytes}`);
  const index = InvertedIndex.importState(header.state, (n) => {
    if (off + n > buf.length) throw new Error('snapshot shorter than its header says');
    const out = buf.subarray(off, off + n);
    off += n;
    return out;
  });
  if (off !== buf.length) throw new Error('snapshot longer than its header says');
  return { meta: { indexId: header.indexId, seq: header.seq }, index };
}
