// Multipart uploads staged under .cairn.sys/multipart/<bucket>/<uploadId>/ on
// every drive. Parts are erasure-coded as they arrive; complete hard-links the
// part files into the object directory, so nothing is copied and a crash before
// the commit leaves the upload intact.
import { uploadLockName } from './locks.ts';
import { requireBucket } from './buckets.ts';
import { commitObject, type DriveCommit } from './commit.ts';
import { listingDrives, newId, onAllDrives, quorumLost, type StoreContext } from './context.ts';
import { encodeBody, removeTmp } from './objects.ts';
import { checkBucketName, checkKey, multipartDir, objectRel, uploadRel } from './paths.ts';
import { readDoc, removeDoc, writeDoc, unreadable } from './replicated.ts';
import { StorageError, type BucketName, type CompletePart, type ListPartsResult, type ListUploadsResult, type ObjectInfo, type ObjectKey, type PartInfo, type PutOptions, type UploadId, type UploadInfo, type BeforeCommitResult } from './types.ts';
import { checkUserMetaSize, type StoredPart } from './meta.ts';

export const partNumberMax = 10000;
export const partSizeMinBytes = 5 * 1024 * 1024;
const uploadDocName = 'upload.meta';

interface PartDoc extends StoredPart {
  dataId: string;
  /** When the part was uploaded (absent in parts written before it was recorded). */
  modTimeMs?: number;
}

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array): T => JSON.parse(new TextDecoder().decode(b)) as T;

function uploadDir(bucket: string, uploadId: string): string {
  if (!/^[0-9a-f]{32}$/.test(uploadId)) throw new StorageError('NoSuchUpload');
  return uploadRel(bucket, uploadId);
}

const partMetaRel = (dir: string, n: number): string => `${dir}/p${n}.meta`;
const partDataRel = (dir: string, n: number, dataId: string): string => `${dir}/p${n}.${dataId}`;

export async function createUpload(ctx: StoreContext, bucket: BucketName, key: ObjectKey, meta: { userMeta: Record<string, string>; internal: Record<string, string> }): Promise<UploadId> {
  checkKey(key);
  await requireBucket(ctx, bucket);
  checkUserMetaSize(meta.userMeta, meta.internal);
  const uploadId = newId(ctx.random) as UploadId;
  const info: UploadInfo = { bucket, key, uploadId, initiatedMs: ctx.clock.nowMs(), userMeta: meta.userMeta, internal: meta.internal };
  await writeDoc(ctx, `${uploadDir(bucket, uploadId)}/${uploadDocName}`, 1, enc(info));
  return uploadId;
}

async function readUpload(ctx: StoreContext, bucket: string, uploadId: string): Promise<UploadInfo | null> {
  const r = await readDoc(ctx, `${uploadDir(bucket, uploadId)}/${uploadDocName}`);
  if (r.payload === null || r.copies < ctx.readQuorum) {
    if (r.answered < ctx.readQuorum) throw unreadable(r, 'read upload');
    return null;
  }
  return dec<UploadInfo>(r.payload);
}

export async function getUpload(ctx: StoreContext, bucket: BucketName, key: ObjectKey, uploadId: UploadId): Promise<UploadInfo> {
  checkBucketName(bucket);
  const info = await readUpload(ctx, bucket, uploadId);
  if (info === null || info.key !== key) {
    await requireBucket(ctx, bucket);
    throw new StorageError('NoSuchUpload');
  }
  return info;
}

async function readPartVersion(ctx: StoreContext, dir: string, n: number): Promise<{ doc: PartDoc | null; seq: number }> {
  const r = await readDoc(ctx, partMetaRel(dir, n));
  if (r.payload === null || r.copies < ctx.readQuorum) return { doc: null, seq: r.seq };
  return { doc: dec<PartDoc>(r.payload), seq: r.seq };
}

async function readPart(ctx: StoreContext, dir: string, n: number): Promise<PartDoc | null> {
  return (await readPartVersion(ctx, dir, n)).doc;
}

