// Object operations: put, get (with ranges), head, delete, metadata rewrite.
import { objectLockName } from './locks.ts';
import { assert } from '../util/assert.ts';
import { checkBucketExists, requireBucket } from './buckets.ts';
import { commitObject, currentInfo, deleteOnDrive, type DriveCommit } from './commit.ts';
import { newId, onAllDrives, quorumLost, readObjectQuorum, type StoreContext } from './context.ts';
import { decodePart, type ShardSource } from './decode-stream.ts';
import { encodeToDrives, type EncodeResult } from './encode-stream.ts';
import { checkUserMetaSize, encodeMeta, toObjectInfo, type MetaAnswer, type StoredMeta, type StoredPart } from './meta.ts';
import { dataFileName, objectMetaName, objectRel } from './paths.ts';
import { StorageError, type BucketName, type ByteRange, type GetResult, type ObjectInfo, type ObjectKey, type PartInfo, type PutOptions } from './types.ts';

/** Streams the body onto the drives as temp shard files (shard i on drive i). */
/** Shard streams up to this size are kept inside the metadata file: one file per drive for small objects. */
export const inlineShardBytesMax = 16 * 1024;

/** `layout`: the block size (default: the deployment's) and the stored bytes expected, when known. */
export async function encodeBody(ctx: StoreContext, body: ReadableStream<Uint8Array>, md5: boolean, sizeMaxBytes: number | undefined, inline: boolean, layout: { blockSizeBytes?: number; expectedBytes?: number | undefined } = {}): Promise<EncodeResult> {
  return encodeToDrives(ctx.drives.map((drive, i) => ({ drive, shardIndex: i })), body, {
    expectedBytes: layout.expectedBytes,
    erasure: ctx.erasure,
    blockSizeBytes: layout.blockSizeBytes ?? ctx.blockSizeBytes,
    writeQuorum: ctx.writeQuorum,
    md5,
    sizeMaxBytes: sizeMaxBytes ?? Number.MAX_SAFE_INTEGER,
    fsync: ctx.fsync,
    inlineBytesMax: inline ? inlineShardBytesMax : 0,
  });
}

export async function removeTmp(ctx: StoreContext, tmpRels: readonly (string | null)[]): Promise<void> {
  await Promise.all(tmpRels.map((rel, i) => (rel === null ? undefined : ctx.drives[i]!.discard(rel).catch(() => undefined))));
}

/**
 * Block size for one object. An object a little over one block (an encrypted object of
 * exactly 1 MiB is 1 MiB + 512 B of ciphertext) is stored as a single block of its size:
 * a separate short second block would cost every PUT and GET of it a second round of
 * shard writes and reads. The size is recorded with the object, so readers follow it;
 * a wrong hint costs nothing but that (the stream decides the real size).
 */
export function blockSizeFor(ctx: StoreContext, sizeHintBytes: number | undefined): number {
  const block = ctx.blockSizeBytes;
  if (sizeHintBytes === undefined || sizeHintBytes <= block) return block;
  return sizeHintBytes <= block + Math.floor(block / singleBlockSlackDivisor) ? sizeHintBytes : block;
}

/** An object up to 1/64 over the block size (16 KiB per MiB) stays one block. */
const singleBlockSlackDivisor = 64;

export async function putObject(ctx: StoreContext, bucket: BucketName, key: ObjectKey, body: ReadableStream<Uint8Array>, opts: PutOptions): Promise<ObjectInfo> {
  const objRel = objectRel(bucket, key);
  try {
    await checkBucketExists(ctx, bucket);
    checkUserMetaSize(opts.userMeta, opts.internal);
  } catch (err) {
    await body.cancel(err).catch(() => undefined);
    throw err;
  }
  const blockSizeBytes = blockSizeFor(ctx, opts.sizeHintBytes);
  const enc = await encodeBody(ctx, body, opts.md5, opts.sizeMaxBytes, true, { blockSizeBytes, expectedBytes: opts.sizeHintBytes });
  let perDrive: (DriveCommit | null)[] = [];
  try {
    const extra = opts.beforeCommit ? await opts.beforeCommit(enc.sizeBytes, enc.md5Hex) : {};
    const userMeta = extra.userMeta ?? opts.userMeta;
    const internal = extra.internal ?? opts.internal;
    checkUserMetaSize(userMeta, internal);
    const etag = extra.etag ?? enc.md5Hex ?? newId(ctx.random);
    const part: StoredPart = { partNumber: 1, size: enc.sizeBytes, etag, internal: {} };
    perDrive = enc.outputs.map((o): DriveCommit | null => {
      if (o === null) return null;
      return o.kind === 'file' ? { moves: [{ fromRel: o.rel, partNumber: 1, link: false }], inlineData: null } : { moves: [], inlineData: o.bytes };
    });
    return await commitObject(ctx, {
      bucket,
      key,
      objRel,
      perDrive,
      meta: {
        metaId: newId(ctx.random),
        dataId: newId(ctx.random),
        size: enc.sizeBytes,
        etag,
        modTimeMs: ctx.clock.nowMs(),
        userMeta,
        internal,
        dataShards: ctx.erasure.dataShards,
        parityShards: ctx.erasure.parityShards,
        blockSizeBytes,
        multipart: false,
        parts: [part],
        inline: enc.outputs.some((o) => o?.kind === 'inline'),
      },
      precondition: opts.precondition,
    });
  } finally {
    // Files the commit moved into place have no temp name left to remove.
    await removeTmp(ctx, enc.tmpRels.map((rel, i) => (perDrive[i]?.moves[0]?.moved === true ? null : rel)));
  }
}

