// PutObject: metadata from headers, conditional writes, streamed verified body.
import type { ObjectContext, S3Deps } from '../context.ts';
import { emptyResponse } from '../response.ts';
import { checkCannedAclOn } from './buckets.ts';
import { writePrecondition } from './conditions.ts';
import { metaFromHeaders, refuseUnsupportedWriteHeaders, storageClassInternal } from './meta.ts';
import { objectHandler, type Handler } from './types.ts';
import { tagsInternalFromHeaders } from './tagging.ts';
import { requestBody, writeObject, writeResponseHeaders } from './write.ts';

export const putObject: Handler = objectHandler(async (ctx: ObjectContext, deps: S3Deps) => {
  await checkCannedAclOn(deps, ctx.bucket, ctx.headers);
  refuseUnsupportedWriteHeaders(ctx.headers);
  const userMeta = metaFromHeaders(ctx.headers, deps.limits.userMetaBytesMax);
  const precondition = writePrecondition(ctx.headers);
  const tags = tagsInternalFromHeaders(ctx.headers);
  const body = requestBody(ctx, deps, deps.limits.putBytesMax);
  const written = await writeObject(deps, body, { target: { bucket: ctx.bucket, key: ctx.key, headers: ctx.headers }, userMeta, precondition, extraInternal: { ...tags, ...storageClassInternal(ctx.headers) } });
  ctx.stats.bytesIn = written.payload.sizeBytes;
  ctx.stats.sseMode = written.plan.sseMode;
  if (written.plan.kmsKeyId !== undefined) ctx.stats.kmsKeyId = written.plan.kmsKeyId;
  return emptyResponse(200, writeResponseHeaders(written.stored.etag, written.plan, written.payload));
});
