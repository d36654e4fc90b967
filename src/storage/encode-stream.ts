// PUT data path: body stream -> 1 MiB blocks -> K data + M parity shards ->
// bitrot header per shard block -> one temp file per drive, written concurrently.
// Two block buffers alternate so the next block fills while the last one writes;
// memory stays at 2 blocks (+ parity) whatever the object size.
import { rm, type FileHandle } from 'node:fs/promises';
import { assert } from '../util/assert.ts';
import { hashBytes, shardFileBytes, writeHash } from './bitrot.ts';
import { preallocate } from './libc.ts';
import { toStorageError, type Drive } from './drive.ts';
import type { Erasure } from './erasure.ts';
import { StorageError } from './types.ts';
import { copyBytes } from '../util/copy.ts';

export const objectSizeMaxBytes = 5 * 1024 ** 4;

export interface ShardTarget {
  drive: Drive;
  shardIndex: number;
}

export interface EncodeOptions {
  erasure: Erasure;
  blockSizeBytes: number;
  writeQuorum: number;
  md5: boolean;
  sizeMaxBytes: number;
  fsync: boolean;
  /** Shard streams up to this many bytes stay in memory and are stored inside the metadata (0: never). */
  inlineBytesMax: number;
  /** Stored bytes expected, when known up front: each shard file's space is reserved when it opens. */
  expectedBytes?: number | undefined;
}

export type ShardOutput = { kind: 'file'; rel: string } | { kind: 'inline'; bytes: Uint8Array };

export interface EncodeResult {
  sizeBytes: number;
  md5Hex: string | undefined;
  /** Per target (same order as given): where its shards are, or null when that drive failed. */
  outputs: (ShardOutput | null)[];
  /** Temp files to remove once committed (moved files are gone already). */
  tmpRels: (string | null)[];
}

interface Sink {
  target: ShardTarget;
  rel: string;
  fh: FileHandle | null;
  positionBytes: number;
  failed: unknown;
  /** Bytes held back while the stream may still fit inline; null once written to a file. */
  held: Uint8Array[] | null;
  inlineBytesMax: number;
  /** The shard file's expected size, reserved when it opens (0: unknown). */
  expectedFileBytes: number;
}

/**
 * Shard data starts on a 64-byte boundary in a block buffer, with its bitrot hash just
 * before it (so [hash][data] is still one write): every PUT byte is copied into a block
 * (and, for heap blocks, into the erasure kernel and back), and aligned copies stay clear
 * of the slow case src/util/copy.ts describes.
 */
const dataAlignBytes = 64;

class BlockBuffer {
  readonly slots: Uint8Array;
  /** Distance between the data of consecutive shards. */
  readonly strideBytes: number;
  filledBytes = 0;
  /** The slots are a buffer of the erasure kernel's memory, given back to it after use. */
  readonly fromKernel: boolean;
  /** `kernelSlots`: a buffer of the kernel's memory, at least bytesFor(shards, shardBytesFull) long. */
  constructor(readonly shards: number, readonly shardBytesFull: number, kernelSlots?: Uint8Array) {
    this.strideBytes = BlockBuffer.strideFor(shardBytesFull);
    this.fromKernel = kernelSlots !== undefined;
    this.slots = kernelSlots ?? new Uint8Array(shards * this.strideBytes);
  }
  private static strideFor(shardBytesFull: number): number {
    return dataAlignBytes + Math.ceil(shardBytesFull / dataAlignBytes) * dataAlignBytes;
  }
  static bytesFor(shards: number, shardBytesFull: number): number {
    return shards * BlockBuffer.strideFor(shardBytesFull);
  }
  /** Offset of shard i's data in `slots`. */
  dataAt(i: number): number {
    return i * this.strideBytes + dataAlignBytes;
  }
  slot(i: number, shardBytes: number): Uint8Array {
    const start = this.dataAt(i);
    return this.slots.subarray(start - hashBytes, start + shardBytes);
  }
  data(i: number, shardBytes: number): Uint8Array {
    const start = this.dataAt(i);
    return this.slots.subarray(start, start + shardBytes);
  }
}