interface Found {
  meta: StoredMeta;
  answers: MetaAnswer[];
  holders: number[];
  objRel: string;
}

/** With jsonOnly, inline shard bytes are not read (HEAD needs only the metadata). */
async function findObject(ctx: StoreContext, bucket: BucketName, key: ObjectKey, jsonOnly = false): Promise<Found> {
  const objRel = objectRel(bucket, key);
  const { answers, result } = await readObjectQuorum(ctx, objRel, jsonOnly);
  if (result.kind === 'lost') {
    const corrupt = answers.filter((a) => a === 'corrupt').length;
    if (corrupt > 0) ctx.logger.error('object metadata is corrupt on too many drives to read it', { bucket, key, corruptCopies: corrupt });
    throw quorumLost('read metadata');
  }
  if (result.kind === 'absent') {
    await requireBucket(ctx, bucket);
    throw new StorageError('NoSuchKey');
  }
  const { meta, holders } = result.value;
  // A drive that is online but lacks this version's metadata needs healing.
  if (holders.length < ctx.drives.length && answers.some((a, i) => a !== 'error' && !holders.includes(i))) ctx.queueHeal(bucket, key);
  return { meta, answers, holders, objRel };
}

export async function headObject(ctx: StoreContext, bucket: BucketName, key: ObjectKey): Promise<ObjectInfo> {
  const found = await findObject(ctx, bucket, key, true);
  return toObjectInfo(bucket, key, found.meta);
}

export function partSources(ctx: StoreContext, found: Pick<Found, 'answers' | 'holders' | 'objRel' | 'meta'>, partNumber: number): ShardSource[] {
  return found.holders.map((i) => {
    const copy = found.answers[i] as StoredMeta;
    return {
      drive: ctx.drives[i]!,
      shardIndex: copy.shardIndex,
      rel: `${found.objRel}/${dataFileName(found.meta.dataId, partNumber)}`,
      inline: found.meta.inline ? (copy.inlineData ?? new Uint8Array(0)) : null,
    };
  });
}

async function* objectBytes(ctx: StoreContext, bucket: BucketName, key: ObjectKey, found: Found, offsetBytes: number, lengthBytes: number): AsyncGenerator<Uint8Array> {
  const onBadShard = (_drive: number, reason: 'bitrot' | 'missing'): void => {
    if (reason === 'bitrot') ctx.counters.bitrotDetected++;
    ctx.queueHeal(bucket, key);
  };
  let partStart = 0;
  const end = offsetBytes + lengthBytes;
  for (const part of found.meta.parts) {
    const partEnd = partStart + part.size;
    if (partEnd > offsetBytes && partStart < end) {
      const from = Math.max(offsetBytes, partStart) - partStart;
      const to = Math.min(end, partEnd) - partStart;
      const geometry = { sizeBytes: part.size, blockSizeBytes: found.meta.blockSizeBytes, dataShards: found.meta.dataShards };
      yield* decodePart(partSources(ctx, found, part.partNumber), { erasure: ctx.erasure, geometry, onBadShard }, from, to - from);
    }
    partStart = partEnd;
    if (partStart >= end) break;
  }
}

/**
 * Wraps a generator as a stream that reads one step ahead, overlapping drive reads with
 * the consumer. The first step starts at once, so the data read overlaps whatever the
 * caller does before it reads (response headers, conditions); at most one batch is read
 * in vain when the caller then cancels.
 */
