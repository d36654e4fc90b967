// CopyObject and the copy-source half of UploadPartCopy: source parsing, source
// conditions, metadata directive, and the self-copy rules. Data is read through the
// codec (decrypting the source) and written through the same pipeline as PutObject.
import { checkBucketAccess } from '../owners.ts';
import { S3Error } from '../errors.ts';
import type { BucketName, ByteRange, ObjectInfo, ObjectKey } from '../../storage/types.ts';
import type { ObjectContext, S3Deps } from '../context.ts';
import type { ReadPlan } from '../codec.ts';
import { toBucketName, toObjectKey } from '../names.ts';
import { xmlResponse } from '../response.ts';
import { el, isoTime } from '../xml/writer.ts';
import { checkCannedAclOn } from './buckets.ts';
import { checksumFields } from './checksums.ts';
import { quoteEtag } from './common.ts';
import { checkCopySourceConditions, writePrecondition } from './conditions.ts';
import { metaFromHeaders, refuseUnsupportedWriteHeaders, storageClassInternal, withStorageClass } from './meta.ts';
import { objectHandler, type Handler } from './types.ts';
import { hashedBody, writeObject } from './write.ts';
import { tagsFromHeader, tagsOf, withTags } from './tagging.ts';

/** AWS copies at most 5 GiB in one CopyObject / UploadPartCopy. */
export const copySourceBytesMax = 5 * 1024 ** 3;

export interface CopySource {
  bucket: BucketName;
  key: ObjectKey;
}

export function parseCopySource(headers: Headers): CopySource {
  const raw = headers.get('x-amz-copy-source') ?? '';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  if (q >= 0) {
    const params = new URLSearchParams(raw.slice(q + 1));
    const versionId = params.get('versionId');
    if (versionId !== null && versionId !== 'null') throw new S3Error('NoSuchVersion', undefined, { VersionId: versionId });
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.startsWith('/') ? path.slice(1) : path);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding.', { ArgumentName: 'x-amz-copy-source' });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey.', { ArgumentName: 'x-amz-copy-source' });
  return { bucket: toBucketName(decoded.slice(0, slash)), key: toObjectKey(decoded.slice(slash + 1)) };
}

export interface OpenedSource {
  info: ObjectInfo;
  plan: ReadPlan;
}

/** Source metadata, read plan and x-amz-copy-source-if-* checks. */
export async function openCopySource(ctx: ObjectContext, deps: S3Deps, source: CopySource): Promise<OpenedSource> {
  // The source bucket must be the requester's too (the destination is checked like any request's).
  await checkBucketAccess(deps, source.bucket, ctx.auth);
  const info = await deps.store.head(source.bucket, source.key);
  const plan = await deps.codec.planRead(info, ctx.headers, 'copy-source', deps.store);
  try {
    checkCopySourceConditions(ctx.headers, { etag: plan.etag, modTimeMs: info.modTimeMs });
    return { info, plan };
  } catch (e) {
    plan.dispose();
    throw e;
  }
}

