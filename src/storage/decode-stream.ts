// GET data path: read shard spans from the drives (data shards first), verify
// every shard block's bitrot hash, rebuild missing data shards from parity when
// needed, and hand out views of the verified buffers without extra copies.
import { open, type FileHandle } from 'node:fs/promises';
import { blockCount, blockShape, checkHash, hashBytes, shardBlockOffset, type PartGeometry } from './bitrot.ts';
import type { Drive } from './drive.ts';
import type { Erasure } from './erasure.ts';
import { StorageError } from './types.ts';
import { lend, seal, takeBuffer, type Lease } from '../util/lent-buffers.ts';
import { readCachedAt, readIfCached } from './libc.ts';

const blocksPerBatch = 2;

export interface ShardSource {
  drive: Drive;
  shardIndex: number;
  rel: string;
  /** The whole shard stream when it is stored inside the metadata (small objects). */
  inline: Uint8Array | null;
}

export interface DecodeOptions {
  erasure: Erasure;
  geometry: PartGeometry;
  /** A shard was missing, unreadable or failed its hash: the object needs healing. */
  onBadShard: (driveIndex: number, reason: 'bitrot' | 'missing') => void;
}

export interface OpenSource extends ShardSource {
  fh: FileHandle | null;
  dead: boolean;
  /**
   * Only one span will be read: read it in one go without keeping a handle, on this
   * thread when it is in memory (readIfCached), else through the I/O threads. Longer
   * reads keep the handle, so an object replaced meanwhile is still read whole from its
   * unlinked files.
   */
  oneShot?: boolean;
}

/** Yields bytes [offsetBytes, offsetBytes + lengthBytes) of one erasure-coded part. */
export async function* decodePart(sources: readonly ShardSource[], opts: DecodeOptions, offsetBytes: number, lengthBytes: number): AsyncGenerator<Uint8Array> {
  if (lengthBytes <= 0) return;
  const g = opts.geometry;
  const endBytes = offsetBytes + lengthBytes;
  const firstBlock = Math.floor(offsetBytes / g.blockSizeBytes);
  const lastBlock = Math.min(blockCount(g), Math.ceil(endBytes / g.blockSizeBytes)) - 1;
  const oneShot = lastBlock - firstBlock < blocksPerBatch;
  const ordered: OpenSource[] = [...sources].sort((a, b) => a.shardIndex - b.shardIndex).map((s) => ({ ...s, fh: null, dead: false, oneShot }));
  try {
    for (let b0 = firstBlock; b0 <= lastBlock; b0 += blocksPerBatch) {
      const b1 = Math.min(lastBlock + 1, b0 + blocksPerBatch);
      // Read buffers are lent: every view yielded may come back once a socket is done
      // with it, and the buffers are sealed once this batch yields no more.
      const leases: Lease[] = [];
      const blocks = await readBatch(ordered, opts, b0, b1, leases);
      for (let b = b0; b < b1; b++) {
        const blockStart = b * g.blockSizeBytes;
        const from = Math.max(offsetBytes, blockStart) - blockStart;
        const to = Math.min(endBytes, blockStart + blockShape(g, b).blockBytes) - blockStart;
        for (const view of blockSlices(blocks[b - b0]!, opts.erasure, blockShape(g, b).shardBytes, from, to)) {
          const lease = leases.find((l) => l.bytes.buffer === view.buffer);
          yield lease === undefined ? view : lend(lease, view);
        }
      }
      for (const lease of leases) seal(lease);
    }
  } finally {
    await Promise.all(ordered.map((s) => s.fh?.close().catch(() => undefined)));
  }
}

/**
 * Good shard views per block of the batch; every block ends with at least K good shards.
 * With `leases`, spans are read into pooled buffers and their leases are added there: the
 * caller must seal them once nothing but lent views reads them.
 */