export function prefetchingStream(gen: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  let ahead: Promise<IteratorResult<Uint8Array>> | null = gen.next();
  ahead.catch(() => undefined);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await (ahead ?? gen.next());
      ahead = null;
      if (r.done) {
        controller.close();
        return;
      }
      controller.enqueue(r.value);
      ahead = gen.next();
      ahead.catch(() => undefined);
    },
    async cancel() {
      if (ahead) await ahead.catch(() => undefined);
      await gen.return(undefined);
    },
  }, { highWaterMark: 0 });
}

export async function getObject(ctx: StoreContext, bucket: BucketName, key: ObjectKey, range?: ByteRange): Promise<GetResult> {
  const found = await findObject(ctx, bucket, key);
  const size = found.meta.size;
  let offset = 0;
  let length = size;
  if (range !== undefined) {
    if (range.offset < 0 || range.length < 0 || (range.offset >= size && !(size === 0 && range.offset === 0))) throw new StorageError('InvalidRange');
    offset = range.offset;
    length = Math.min(range.length, size - offset);
  }
  return { info: toObjectInfo(bucket, key, found.meta), stream: prefetchingStream(objectBytes(ctx, bucket, key, found, offset, length)) };
}

export async function deleteObject(ctx: StoreContext, bucket: BucketName, key: ObjectKey): Promise<void> {
  const objRel = objectRel(bucket, key);
  await ctx.keyLocks.run(objectLockName(bucket, key), async () => {
    const current = await currentInfo(ctx, bucket, key, objRel);
    if (current.info === null && !current.damaged) {
      await requireBucket(ctx, bucket);
      return;
    }
    const results = await onAllDrives(ctx, async (d) => {
      await ctx.hooks.beforeDriveCommit?.('delete', d.index);
      await deleteOnDrive(d, bucket, objRel);
    });
    if (results.filter((r) => r.ok).length < ctx.writeQuorum) throw quorumLost('delete');
  });
}

type MetaMutation = { userMeta: Record<string, string>; internal: Record<string, string>; parts?: PartInfo[] };

export async function updateObjectMeta(ctx: StoreContext, bucket: BucketName, key: ObjectKey, mutate: (info: ObjectInfo) => MetaMutation): Promise<ObjectInfo> {
  return ctx.keyLocks.run(objectLockName(bucket, key), async () => {
    const found = await findObject(ctx, bucket, key);
    const change = mutate(toObjectInfo(bucket, key, found.meta));
    checkUserMetaSize(change.userMeta, change.internal);
    const parts = change.parts === undefined ? found.meta.parts : mergeParts(found.meta.parts, change.parts);
    // A new user-visible metadata set is a new "version" to clients (self-copy with REPLACE
    // updates Last-Modified); a rewrap that only touches internal fields keeps the time.
    const userChanged = JSON.stringify(change.userMeta) !== JSON.stringify(found.meta.userMeta);
    const next: Omit<StoredMeta, 'shardIndex'> = {
      ...found.meta, metaId: newId(ctx.random), userMeta: change.userMeta, internal: change.internal, parts,
      modTimeMs: userChanged ? ctx.clock.nowMs() : found.meta.modTimeMs,
    };
    const results = await Promise.all(found.holders.map(async (i) => {
      const d = ctx.drives[i]!;
      if (!d.online) return false;
      try {
        await ctx.hooks.beforeDriveCommit?.('meta', i);
        const copy = found.answers[i] as StoredMeta;
        await d.writeAtomic(`${found.objRel}/${objectMetaName}`, encodeMeta({ ...next, shardIndex: copy.shardIndex, inlineData: copy.inlineData ?? null }));
        return true;
      } catch (err) {
        d.noteError(err);
        return false;
      }
    }));
    const ok = results.filter(Boolean).length;
    if (ok < Math.min(ctx.writeQuorum, found.holders.length)) throw quorumLost('update metadata');
    if (ok < ctx.drives.length) ctx.queueHeal(bucket, key);
    return toObjectInfo(bucket, key, { ...next, shardIndex: 0, inlineData: null });
  });
}

/** Only upper-layer fields of parts may change; sizes and numbers are fixed by the data. */
function mergeParts(stored: readonly StoredPart[], wanted: readonly PartInfo[]): StoredPart[] {
  assert(stored.length === wanted.length, 'updateMeta keeps the part list');
  return stored.map((p, i) => {
    const w = wanted[i]!;
    assert(w.partNumber === p.partNumber && w.size === p.size, 'updateMeta keeps part numbers and sizes');
    return { ...p, etag: w.etag, internal: { ...w.internal } };
  });
}
