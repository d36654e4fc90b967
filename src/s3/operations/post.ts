// PostObject: browser-style uploads with an HTML form (multipart/form-data). The form,
// not the headers, carries the credentials: a signed policy that bounds what may be
// uploaded. Fields become the object's key, metadata and encryption settings; the file
// streams into the store like a PutObject body.
import { checkBucketAccess } from '../owners.ts';
import { S3Error } from '../errors.ts';
import type { BucketContext } from '../context.ts';
import { toObjectKey } from '../names.ts';
import { formBoundary, readUploadForm, type UploadForm } from '../post/form.ts';
import { checkPolicy, checkPostSignature, type PolicyLimits } from '../post/policy.ts';
import { emptyResponse, xmlResponse } from '../response.ts';
import { parseTagging } from '../xml/bodies.ts';
import { el } from '../xml/writer.ts';
import { checkCannedAclOn } from './buckets.ts';
import { metaFromHeaders, refuseUnsupportedWriteHeaders, storageClassInternal } from './meta.ts';
import { validateTags, withTags } from './tagging.ts';
import { bucketHandler, type Handler } from './types.ts';
import { writeObject } from './write.ts';
import { verifiedBody } from '../sigv4/index.ts';
import { headerBytesOf } from '../sigv4/canonical.ts';

/** S3 bounds the form fields before the file at 20 KB. */
export const postFieldBytesMax = 20 * 1024;

/** Form fields that mean the same as the request headers of a PutObject. */
function isHeaderField(name: string): boolean {
  return ['cache-control', 'content-type', 'content-disposition', 'content-encoding', 'content-language', 'expires'].includes(name)
    || name.startsWith('x-amz-meta-') || name.startsWith('x-amz-server-side-encryption') || name === 'x-amz-storage-class'
    || name.startsWith('x-amz-object-lock-') || name === 'x-amz-website-redirect-location';
}

/** The file's bytes, refused as they stream once past the policy's (and S3's) size limits. */
function limitedFile(stream: ReadableStream<Uint8Array>, limits: PolicyLimits): ReadableStream<Uint8Array> {
  let sizeBytes = 0;
  return stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(piece, controller) {
      sizeBytes += piece.length;
      if (sizeBytes > limits.lengthMax) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxSizeAllowed: String(limits.lengthMax) });
      controller.enqueue(piece);
    },
    flush() {
      if (sizeBytes < limits.lengthMin) throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.', { ProposedSize: String(sizeBytes), MinSizeAllowed: String(limits.lengthMin) });
    },
  }));
}

function objectUrl(ctx: BucketContext, key: string): string {
  const host = ctx.headers.get('host') ?? 'localhost';
  const scheme = new URL(ctx.req.url).protocol;
  return `${scheme}//${host}/${ctx.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function successResponse(ctx: BucketContext, form: UploadForm, key: string, etag: string, extraHeaders: Record<string, string>): Response {
  const quoted = `"${etag}"`;
  const location = objectUrl(ctx, key);
  const headers = { ...extraHeaders, etag: quoted, location };
  const redirect = form.fields.get('success_action_redirect') ?? form.fields.get('redirect');
  if (redirect !== undefined && /^https?:\/\//i.test(redirect)) {
    const url = new URL(redirect);
    url.searchParams.set('bucket', ctx.bucket);
    url.searchParams.set('key', key);
    url.searchParams.set('etag', quoted);
    return emptyResponse(303, { ...headers, location: url.href });
  }
  const status = form.fields.get('success_action_status');
  if (status === '201') return xmlResponse(el('PostResponse', el('Location', location), el('Bucket', ctx.bucket), el('Key', key), el('ETag', quoted)), 201, headers);
  return emptyResponse(status === '200' ? 200 : 204, headers);
}

export const postObject: Handler = bucketHandler(async (ctx, deps) => {
  const boundary = formBoundary(ctx.headers.get('content-type'));
  if (boundary === null || ctx.req.body === null) throw new S3Error('MalformedPOSTRequest');
  const declared = Number(ctx.headers.get('content-length') ?? '0');
  if (declared > deps.limits.putBytesMax + postFieldBytesMax + 64 * 1024) throw new S3Error('EntityTooLarge', undefined, { MaxSizeAllowed: String(deps.limits.putBytesMax) });
  const form = await readUploadForm(ctx.req.body, boundary, postFieldBytesMax);
  try {
    const signer = checkPostSignature(form.fields, { credentials: deps.credentials, region: deps.region });
    ctx.stats.signedBy = signer.accessKey;
    await checkBucketAccess(deps, ctx.bucket, signer);
    const keyField = form.fields.get('key');
    if (keyField === undefined) throw new S3Error('InvalidArgument', 'Bucket POST must contain a field named \'key\'.', { ArgumentName: 'key' });
    const key = toObjectKey(keyField.replaceAll('${filename}', form.file.filename));
    const value = (name: string): string | undefined => (name === 'bucket' ? ctx.bucket : name === 'key' ? key : form.fields.get(name));
    const limits = checkPolicy(form.fields.get('policy') ?? '', form.fields, value, deps.clock.nowMs(), deps.limits.putBytesMax);
    const headers = new Headers();
    // Form fields are text; headers carry bytes (one character each), as on a PUT.
    for (const [name, v] of form.fields) if (isHeaderField(name)) headers.set(name, headerBytesOf(v));
    if (!headers.has('content-type') && form.file.contentType !== undefined) headers.set('content-type', form.file.contentType);
    const acl = form.fields.get('acl');
    if (acl !== undefined) headers.set('x-amz-acl', acl);
    await checkCannedAclOn(deps, ctx.bucket, headers);
    refuseUnsupportedWriteHeaders(headers);
    const userMeta = metaFromHeaders(headers, deps.limits.userMetaBytesMax);
    // The form's `tagging` field is a Tagging XML document.
    const tagging = form.fields.get('tagging');
    const tags = tagging === undefined ? {} : withTags({}, validateTags(parseTagging(tagging)));
    // The form may carry an x-amz-checksum-* of the file: verified like a PutObject header.
    const checksumHeaders = new Headers();
    for (const [name, v] of form.fields) if (name.startsWith('x-amz-checksum-')) checksumHeaders.set(name, v);
    const body = verifiedBody(limitedFile(form.file.stream, limits), ctx.auth, checksumHeaders, { computeMd5: true });
    const written = await writeObject(deps, body, { target: { bucket: ctx.bucket, key, headers }, userMeta, extraInternal: { ...tags, ...storageClassInternal(headers) } });
    ctx.stats.bytesIn = written.payload.sizeBytes;
    ctx.stats.sseMode = written.plan.sseMode;
    return successResponse(ctx, form, key, written.stored.etag, written.plan.responseHeaders);
  } catch (e) {
    await form.file.stream.cancel(e).catch(() => undefined);
    throw e;
  }
});
