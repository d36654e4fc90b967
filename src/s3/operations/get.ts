// GetObject and HeadObject: conditionals, Range (206/416), partNumber, response-*
// overrides and stored checksums. Bytes come through the codec's ReadPlan, the one
// place a decrypt stage sits on the read path.
import { S3Error } from '../errors.ts';
import type { ByteRange, ObjectInfo } from '../../storage/types.ts';
import type { ObjectContext, S3Deps } from '../context.ts';
import type { ReadPlan } from '../codec.ts';
import { httpDate } from '../response.ts';
import { partNumberMax } from '../xml/bodies.ts';
import { checkReadConditions } from './conditions.ts';
import { checksumHeaders, checksumRequested } from './checksums.ts';
import { intParam, quoteEtag } from './common.ts';
import { applyResponseOverrides, metaHeaders, storageClassHeader } from './meta.ts';
import { contentRange, parseRange, resolveRange } from './range.ts';
import { objectHandler, type Handler } from './types.ts';
import { taggingCountHeader } from './tagging.ts';

/** Unversioned buckets: only the "null" version exists. */
export function checkVersionId(query: URLSearchParams): void {
  const versionId = query.get('versionId');
  if (versionId !== null && versionId !== 'null') throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
}

function validatorHeaders(info: ObjectInfo, plan: ReadPlan): Record<string, string> {
  return { etag: quoteEtag(plan.etag), 'last-modified': httpDate(info.modTimeMs) };
}

interface Selection {
  status: 200 | 206;
  range: ByteRange | undefined;
  headers: Record<string, string>;
}

/** Which bytes to send: all, a Range, or one part of a multipart object. */
function select(ctx: ObjectContext, plan: ReadPlan): Selection {
  const spec = parseRange(ctx.headers.get('range'));
  const partNumber = ctx.query.has('partNumber') ? intParam(ctx.query, 'partNumber', 1, 1, partNumberMax) : undefined;
  if (spec !== undefined && partNumber !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter.');
  if (partNumber !== undefined) {
    const sizes = plan.partSizes ?? [plan.size];
    const partSize = sizes[partNumber - 1];
    if (partSize === undefined) throw new S3Error('InvalidPartNumber', undefined, { PartNumberRequested: String(partNumber), ActualPartCount: String(sizes.length) });
    const offset = sizes.slice(0, partNumber - 1).reduce((a, b) => a + b, 0);
    const range = { offset, length: partSize };
    const headers: Record<string, string> = { 'x-amz-mp-parts-count': String(sizes.length) };
    if (plan.size > 0) headers['content-range'] = contentRange(range, plan.size);
    return { status: plan.size > 0 ? 206 : 200, range: plan.size > 0 ? range : undefined, headers };
  }
  if (spec === undefined) return { status: 200, range: undefined, headers: {} };
  const range = resolveRange(spec, plan.size);
  return { status: 206, range, headers: { 'content-range': contentRange(range, plan.size) } };
}

/**
 * The body with its first piece already read: a read that cannot even start (too few
 * readable shards, a failed decryption) becomes an S3 error answer, not a 200 that the
 * transport could only cut short.
 */
async function started(stream: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  let pending: Uint8Array | undefined = first.done ? undefined : first.value;
  let ended = first.done;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending !== undefined) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      const next = ended ? { done: true as const } : await reader.read();
      ended = next.done;
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

async function readObject(ctx: ObjectContext, deps: S3Deps, head: boolean): Promise<Response> {
  checkVersionId(ctx.query);
  const wantsSubset = ctx.headers.has('range') || ctx.query.has('partNumber');
  // A plain whole-object GET reads metadata and data in one storage call.
  const got = !head && !wantsSubset ? await deps.store.get(ctx.bucket, ctx.key) : undefined;
  const info = got?.info ?? (await deps.store.head(ctx.bucket, ctx.key));
  let plan: ReadPlan | undefined;
  try {
    plan = await deps.codec.planRead(info, ctx.headers, 'object', deps.store);
    const p = plan;
    checkReadConditions(ctx.headers, { etag: p.etag, modTimeMs: info.modTimeMs }, () => ({ ...validatorHeaders(info, p), ...metaHeaders(info.userMeta) }));
    const sel = select(ctx, p);
    const length = sel.range?.length ?? p.size;
    const headers: Record<string, string> = {
      ...metaHeaders(info.userMeta),
      ...validatorHeaders(info, p),
      'accept-ranges': 'bytes',
      'content-length': String(length),
      ...p.responseHeaders,
      ...sel.headers,
    };
    if (sel.status === 200 && checksumRequested(ctx.headers)) Object.assign(headers, checksumHeaders(info.internal));
    Object.assign(headers, taggingCountHeader(info.internal), storageClassHeader(info.internal));
    applyResponseOverrides(headers, ctx.query);
    ctx.stats.sseMode = p.sseMode;
    if (head) {
      p.dispose();
      return new Response(null, { status: sel.status, headers });
    }
    // From here the stream owns whatever the plan set up (keys are released when it ends).
    const stream = got !== undefined && sel.range === undefined ? await p.decodeWhole(got.stream) : await p.open(sel.range);
    return new Response(await started(stream), { status: sel.status, headers });
  } catch (e) {
    plan?.dispose();
    await got?.stream.cancel().catch(() => undefined);
    throw e;
  }
}

export const getObject: Handler = objectHandler((ctx, deps) => readObject(ctx, deps, false));
export const headObject: Handler = objectHandler((ctx, deps) => readObject(ctx, deps, true));