/**
 * Block buffers kept for the next PUT. A fresh buffer costs a page fault per 4 KiB on
 * first touch (measured: ~0.4 ms per MiB, as much as the copy into it); a reused one is
 * already mapped. Buffers never leave encodeToDrives (inline output is copied), so one
 * is free again once its PUT returns. Bounded: a burst of PUTs allocates, and only up to
 * blockPoolMax buffers are kept afterwards.
 */
const blockPool = new Map<string, BlockBuffer[]>();
const blockPoolMax = 16;
let blockPoolSize = 0;

/**
 * A block buffer: first from the erasure kernel's memory, which it encodes in place and
 * which is written to the drives as it is (shared wasm memory: Bun does not copy it), so
 * the copies into and out of the kernel are saved; else a reused (or new) heap buffer.
 */
function takeBlock(shards: number, shardBytesFull: number, erasure: Erasure): BlockBuffer {
  const bytes = BlockBuffer.bytesFor(shards, shardBytesFull);
  const kernelSlots = bytes > 0 ? erasure.kernelBuffer(bytes) : null;
  if (kernelSlots !== null) return new BlockBuffer(shards, shardBytesFull, kernelSlots);
  const buf = blockPool.get(`${shards}:${shardBytesFull}`)?.pop();
  if (buf === undefined) return new BlockBuffer(shards, shardBytesFull);
  blockPoolSize--;
  buf.filledBytes = 0;
  return buf;
}

function returnBlocks(bufs: readonly (BlockBuffer | undefined)[], erasure: Erasure): void {
  for (const buf of bufs) {
    if (buf?.fromKernel === true) {
      erasure.freeBuffer(buf.slots);
      continue;
    }
    if (buf === undefined || blockPoolSize >= blockPoolMax) continue;
    const key = `${buf.shards}:${buf.shardBytesFull}`;
    const list = blockPool.get(key) ?? [];
    if (list.length === 0) blockPool.set(key, list);
    list.push(buf);
    blockPoolSize++;
  }
}

export async function encodeToDrives(targets: readonly ShardTarget[], body: ReadableStream<Uint8Array>, opts: EncodeOptions): Promise<EncodeResult> {
  const { erasure, blockSizeBytes } = opts;
  const k = erasure.dataShards;
  const m = erasure.parityShards;
  const shardFull = erasure.shardSize(blockSizeBytes);
  const expectedFileBytes = opts.expectedBytes === undefined ? 0 : shardFileBytes({ sizeBytes: opts.expectedBytes, blockSizeBytes, dataShards: k });
  const sinks: Sink[] = targets.map((target) => ({ target, rel: target.drive.tmpRel(), fh: null, positionBytes: 0, failed: null, held: [], inlineBytesMax: opts.inlineBytesMax, expectedFileBytes }));
  // The second buffer is made only once a second block starts: small objects need one.
  const dataBufs: BlockBuffer[] = [takeBlock(k, shardFull, erasure)];
  const parity = takeBlock(m, shardFull, erasure);
  const hasher = opts.md5 ? new Bun.CryptoHasher('md5') : null;
  const sizeMax = Math.min(opts.sizeMaxBytes, objectSizeMaxBytes);
  let current = 0;
  let totalBytes = 0;
  let pending: Promise<void> | null = null;
  const reader = body.getReader();
  try {
    for (const s of sinks) if (!s.target.drive.online) failSink(s, new StorageError('QuorumLost', 'drive offline'));
    checkQuorum(sinks, opts.writeQuorum);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      totalBytes += value.length;
      if (totalBytes > sizeMax) throw new StorageError('EntityTooLarge');
      hasher?.update(value);
      let offset = 0;
      while (offset < value.length) {
        const buf = (dataBufs[current] ??= takeBlock(k, shardFull, erasure));
        offset += fillBlock(buf, value, offset, blockSizeBytes);
        if (buf.filledBytes === blockSizeBytes) {
          if (pending) await pending;
          pending = flushBlock(buf, parity, sinks, erasure, shardFull, opts.writeQuorum);
          // Awaited before the next flush or at the end; until then a rejection must not count as unhandled.
          pending.catch(() => undefined);
          current ^= 1;
          const next = dataBufs[current];
          if (next !== undefined) next.filledBytes = 0;
        }
      }
    }
    if (pending) await pending;
    pending = null;
    const last = dataBufs[current];
    if (last !== undefined && last.filledBytes > 0) await flushPartial(last, parity, sinks, erasure, opts.writeQuorum);
    await Promise.all(sinks.map((s) => closeSink(s, opts.fsync)));
    checkQuorum(sinks, opts.writeQuorum);
    await Promise.all(sinks.filter((s) => s.failed !== null).map((s) => discardSink(s)));
    const outputs = sinks.map((s): ShardOutput | null => {
      if (s.failed !== null) return null;
      return s.held === null ? { kind: 'file', rel: s.rel } : { kind: 'inline', bytes: concat(s.held, s.positionBytes) };
    });
    return { sizeBytes: totalBytes, md5Hex: hasher?.digest('hex'), outputs, tmpRels: outputs.map((o) => (o?.kind === 'file' ? o.rel : null)) };
  } catch (err) {
    if (pending) await pending.catch(() => undefined);
    await reader.cancel(err).catch(() => undefined);
    await Promise.all(sinks.map((s) => discardSink(s)));
    throw err;
  } finally {
    reader.releaseLock();
    // Every flush has settled by now (awaited above, or in the catch), so no write still reads them.
    returnBlocks([...dataBufs, parity], erasure);
  }
}

