// Multipart uploads: create, upload part (and part copy with a range), complete,
// abort, list parts and list uploads. Part bytes go through the same write pipeline
// as PutObject, with the part number in the codec's target (per-part keys for SSE).
import { S3Error } from '../errors.ts';
import { parseChecksumAlgorithm } from '../checksum/index.ts';
import { StorageError, type ObjectInfo, type PartInfo, type UploadInfo } from '../../storage/types.ts';
import type { BucketContext, ObjectContext, S3Deps } from '../context.ts';
import { toUploadId } from '../names.ts';
import { emptyResponse, xmlResponse } from '../response.ts';
import { parseCompleteMultipartUpload, partNumberMax, type CompletePartSpec } from '../xml/bodies.ts';
import { el, isoTime } from '../xml/writer.ts';
import { checkCannedAclOn } from './buckets.ts';
import { tagsInternalFromHeaders } from './tagging.ts';
import { checkRequestedFullObjectChecksum, checksumFields, checksumHeaders, compositeChecksum, fullObjectChecksum, uploadChecksumType, checkCompleteChecksumFormat } from './checksums.ts';
import { intParam, listingEncoder, ownerElement, quoteEtag, readXmlBody } from './common.ts';
import { bucketOwner } from '../owners.ts';
import { checkCopySize, openCopySource, parseCopySource, parseCopySourceRange } from './copy.ts';
import { writePrecondition } from './conditions.ts';
import { metaFromHeaders, refuseUnsupportedWriteHeaders, storageClassInternal, storageClassOf } from './meta.ts';
import { bucketHandler, objectHandler, type Handler } from './types.ts';
import { hashedBody, requestBody, writePart, writeResponseHeaders } from './write.ts';
import { storedSseHeaders, storedSseMode } from '../sse/headers.ts';

const listPartsMax = 1000;
const listUploadsMax = 1000;

function partNumberOf(query: URLSearchParams): number {
  const raw = query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= partNumberMax)) throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${partNumberMax}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw });
  return n;
}

async function uploadOf(ctx: ObjectContext, deps: S3Deps): Promise<UploadInfo> {
  return deps.store.getUpload(ctx.bucket, ctx.key, toUploadId(ctx.query.get('uploadId') ?? ''));
}

export const createMultipartUpload: Handler = objectHandler(async (ctx, deps) => {
  await checkCannedAclOn(deps, ctx.bucket, ctx.headers);
  refuseUnsupportedWriteHeaders(ctx.headers);
  const userMeta = metaFromHeaders(ctx.headers, deps.limits.userMetaBytesMax);
  const algorithmHeader = ctx.headers.get('x-amz-checksum-algorithm');
  const algorithm = algorithmHeader === null ? undefined : parseChecksumAlgorithm(algorithmHeader);
  if (algorithmHeader !== null && algorithm === undefined) throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported.');
  const planned = await deps.codec.planUpload({ bucket: ctx.bucket, key: ctx.key, headers: ctx.headers });
  const checksumType = uploadChecksumType(ctx.headers.get('x-amz-checksum-type'), algorithm);
  const internal = {
    ...planned.internal,
    ...tagsInternalFromHeaders(ctx.headers),
    ...storageClassInternal(ctx.headers),
    ...(algorithm === undefined ? {} : { [checksumFields.algorithm]: algorithm }),
    ...(checksumType === undefined ? {} : { [checksumFields.type]: checksumType }),
  };
  const uploadId = await deps.store.createUpload(ctx.bucket, ctx.key, { userMeta, internal });
  const headers = {
    ...planned.responseHeaders,
    ...(algorithm === undefined ? {} : { 'x-amz-checksum-algorithm': algorithm }),
    ...(checksumType === undefined ? {} : { 'x-amz-checksum-type': checksumType }),
  };
  return xmlResponse(el('InitiateMultipartUploadResult', el('Bucket', ctx.bucket), el('Key', ctx.key), el('UploadId', uploadId)), 200, headers);
});

export const uploadPart: Handler = objectHandler(async (ctx, deps) => {
  const partNumber = partNumberOf(ctx.query);
  const body = requestBody(ctx, deps, deps.limits.putBytesMax);
  let upload: UploadInfo;
  try {
    upload = await uploadOf(ctx, deps);
  } catch (e) {
    await body.stream.cancel(e).catch(() => undefined);
    throw e;
  }
  const written = await writePart(deps, body, { bucket: ctx.bucket, key: ctx.key, headers: ctx.headers, part: { partNumber, upload } });
  ctx.stats.bytesIn = written.payload.sizeBytes;
  ctx.stats.sseMode = written.plan.sseMode;
  return emptyResponse(200, writeResponseHeaders(written.stored.etag, written.plan, written.payload));
});