export async function putPart(ctx: StoreContext, bucket: BucketName, key: ObjectKey, uploadId: UploadId, partNumber: number, body: ReadableStream<Uint8Array>, opts: Omit<PutOptions, 'userMeta' | 'precondition'>): Promise<PartInfo> {
  try {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > partNumberMax) throw new StorageError('InvalidPart', 'part number out of range');
    await getUpload(ctx, bucket, key, uploadId);
  } catch (err) {
    await body.cancel(err).catch(() => undefined);
    throw err;
  }
  const dir = uploadDir(bucket, uploadId);
  const encoded = await encodeBody(ctx, body, opts.md5, opts.sizeMaxBytes, false, { expectedBytes: opts.sizeHintBytes });
  try {
    const extra: BeforeCommitResult = opts.beforeCommit ? await opts.beforeCommit(encoded.sizeBytes, encoded.md5Hex) : {};
    const internal = extra.internal ?? opts.internal;
    const doc: PartDoc = { partNumber, size: encoded.sizeBytes, etag: extra.etag ?? encoded.md5Hex ?? newId(ctx.random), internal, dataId: newId(ctx.random), modTimeMs: ctx.clock.nowMs() };
    await ctx.keyLocks.run(uploadLockName(uploadId, partNumber), async () => {
      const { doc: previous, seq } = await readPartVersion(ctx, dir, partNumber);
      const results = await Promise.all(ctx.drives.map(async (d, i) => {
        const tmp = encoded.tmpRels[i];
        if (tmp === null || tmp === undefined || !d.online) return false;
        try {
          await d.moveInto(tmp, partDataRel(dir, partNumber, doc.dataId));
          return true;
        } catch (err) {
          d.noteError(err);
          return false;
        }
      }));
      if (results.filter(Boolean).length < ctx.writeQuorum) throw quorumLost('put part');
      // The part document is the commit point: it names the data file that is now valid.
      await writeDoc(ctx, partMetaRel(dir, partNumber), seq + 1, enc(doc));
      if (previous !== null && previous.dataId !== doc.dataId) {
        await onAllDrives(ctx, (d) => d.discard(partDataRel(dir, partNumber, previous.dataId)));
      }
    });
    return { partNumber, size: doc.size, etag: doc.etag, internal: doc.internal };
  } finally {
    await removeTmp(ctx, encoded.tmpRels);
  }
}

async function partNumbers(ctx: StoreContext, dir: string): Promise<number[]> {
  const set = new Set<number>();
  for (const d of listingDrives(ctx)) {
    for (const name of await d.readdir(dir).catch(() => [])) {
      const m = /^p(\d+)\.meta$/.exec(name);
      if (m) set.add(Number(m[1]));
    }
  }
  return [...set].sort((a, b) => a - b);
}

export async function listParts(ctx: StoreContext, bucket: BucketName, key: ObjectKey, uploadId: UploadId, partNumberMarker: number, maxParts: number): Promise<ListPartsResult> {
  await getUpload(ctx, bucket, key, uploadId);
  const dir = uploadDir(bucket, uploadId);
  const parts: PartInfo[] = [];
  let isTruncated = false;
  for (const n of await partNumbers(ctx, dir)) {
    if (n <= partNumberMarker) continue;
    const p = await readPart(ctx, dir, n);
    if (p === null) continue;
    if (parts.length >= maxParts) {
      isTruncated = true;
      break;
    }
    parts.push({ partNumber: n, size: p.size, etag: p.etag, internal: p.internal, ...(p.modTimeMs === undefined ? {} : { modTimeMs: p.modTimeMs }) });
  }
  return { parts, isTruncated, nextPartNumberMarker: parts.at(-1)?.partNumber ?? 0 };
}

export async function listUploads(ctx: StoreContext, bucket: BucketName, opts: { prefix: string; keyMarker: string; uploadIdMarker: string; maxUploads: number }): Promise<ListUploadsResult> {
  await requireBucket(ctx, bucket);
  const ids = new Set<string>();
  for (const d of listingDrives(ctx)) for (const n of await d.readdir(`${multipartDir}/${bucket}`).catch(() => [])) if (/^[0-9a-f]{32}$/.test(n)) ids.add(n);
  const uploads: UploadInfo[] = [];
  for (const id of ids) {
    const u = await readUpload(ctx, bucket, id);
    if (u !== null && u.key.startsWith(opts.prefix)) uploads.push(u);
  }
  uploads.sort((a, b) => (a.key === b.key ? (a.uploadId < b.uploadId ? -1 : 1) : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key))));
  const after = uploads.filter((u) => {
    const c = Buffer.compare(Buffer.from(u.key), Buffer.from(opts.keyMarker));
    return opts.keyMarker === '' || c > 0 || (c === 0 && opts.uploadIdMarker !== '' && u.uploadId > opts.uploadIdMarker);
  });
  const page = after.slice(0, Math.max(0, opts.maxUploads));
  const last = page.at(-1);
  return { uploads: page, isTruncated: after.length > page.length, nextKeyMarker: last?.key ?? '', nextUploadIdMarker: last?.uploadId ?? '' };
}

async function removeUpload(ctx: StoreContext, bucket: string, uploadId: string): Promise<void> {
  const dir = uploadDir(bucket, uploadId);
  const removed = await removeDoc(ctx, `${dir}/${uploadDocName}`);
  if (removed < ctx.writeQuorum) throw quorumLost('remove upload');
  await onAllDrives(ctx, (d) => d.discard(dir));
}

