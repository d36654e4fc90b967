// The one place object bytes are written: plaintext (verified request body or a copy
// source) -> codec.encode (encryption plugs in here) -> storage, with the ETag, stored
// checksum and codec fields settled in beforeCommit, after the body was fully checked.
import { S3Error } from '../errors.ts';
import { verifiedBody, type PayloadResult } from '../sigv4/index.ts';
import type { ObjectInfo, PartInfo } from '../../storage/types.ts';
import type { RequestContext, S3Deps } from '../context.ts';
import type { WritePlan, WriteTarget } from '../codec.ts';
import { checksumInternal } from './checksums.ts';
import { digestFieldsOf, type BodyDigest } from '../md5-offload.ts';

/** Plaintext bytes to store and, once they ended cleanly, what was learnt about them. */
export interface PlainBody {
  stream: ReadableStream<Uint8Array>;
  /** Valid once the stream has ended and `settled` (when there is one) has resolved. */
  result(): PayloadResult;
  /** Resolves when result() is complete: a digest may still be computing after the stream ended. */
  settled?: () => Promise<void>;
  /** Called when the store reads `stream` directly (it copies every piece before asking for the next). */
  storedDirectly?: () => void;
  /** Before `stream` is read: the ETag's digest may be SHA-256 instead of MD5 (see WritePlan.etagDigest). */
  preferSha256?: () => void;
  /** Plaintext bytes expected, when known up front (a declared length, a copy source's size). */
  sizeBytes?: number;
}

/** Bodies at least this big hash their MD5 on the offload worker (when there is one). */
export const md5OffloadBytesMin = 1024 * 1024;

/** The request body, verified as it streams (signature, SHA-256, Content-MD5, checksums, size). */
export function requestBody(ctx: RequestContext, deps: S3Deps, sizeBytesMax: number): PlainBody {
  const declared = ctx.headers.get('x-amz-decoded-content-length') ?? ctx.headers.get('content-length');
  // A body sent with Transfer-Encoding: chunked has no length up front (curl -T -, Go and
  // streaming clients): it is taken as it comes, and the size limit applies as it streams.
  const chunked = /\bchunked\b/i.test(ctx.headers.get('transfer-encoding') ?? '');
  if (declared === null && !chunked) throw new S3Error('MissingContentLength');
  const declaredBytes = declared !== null && /^\d+$/.test(declared.trim()) ? Number(declared) : undefined;
  if (declaredBytes !== undefined && declaredBytes > sizeBytesMax) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(declaredBytes), MaxSizeAllowed: String(sizeBytesMax) });
  }
  // With Content-MD5 the verifier hashes anyway; otherwise large bodies hash beside the main thread.
  const useOffload = deps.md5Offload?.available === true && !ctx.headers.has('content-md5') && (declaredBytes ?? 0) >= md5OffloadBytesMin;
  const body = verifiedBody(ctx.req.body, ctx.auth, ctx.headers, { computeMd5: !useOffload, sizeBytesMax });
  // Created only once the headers passed: a stage is a worker job until its stream ends or is cancelled.
  const offload = useOffload ? deps.md5Offload?.stage() : undefined;
  const size = declaredBytes === undefined ? {} : { sizeBytes: declaredBytes };
  if (offload === undefined) return { stream: body.stream, result: body.result, preferSha256: () => body.preferSha256(), ...size };
  return {
    stream: offload.wrap(body.stream),
    result: () => ({ ...body.result(), ...offload.digestFields() }),
    settled: () => offload.settled(),
    storedDirectly: () => offload.consumerCopies(),
    preferSha256: () => offload.preferSha256(),
    ...size,
  };
}

/** A copy source's plaintext, hashed on the way through for the new ETag. */
export function hashedBody(source: ReadableStream<Uint8Array>, expectedBytes?: number): PlainBody {
  let algorithm: BodyDigest = 'md5';
  let hasher: Bun.CryptoHasher | undefined;
  let sizeBytes = 0;
  let done: PayloadResult | undefined;
  // Pulled, not piped: nothing is read (so the digest is not chosen) before the writer asks.
  const reader = source.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await reader.read();
      if (next.done) {
        const hex = (hasher ?? new Bun.CryptoHasher(algorithm)).digest('hex');
        done = { ...digestFieldsOf(algorithm, hex), sizeBytes };
        controller.close();
        return;
      }
      hasher ??= new Bun.CryptoHasher(algorithm);
      hasher.update(next.value);
      sizeBytes += next.value.length;
      controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return {
    stream,
    result: () => {
      if (done === undefined) throw new Error('copy body result read before the body ended');
      return done;
    },
    preferSha256: () => {
      if (hasher === undefined) algorithm = 'sha256';
    },
    ...(expectedBytes === undefined ? {} : { sizeBytes: expectedBytes }),
  };
}