export const uploadPartCopy: Handler = objectHandler(async (ctx, deps) => {
  const partNumber = partNumberOf(ctx.query);
  const upload = await uploadOf(ctx, deps);
  const { info, plan } = await openCopySource(ctx, deps, parseCopySource(ctx.headers));
  let stream: ReadableStream<Uint8Array>;
  try {
    const range = parseCopySourceRange(ctx.headers, plan.size);
    checkCopySize(range?.length ?? plan.size);
    stream = await plan.open(range);
  } catch (e) {
    plan.dispose();
    throw e;
  }
  const written = await writePart(deps, hashedBody(stream), { bucket: ctx.bucket, key: ctx.key, headers: ctx.headers, part: { partNumber, upload } });
  ctx.stats.sseMode = written.plan.sseMode;
  const result = el('CopyPartResult', el('ETag', quoteEtag(written.stored.etag)), el('LastModified', isoTime(info.modTimeMs)));
  return xmlResponse(result, 200, written.plan.responseHeaders);
});

/** Checksums the client lists in CompleteMultipartUpload must match what each part was verified with. */
function checkPartChecksums(requested: readonly CompletePartSpec[], parts: readonly PartInfo[]): void {
  const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
  for (const spec of requested) {
    const part = byNumber.get(spec.partNumber);
    for (const [algorithm, value] of Object.entries(spec.checksums)) {
      const stored = part?.internal[checksumFields.algorithm]?.toLowerCase() === algorithm ? part.internal[checksumFields.value] : undefined;
      if (stored !== undefined && stored !== value) throw new S3Error('InvalidPart', `The ${algorithm} checksum of part ${spec.partNumber} does not match.`);
    }
  }
}

/** Internal field naming the upload an object was completed from: a retried completion answers as the first did. */
const completedUploadField = 'completed-upload';

/**
 * The upload is gone. If it is gone because it completed into this key (a client that
 * retries CompleteMultipartUpload after a lost answer), the object it became is the answer.
 */
async function completedBefore(ctx: ObjectContext, deps: S3Deps): Promise<ObjectInfo | undefined> {
  const uploadId = ctx.query.get('uploadId') ?? '';
  const info = await deps.store.head(ctx.bucket, ctx.key).catch(() => undefined);
  return info !== undefined && uploadId !== '' && info.internal[completedUploadField] === uploadId ? info : undefined;
}

export const completeMultipartUpload: Handler = objectHandler(async (ctx, deps) => {
  const specs = parseCompleteMultipartUpload(await readXmlBody(ctx, deps, { checksumHeadersDescribeObject: true }));
  checkCompleteChecksumFormat(ctx.headers);
  const precondition = writePrecondition(ctx.headers);
  let upload: UploadInfo;
  try {
    upload = await uploadOf(ctx, deps);
  } catch (e) {
    const done = e instanceof StorageError && e.code === 'NoSuchUpload' ? await completedBefore(ctx, deps) : undefined;
    if (done === undefined) throw e;
    return completeResult(ctx, deps, done);
  }
  const info = await deps.store.completeUpload(ctx.bucket, ctx.key, upload.uploadId, specs.map((s) => ({ partNumber: s.partNumber, etag: s.etag })), {
    ...(precondition === undefined ? {} : { precondition }),
    beforeCommit: async (parts, etag) => {
      checkPartChecksums(specs, parts);
      const totalBytes = parts.reduce((sum, p) => sum + p.size, 0);
      if (totalBytes > deps.limits.objectBytesMax) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(totalBytes), MaxSizeAllowed: String(deps.limits.objectBytesMax) });
      const planned = await deps.codec.planComplete(upload, parts, etag);
      const base = planned.internal ?? upload.internal;
      const wantsFullObject = upload.internal[checksumFields.type] === 'FULL_OBJECT';
      const checksum = wantsFullObject ? fullObjectChecksum(upload.internal, parts.map((p) => ({ internal: p.internal, plainBytes: deps.codec.listedPart(p).size }))) : compositeChecksum(parts);
      if (wantsFullObject) checkRequestedFullObjectChecksum(ctx.headers, checksum);
      return { ...planned, internal: { ...base, ...checksum, [completedUploadField]: upload.uploadId } };
    },
  });
  return completeResult(ctx, deps, info);
});