/** Copies bytes into the block's data shard slots (skipping the hash headers); returns bytes consumed. */
function fillBlock(buf: BlockBuffer, chunk: Uint8Array, from: number, blockSizeBytes: number): number {
  let consumed = 0;
  while (from + consumed < chunk.length && buf.filledBytes < blockSizeBytes) {
    const shard = Math.floor(buf.filledBytes / buf.shardBytesFull);
    const inShard = buf.filledBytes - shard * buf.shardBytesFull;
    const room = Math.min(buf.shardBytesFull - inShard, blockSizeBytes - buf.filledBytes);
    const n = Math.min(room, chunk.length - from - consumed);
    copyBytes(buf.slots, chunk.subarray(from + consumed, from + consumed + n), buf.dataAt(shard) + inShard);
    buf.filledBytes += n;
    consumed += n;
  }
  return consumed;
}

async function flushBlock(buf: BlockBuffer, parity: BlockBuffer, sinks: Sink[], erasure: Erasure, shardBytes: number, writeQuorum: number): Promise<void> {
  const k = erasure.dataShards;
  // A full block of a size not divisible by K leaves the tail of the last shard as padding.
  const tail = k * shardBytes - buf.filledBytes;
  if (tail > 0) buf.data(k - 1, shardBytes).fill(0, shardBytes - tail);
  const dataViews = Array.from({ length: k }, (_, i) => buf.data(i, shardBytes));
  const parityViews = Array.from({ length: erasure.parityShards }, (_, i) => parity.data(i, shardBytes));
  erasure.encode(dataViews, parityViews, shardBytes);
  const slotOf = (shardIndex: number): Uint8Array =>
    shardIndex < k ? buf.slot(shardIndex, shardBytes) : parity.slot(shardIndex - k, shardBytes);
  for (let i = 0; i < erasure.totalShards; i++) writeHash(slotOf(i), shardBytes);
  await Promise.all(sinks.map((s) => writeSink(s, slotOf(s.target.shardIndex))));
  checkQuorum(sinks, writeQuorum);
}