export async function abortUpload(ctx: StoreContext, bucket: BucketName, key: ObjectKey, uploadId: UploadId): Promise<void> {
  await getUpload(ctx, bucket, key, uploadId);
  await ctx.keyLocks.run(uploadLockName(uploadId), () => removeUpload(ctx, bucket, uploadId));
}

/** S3's multipart ETag: MD5 over the parts' binary MD5s, then "-<count>". */
export function multipartEtag(etags: readonly string[]): string {
  const h = new Bun.CryptoHasher('md5');
  for (const e of etags) h.update(/^[0-9a-f]{32}$/i.test(e) ? Buffer.from(e, 'hex') : Buffer.from(e));
  return `${h.digest('hex')}-${etags.length}`;
}

const normEtag = (e: string): string => e.replace(/^"|"$/g, '').toLowerCase();

export async function completeUpload(
  ctx: StoreContext, bucket: BucketName, key: ObjectKey, uploadId: UploadId, wanted: CompletePart[],
  opts: { precondition?: (current: ObjectInfo | null) => void; beforeCommit?: (parts: PartInfo[], etag: string) => Promise<BeforeCommitResult> | BeforeCommitResult },
): Promise<ObjectInfo> {
  return ctx.keyLocks.run(uploadLockName(uploadId), async () => {
    const upload = await getUpload(ctx, bucket, key, uploadId);
    const dir = uploadDir(bucket, uploadId);
    if (wanted.length === 0 || wanted.length > partNumberMax) throw new StorageError('InvalidPart', 'part list empty or too long');
    const parts: PartDoc[] = [];
    for (let i = 0; i < wanted.length; i++) {
      const w = wanted[i]!;
      if (i > 0 && w.partNumber <= wanted[i - 1]!.partNumber) throw new StorageError('InvalidPartOrder');
      const p = await readPart(ctx, dir, w.partNumber);
      if (p === null || normEtag(p.etag) !== normEtag(w.etag)) throw new StorageError('InvalidPart', `part ${w.partNumber}`);
      parts.push(p);
    }
    parts.forEach((p, i) => {
      if (i < parts.length - 1 && p.size < partSizeMinBytes) throw new StorageError('EntityTooSmall', `part ${p.partNumber}`);
    });
    const infos: PartInfo[] = parts.map((p) => ({ partNumber: p.partNumber, size: p.size, etag: p.etag, internal: p.internal }));
    const etag0 = multipartEtag(parts.map((p) => normEtag(p.etag)));
    const extra = opts.beforeCommit ? await opts.beforeCommit(infos, etag0) : {};
    const userMeta = extra.userMeta ?? upload.userMeta;
    const internal = extra.internal ?? upload.internal;
    const size = parts.reduce((a, p) => a + p.size, 0);
    // A drive takes part only if it holds every part's data file.
    const perDrive = await Promise.all(ctx.drives.map(async (d): Promise<DriveCommit | null> => {
      if (!d.online) return null;
      for (const p of parts) if (!(await d.exists(partDataRel(dir, p.partNumber, p.dataId)).catch(() => false))) return null;
      return { moves: parts.map((p) => ({ fromRel: partDataRel(dir, p.partNumber, p.dataId), partNumber: p.partNumber, link: true })), inlineData: null };
    }));
    const info = await commitObject(ctx, {
      bucket, key, objRel: objectRel(bucket, key), perDrive,
      meta: {
        metaId: newId(ctx.random), dataId: newId(ctx.random), size, etag: extra.etag ?? etag0, modTimeMs: ctx.clock.nowMs(),
        userMeta, internal, dataShards: ctx.erasure.dataShards, parityShards: ctx.erasure.parityShards, blockSizeBytes: ctx.blockSizeBytes,
        multipart: true, inline: false, parts: parts.map((p) => ({ partNumber: p.partNumber, size: p.size, etag: p.etag, internal: p.internal })),
      },
      precondition: opts.precondition,
    });
    await removeUpload(ctx, bucket, uploadId).catch((err: unknown) => ctx.logger.warn('upload cleanup failed', { uploadId, err: String(err) }));
    return info;
  });
}

/** Removes uploads initiated before cutoffMs (and upload directories without a valid document). */
export async function removeStaleUploads(ctx: StoreContext, bucket: string, cutoffMs: number): Promise<number> {
  let removed = 0;
  const ids = new Set<string>();
  for (const d of listingDrives(ctx)) for (const n of await d.readdir(`${multipartDir}/${bucket}`).catch(() => [])) if (/^[0-9a-f]{32}$/.test(n)) ids.add(n);
  for (const id of ids) {
    const u = await readUpload(ctx, bucket, id).catch(() => undefined);
    if (u === undefined || (u !== null && u.initiatedMs >= cutoffMs)) continue;
    await ctx.keyLocks.run(uploadLockName(id), () => removeUpload(ctx, bucket, id)).then(() => removed++, () => undefined);
  }
  return removed;
}