export interface Written<T> {
  stored: T;
  plan: WritePlan;
  payload: PayloadResult;
}

/** Response headers common to object writes: ETag, codec (SSE) headers and the verified checksum. */
export function writeResponseHeaders(etag: string, plan: WritePlan, payload: PayloadResult): Record<string, string> {
  const headers: Record<string, string> = { etag: `"${etag}"`, ...plan.responseHeaders };
  if (payload.checksum !== undefined) headers[`x-amz-checksum-${payload.checksum.algorithm.toLowerCase()}`] = payload.checksum.valueB64;
  return headers;
}

/** The stream the store reads: the codec's output. */
function encoded(plan: WritePlan, body: PlainBody): ReadableStream<Uint8Array> {
  const stream = plan.encode(body.stream);
  // No codec stage in between (plaintext): the MD5 offload may move pieces instead of copying.
  if (stream === body.stream) body.storedDirectly?.();
  return stream;
}

/** What was learnt about the body, once everything it computes (a digest on the worker) is in. */
async function settledPayload(body: PlainBody): Promise<PayloadResult> {
  await body.settled?.();
  return body.result();
}

/** beforeCommit of an object or part write: the codec's ETag and fields, with the body's checksum. */
async function committedFields(plan: WritePlan, body: PlainBody, extraInternal: Record<string, string> = {}): Promise<{ etag: string; internal: Record<string, string> }> {
  const payload = await settledPayload(body);
  const end = await plan.finish(payload);
  return { etag: end.etag, internal: { ...plan.internal, ...end.internal, ...extraInternal, ...checksumInternal(payload) } };
}

async function withPlan<T>(deps: S3Deps, target: WriteTarget, body: PlainBody, run: (plan: WritePlan) => Promise<T>): Promise<Written<T>> {
  let plan: WritePlan;
  try {
    plan = await deps.codec.planWrite(target);
  } catch (e) {
    await body.stream.cancel(e).catch(() => undefined);
    throw e;
  }
  if (plan.etagDigest === 'sha256') body.preferSha256?.();
  try {
    const stored = await run(plan);
    return { stored, plan, payload: await settledPayload(body) };
  } finally {
    plan.dispose();
  }
}

export interface ObjectWrite {
  target: WriteTarget;
  userMeta: Record<string, string>;
  precondition?: ((current: ObjectInfo | null) => void) | undefined;
  /** Fields known up front that the codec does not produce (e.g. a copied checksum). */
  extraInternal?: Record<string, string>;
}

/** The stored size to expect, when the body's size is known up front. */
function sizeHint(plan: WritePlan, body: PlainBody): { sizeHintBytes?: number } {
  return body.sizeBytes === undefined ? {} : { sizeHintBytes: plan.storedBytes(body.sizeBytes) };
}

export async function writeObject(deps: S3Deps, body: PlainBody, w: ObjectWrite): Promise<Written<ObjectInfo>> {
  return withPlan(deps, w.target, body, (plan) => deps.store.put(w.target.bucket, w.target.key, encoded(plan, body), {
    userMeta: w.userMeta,
    internal: plan.internal,
    md5: false,
    ...sizeHint(plan, body),
    ...(w.precondition === undefined ? {} : { precondition: w.precondition }),
    beforeCommit: () => committedFields(plan, body, w.extraInternal),
  }));
}

export async function writePart(deps: S3Deps, body: PlainBody, target: WriteTarget & { part: NonNullable<WriteTarget['part']> }): Promise<Written<PartInfo>> {
  const { upload, partNumber } = target.part;
  return withPlan(deps, target, body, (plan) => deps.store.putPart(target.bucket, target.key, upload.uploadId, partNumber, encoded(plan, body), {
    internal: plan.internal,
    md5: false,
    ...sizeHint(plan, body),
    beforeCommit: () => committedFields(plan, body),
  }));
}