function completeResult(ctx: ObjectContext, deps: S3Deps, info: ObjectInfo): Response {
  ctx.stats.sseMode = storedSseMode(info.internal);
  const shown = deps.codec.listed(info);
  const location = `/${ctx.bucket}/${ctx.key.split('/').map(encodeURIComponent).join('/')}`;
  const algorithm = info.internal[checksumFields.algorithm];
  const value = info.internal[checksumFields.value];
  const checksum = algorithm === undefined || value === undefined ? [] : [el(`Checksum${algorithm}`, value), el('ChecksumType', info.internal[checksumFields.type] ?? 'COMPOSITE')];
  const doc = el('CompleteMultipartUploadResult', el('Location', location), el('Bucket', ctx.bucket), el('Key', ctx.key), el('ETag', quoteEtag(shown.etag)), checksum);
  return xmlResponse(doc, 200, { ...storedSseHeaders(info.internal), ...checksumHeaders(info.internal) });
}

export const abortMultipartUpload: Handler = objectHandler(async (ctx, deps) => {
  await deps.store.abortUpload(ctx.bucket, ctx.key, toUploadId(ctx.query.get('uploadId') ?? ''));
  return emptyResponse(204);
});

export const listParts: Handler = objectHandler(async (ctx, deps) => {
  const upload = await uploadOf(ctx, deps);
  const maxParts = intParam(ctx.query, 'max-parts', listPartsMax, 0, listPartsMax);
  const marker = intParam(ctx.query, 'part-number-marker', 0, 0, partNumberMax);
  const result = await deps.store.listParts(ctx.bucket, ctx.key, upload.uploadId, marker, maxParts);
  const parts = result.parts.map((p) => {
    const shown = deps.codec.listedPart(p);
    const algorithm = p.internal[checksumFields.algorithm];
    const value = p.internal[checksumFields.value];
    return el('Part', el('PartNumber', String(p.partNumber)), el('LastModified', isoTime(p.modTimeMs ?? upload.initiatedMs)), el('ETag', quoteEtag(shown.etag)), el('Size', String(shown.size)),
      algorithm === undefined || value === undefined ? undefined : el(`Checksum${algorithm}`, value));
  });
  const owner = await bucketOwner(deps, ctx.bucket);
  return xmlResponse(el('ListPartsResult',
    el('Bucket', ctx.bucket), el('Key', ctx.key), el('UploadId', upload.uploadId),
    el('PartNumberMarker', String(marker)),
    result.isTruncated ? el('NextPartNumberMarker', String(result.nextPartNumberMarker)) : undefined,
    el('MaxParts', String(maxParts)), el('IsTruncated', String(result.isTruncated)),
    ownerElement(owner, 'Initiator'), ownerElement(owner), el('StorageClass', storageClassOf(upload.internal)),
    upload.internal[checksumFields.algorithm] === undefined ? undefined : el('ChecksumAlgorithm', upload.internal[checksumFields.algorithm] ?? ''),
    parts));
});

export const listMultipartUploads: Handler = bucketHandler(async (ctx: BucketContext, deps: S3Deps) => {
  const { encode, encodingType } = listingEncoder(ctx.query);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const maxUploads = intParam(ctx.query, 'max-uploads', listUploadsMax, 0, listUploadsMax);
  const result = await deps.store.listUploads(ctx.bucket, { prefix, keyMarker, uploadIdMarker, maxUploads });
  // Uploads under a delimiter-separated sub-prefix of this page are rolled up, as AWS does.
  const prefixes = new Set<string>();
  const uploads = result.uploads.filter((u) => {
    if (delimiter === '') return true;
    const at = u.key.indexOf(delimiter, prefix.length);
    if (at < 0) return true;
    prefixes.add(u.key.slice(0, at + delimiter.length));
    return false;
  });
  const owner = await bucketOwner(deps, ctx.bucket);
  return xmlResponse(el('ListMultipartUploadsResult',
    el('Bucket', ctx.bucket), el('KeyMarker', encode(keyMarker)), el('UploadIdMarker', uploadIdMarker),
    result.isTruncated ? el('NextKeyMarker', encode(result.nextKeyMarker)) : undefined,
    result.isTruncated ? el('NextUploadIdMarker', result.nextUploadIdMarker) : undefined,
    el('Prefix', encode(prefix)), delimiter === '' ? undefined : el('Delimiter', encode(delimiter)),
    el('MaxUploads', String(maxUploads)), el('IsTruncated', String(result.isTruncated)),
    encodingType === undefined ? undefined : el('EncodingType', encodingType),
    uploads.map((u) => el('Upload', el('Key', encode(u.key)), el('UploadId', u.uploadId), ownerElement(owner, 'Initiator'), ownerElement(owner), el('StorageClass', storageClassOf(u.internal)), el('Initiated', isoTime(u.initiatedMs)))),
    [...prefixes].map((p) => el('CommonPrefixes', el('Prefix', encode(p))))));
});
