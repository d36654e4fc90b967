// Helpers shared by the operation handlers: small XML bodies, ETags, owners, numbers.
import type { Owner } from '../owners.ts';
import { S3Error } from '../errors.ts';
import { checksumAlgorithms, checksumHeaderName } from '../checksum/index.ts';
import { verifiedBody } from '../sigv4/index.ts';
import type { RequestContext, S3Deps } from '../context.ts';
import { el, type XmlElement } from '../xml/writer.ts';

/**
 * Reads a whole (small) verified request body as UTF-8, bounded by the XML limit.
 * `checksumHeadersDescribeObject`: the request's x-amz-checksum-* headers are not about
 * this body (CompleteMultipartUpload's give the whole object's checksum), so the body is
 * not checked against them.
 */
export async function readXmlBody(ctx: RequestContext, deps: S3Deps, options: { checksumHeadersDescribeObject?: boolean } = {}): Promise<string> {
  const limit = deps.limits.xmlBodyBytesMax;
  const declared = ctx.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw new S3Error('MaxMessageLengthExceeded', `Your request was too big (limit ${limit} bytes).`);
  let headers = ctx.headers;
  if (options.checksumHeadersDescribeObject === true) {
    headers = new Headers(ctx.headers);
    for (const algorithm of checksumAlgorithms) headers.delete(checksumHeaderName(algorithm));
  }
  const body = verifiedBody(ctx.req.body, ctx.auth, headers);
  const reader = body.stream.getReader();
  const pieces: Uint8Array[] = [];
  let sizeBytes = 0;
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    sizeBytes += next.value.length;
    if (sizeBytes > limit) {
      await reader.cancel().catch(() => undefined);
      throw new S3Error('MaxMessageLengthExceeded', `Your request was too big (limit ${limit} bytes).`);
    }
    pieces.push(next.value);
  }
  ctx.stats.bytesIn = sizeBytes;
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(pieces));
}

/** Consumes a body that should be empty or is ignored, still verifying its signature. */
export async function drainBody(ctx: RequestContext): Promise<void> {
  if (ctx.req.body === null) return;
  const body = verifiedBody(ctx.req.body, ctx.auth, ctx.headers);
  for await (const piece of body.stream) ctx.stats.bytesIn += piece.length;
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

export function ownerElement(owner: Owner, name = 'Owner'): XmlElement {
  return el(name, el('ID', owner.id), el('DisplayName', owner.displayName));
}

/** Integer query parameter in [min, max]; absent gives `fallback`; malformed is InvalidArgument. */
export function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  return intArgument(query.get(name), name, fallback, min, max);
}

/** An integer argument (query parameter or header) in [min, max], capped at max; absent gives `fallback`. */
export function intArgument(raw: string | null, name: string, fallback: number, min: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d{1,12}$/.test(raw)) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range.`, { ArgumentName: name, ArgumentValue: raw });
  const n = Number(raw);
  if (n < min) throw new S3Error('InvalidArgument', `Argument ${name} must be an integer between ${min} and ${max}.`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(n, max);
}

/** encoding-type=url: keys and prefixes in listings are percent-encoded (slashes kept, as AWS does). */
export function listingEncoder(query: URLSearchParams): { encode: (s: string) => string; encodingType: string | undefined } {
  const type = query.get('encoding-type');
  if (type === null || type === '') return { encode: (s) => s, encodingType: undefined };
  if (type.toLowerCase() !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: type });
  return { encode: (s) => encodeURIComponent(s).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`), encodingType: 'url' };
}

/** A stored setting or internal field holding a JSON list; absent or unreadable gives []. */
export function jsonList<T>(raw: string | undefined): T[] {
  if (raw === undefined) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  } catch {
    return [];
  }
}