export async function readBatch(sources: OpenSource[], opts: DecodeOptions, b0: number, b1: number, leases?: Lease[]): Promise<(Uint8Array | null)[][]> {
  const g = opts.geometry;
  const k = opts.erasure.dataShards;
  const total = opts.erasure.totalShards;
  const blocks: (Uint8Array | null)[][] = Array.from({ length: b1 - b0 }, () => new Array<Uint8Array | null>(total).fill(null));
  const goodCount = new Array<number>(b1 - b0).fill(0);
  let next = 0;
  const needMore = (): number => Math.max(0, k - Math.min(...goodCount));
  for (;;) {
    const want = needMore();
    if (want === 0) return blocks;
    const batch: OpenSource[] = [];
    while (batch.length < want && next < sources.length) {
      const s = sources[next++]!;
      if (!s.dead && s.drive.online) batch.push(s);
    }
    if (batch.length === 0) throw new StorageError('DataCorrupt', 'not enough good shards');
    const spans = await Promise.all(batch.map((s) => readSpan(s, g, b0, b1, opts, leases)));
    batch.forEach((s, i) => {
      const span = spans[i];
      if (span === null || span === undefined) return;
      const base = shardBlockOffset(g, b0);
      for (let b = b0; b < b1; b++) {
        const { shardBytes } = blockShape(g, b);
        const start = shardBlockOffset(g, b) - base;
        const slot = span.subarray(start, start + hashBytes + shardBytes);
        if (checkHash(slot, shardBytes)) {
          blocks[b - b0]![s.shardIndex] = slot.subarray(hashBytes);
          goodCount[b - b0]!++;
        } else {
          opts.onBadShard(s.drive.index, 'bitrot');
        }
      }
    });
  }
}

async function readSpan(s: OpenSource, g: PartGeometry, b0: number, b1: number, opts: DecodeOptions, leases: Lease[] | undefined): Promise<Uint8Array | null> {
  const start = shardBlockOffset(g, b0);
  const end = shardBlockOffset(g, b1 - 1) + hashBytes + blockShape(g, b1 - 1).shardBytes;
  if (s.inline !== null) return s.inline.subarray(start, end);
  const path = s.drive.abs(s.rel);
  try {
    const bytes = end - start;
    let buf: Uint8Array | undefined;
    if (leases !== undefined) {
      const lease = takeBuffer(bytes);
      leases.push(lease);
      buf = lease.bytes;
    }
    if (s.oneShot === true && s.fh === null) {
      // A single span: from memory on this thread when it is there, with no handle kept.
      const cached = readIfCached(path, buf === undefined ? { start, length: bytes } : { start, length: bytes, into: buf });
      if (cached !== undefined) return cached;
      // Else, without a buffer to fill, open, read and close in one trip to the I/O threads.
      if (buf === undefined) return await Bun.file(path).slice(start, end).bytes();
    }
    // Not zeroed: every byte is read from the file (a short read is cut off below).
    buf ??= Buffer.allocUnsafe(bytes);
    s.fh ??= await open(path, 'r');
    // Through the kept handle, from memory on this thread when every byte is there.
    if (s.oneShot !== true && readCachedAt(s.fh.fd, buf, start)) return buf;
    let got = 0;
    while (got < buf.length) {
      const r = await s.fh.read(buf, got, buf.length - got, start + got);
      if (r.bytesRead === 0) break;
      got += r.bytesRead;
    }
    if (s.oneShot === true) {
      // Only this span is read: the handle is not needed once the read is in.
      const fh = s.fh;
      s.fh = null;
      void fh.close().catch(() => undefined);
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  } catch (err) {
    s.dead = true;
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') opts.onBadShard(s.drive.index, 'missing');
    else s.drive.noteError(err);
    return null;
  }
}

/** Slices [from, to) of a block, rebuilding missing data shards first. */
function* blockSlices(shards: (Uint8Array | null)[], erasure: Erasure, shardBytes: number, from: number, to: number): Generator<Uint8Array> {
  const k = erasure.dataShards;
  const firstShard = Math.floor(from / shardBytes);
  const lastShard = Math.floor((to - 1) / shardBytes);
  const missing: number[] = [];
  for (let i = firstShard; i <= lastShard; i++) if (shards[i] === null) missing.push(i);
  if (missing.length > 0) {
    const out = missing.map(() => new Uint8Array(shardBytes));
    erasure.reconstruct(shards, shardBytes, missing, out);
    missing.forEach((idx, i) => { shards[idx] = out[i]!; });
  }
  for (let i = firstShard; i <= lastShard && i < k; i++) {
    const shardStart = i * shardBytes;
    const a = Math.max(from, shardStart) - shardStart;
    const b = Math.min(to, shardStart + shardBytes) - shardStart;
    if (b > a) yield shards[i]!.subarray(a, b);
  }
}