/** The last, short block uses a smaller shard size: re-pack it compactly, then flush it. */
async function flushPartial(buf: BlockBuffer, parity: BlockBuffer, sinks: Sink[], erasure: Erasure, writeQuorum: number): Promise<void> {
  const k = erasure.dataShards;
  const n = buf.filledBytes;
  const shardBytes = Math.ceil(n / k);
  const flat = new Uint8Array(n);
  let copied = 0;
  for (let i = 0; copied < n; i++) {
    const take = Math.min(buf.shardBytesFull, n - copied);
    copyBytes(flat, buf.data(i, take), copied);
    copied += take;
  }
  const packed = new BlockBuffer(k, shardBytes);
  for (let i = 0; i < k; i++) {
    const part = flat.subarray(i * shardBytes, Math.min(n, (i + 1) * shardBytes));
    copyBytes(packed.slots, part, packed.dataAt(i));
  }
  packed.filledBytes = n;
  await flushBlock(packed, parity, sinks, erasure, shardBytes, writeQuorum);
}

function checkQuorum(sinks: readonly Sink[], writeQuorum: number): void {
  const alive = sinks.filter((s) => s.failed === null).length;
  if (alive >= writeQuorum) return;
  const firstFailure = sinks.find((s) => s.failed !== null)?.failed;
  const err = toStorageError(firstFailure);
  throw err.code === 'DiskFull' || err.code === 'ReadOnly' ? err : new StorageError('QuorumLost', 'write quorum lost');
}

function failSink(s: Sink, err: unknown): void {
  if (s.failed !== null) return;
  s.failed = err;
  s.target.drive.noteWriteError(err);
  const fh = s.fh;
  s.fh = null;
  void fh?.close().catch(() => undefined);
}

function concat(chunks: readonly Uint8Array[], totalBytes: number): Uint8Array {
  const out = new Uint8Array(totalBytes);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  assert(at === totalBytes, 'held bytes add up');
  return out;
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, positionBytes: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const r = await fh.write(bytes, written, bytes.length - written, positionBytes + written);
    assert(r.bytesWritten > 0, 'write made progress');
    written += r.bytesWritten;
  }
}

async function writeSink(s: Sink, bytes: Uint8Array): Promise<void> {
  if (s.failed !== null) return;
  if (s.held !== null && s.positionBytes + bytes.length <= s.inlineBytesMax) {
    // Block buffers are reused: keep a copy.
    s.held.push(bytes.slice());
    s.positionBytes += bytes.length;
    return;
  }
  try {
    if (s.fh === null) {
      s.fh = await s.target.drive.openTemp(s.rel);
      preallocate(s.fh.fd, s.expectedFileBytes);
      const held = s.held ?? [];
      s.held = null;
      if (s.positionBytes > 0) await writeAll(s.fh, concat(held, s.positionBytes), 0);
    }
    await writeAll(s.fh, bytes, s.positionBytes);
    s.positionBytes += bytes.length;
  } catch (err) {
    failSink(s, err);
  }
}

async function closeSink(s: Sink, fsync: boolean): Promise<void> {
  if (s.failed !== null) return;
  if (s.fh === null && s.held !== null && s.inlineBytesMax === 0) {
    // Nothing was written but inline output is not allowed (an empty part): the caller
    // moves a shard file into place, so it must exist, empty.
    try {
      s.fh = await s.target.drive.openTemp(s.rel);
      s.held = null;
    } catch (err) {
      failSink(s, err);
      return;
    }
  }
  if (s.fh === null) return; // held sinks have nothing on disk
  const fh = s.fh;
  s.fh = null;
  try {
    // Space reserved for more than came (a wrong size hint) is given back.
    if (s.expectedFileBytes > s.positionBytes) await fh.truncate(s.positionBytes);
    if (fsync) await fh.sync();
    await fh.close();
  } catch (err) {
    failSink(s, err);
    await fh.close().catch(() => undefined);
  }
}

async function discardSink(s: Sink): Promise<void> {
  const fh = s.fh;
  s.fh = null;
  s.held = null;
  await fh?.close().catch(() => undefined);
  await rm(s.target.drive.abs(s.rel), { force: true }).catch(() => undefined);
}