export function checkCopySize(sizeBytes: number): void {
  if (sizeBytes > copySourceBytesMax) {
    throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${copySourceBytesMax}`);
  }
}

function metadataDirective(headers: Headers): 'COPY' | 'REPLACE' {
  const d = (headers.get('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (d !== 'COPY' && d !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: d });
  return d;
}

const sseRequestHeaders = ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-customer-algorithm', 'x-amz-server-side-encryption-aws-kms-key-id'];

/** x-amz-tagging-directive: COPY (the source's tags, the default) or REPLACE (the request's x-amz-tagging). */
function taggingDirective(headers: Headers): 'COPY' | 'REPLACE' {
  const raw = headers.get('x-amz-tagging-directive');
  if (raw === null) return 'COPY';
  const v = raw.trim().toUpperCase();
  if (v !== 'COPY' && v !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown tagging directive.', { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: raw });
  return v;
}

/** The full-object checksum stays true for an unchanged byte stream; a composite one does not. */
function copiedChecksum(info: ObjectInfo): Record<string, string> {
  const { algorithm, value, type } = checksumFields;
  const a = info.internal[algorithm];
  const v = info.internal[value];
  if (a === undefined || v === undefined || info.internal[type] !== 'FULL_OBJECT') return {};
  return { [algorithm]: a, [value]: v, [type]: 'FULL_OBJECT' };
}

function copyResult(etag: string, modTimeMs: number, headers: Record<string, string>): Response {
  return xmlResponse(el('CopyObjectResult', el('ETag', quoteEtag(etag)), el('LastModified', isoTime(modTimeMs))), 200, headers);
}

export const copyObject: Handler = objectHandler(async (ctx, deps) => {
  await checkCannedAclOn(deps, ctx.bucket, ctx.headers);
  refuseUnsupportedWriteHeaders(ctx.headers);
  const source = parseCopySource(ctx.headers);
  const directive = metadataDirective(ctx.headers);
  const self = source.bucket === ctx.bucket && source.key === ctx.key;
  const changesEncryption = sseRequestHeaders.some((h) => ctx.headers.has(h));
  const changesClass = ctx.headers.has('x-amz-storage-class');
  if (self && directive === 'COPY' && !changesEncryption && !changesClass && taggingDirective(ctx.headers) === 'COPY') {
    throw new S3Error('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const replaced = directive === 'REPLACE' ? metaFromHeaders(ctx.headers, deps.limits.userMetaBytesMax) : undefined;
  const newTags = taggingDirective(ctx.headers) === 'REPLACE' ? (tagsFromHeader(ctx.headers) ?? []) : undefined;
  const precondition = writePrecondition(ctx.headers);
  const { info, plan } = await openCopySource(ctx, deps, source);
  if (self && !changesEncryption && (replaced !== undefined || newTags !== undefined || changesClass)) {
    // Metadata-only rewrite: the data and its encryption stay as they are.
    plan.dispose();
    const updated = await deps.store.updateMeta(ctx.bucket, ctx.key, (current) => {
      if (current.etag !== info.etag) throw new S3Error('PreconditionFailed', 'The source object changed during the copy.');
      const tagged = newTags === undefined ? current.internal : withTags(current.internal, newTags);
      const internal = changesClass ? withStorageClass(tagged, ctx.headers) : tagged;
      return { userMeta: replaced ?? current.userMeta, internal, ...(current.parts === undefined ? {} : { parts: current.parts }) };
    });
    return copyResult(plan.etag, updated.modTimeMs, plan.responseHeaders);
  }
  checkCopySize(plan.size);
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await plan.open(undefined);
  } catch (e) {
    plan.dispose();
    throw e;
  }
  const written = await writeObject(deps, hashedBody(stream, plan.size), {
    target: { bucket: ctx.bucket, key: ctx.key, headers: ctx.headers },
    userMeta: replaced ?? { ...info.userMeta },
    precondition,
    extraInternal: { ...copiedChecksum(info), ...withTags({}, newTags ?? tagsOf(info.internal)), ...storageClassInternal(ctx.headers) },
  });
  ctx.stats.sseMode = written.plan.sseMode;
  // A codec may show clients another ETag than the stored one (SSE-S3: the plaintext MD5, stored sealed).
  const shownEtag = written.plan.responseHeaders['etag']?.replace(/^"|"$/g, '') ?? written.stored.etag;
  return copyResult(shownEtag, written.stored.modTimeMs, written.plan.responseHeaders);
});

/** x-amz-copy-source-range: bytes=first-last, within the source. */
export function parseCopySourceRange(headers: Headers, size: number): ByteRange | undefined {
  const raw = headers.get('x-amz-copy-source-range');
  if (raw === null) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(raw.trim());
  const first = m?.[1] === undefined ? NaN : Number(m[1]);
  const last = m?.[2] === undefined ? NaN : Number(m[2]);
  if (!(first <= last) || last >= size) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`, { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: raw });
  }
  return { offset: first, length: last - first + 1 };
}
