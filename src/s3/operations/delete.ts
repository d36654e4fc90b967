// DeleteObject and DeleteObjects (up to 1,000 keys, quiet mode, integrity header required).
import { S3Error, isS3Error } from '../errors.ts';
import { StorageError } from '../../storage/types.ts';
import type { BucketContext, S3Deps } from '../context.ts';
import { toObjectKey } from '../names.ts';
import { emptyResponse, xmlResponse } from '../response.ts';
import { translateError } from '../translate.ts';
import { parseDelete } from '../xml/bodies.ts';
import { el, type XmlElement } from '../xml/writer.ts';
import { checkVersionId } from './get.ts';
import { readXmlBody } from './common.ts';
import { bucketHandler, objectHandler, type Handler } from './types.ts';

/** Deletes in flight at once for one DeleteObjects request. */
const deleteConcurrency = 8;

export const deleteObject: Handler = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  await deps.store.delete(ctx.bucket, ctx.key);
  return emptyResponse(204);
});

function hasIntegrityHeader(headers: Headers): boolean {
  if (headers.has('content-md5') || headers.has('x-amz-sdk-checksum-algorithm') || headers.has('x-amz-trailer')) return true;
  for (const name of headers.keys()) if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-mode') return true;
  return false;
}

type Outcome = { key: string; ok: true } | { key: string; ok: false; code: string; message: string };

async function deleteOne(ctx: BucketContext, deps: S3Deps, key: string, versionId: string | undefined): Promise<Outcome> {
  try {
    if (versionId !== undefined && versionId !== 'null') throw new S3Error('NoSuchVersion', 'The specified version does not exist.');
    await deps.store.delete(ctx.bucket, toObjectKey(key));
    return { key, ok: true };
  } catch (e) {
    if (e instanceof StorageError && e.code === 'NoSuchBucket') throw e;
    const err = isS3Error(e) ? e : translateError(e);
    if (!isS3Error(e) && err.status >= 500) deps.logger.warn('delete of one key failed', { requestId: ctx.requestId, bucket: ctx.bucket, error: String(e) });
    return { key, ok: false, code: err.code, message: err.message };
  }
}

export const deleteObjects: Handler = bucketHandler(async (ctx, deps) => {
  if (!hasIntegrityHeader(ctx.headers)) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
  const request = parseDelete(await readXmlBody(ctx, deps));
  await deps.store.headBucket(ctx.bucket);
  const outcomes: Outcome[] = new Array<Outcome>(request.objects.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < request.objects.length; i = next++) {
      const o = request.objects[i];
      if (o !== undefined) outcomes[i] = await deleteOne(ctx, deps, o.key, o.versionId);
    }
  };
  await Promise.all(Array.from({ length: Math.min(deleteConcurrency, request.objects.length) }, worker));
  const entries: XmlElement[] = [];
  for (const o of outcomes) {
    if (o.ok) {
      if (!request.quiet) entries.push(el('Deleted', el('Key', o.key)));
    } else {
      entries.push(el('Error', el('Key', o.key), el('Code', o.code), el('Message', o.message)));
    }
  }
  return xmlResponse(el('DeleteResult', entries));
});
