// Client-side SigV4: signs requests, presigns URLs and frames aws-chunked bodies.
// Used by tests, benchmarks and tools; the server side never calls it.
import type { Clock } from '../../util/clock.ts';
import { canonicalHeaders, canonicalQuery, canonicalRequest, parseQuery, stringToSign, uriEncode } from './canonical.ts';
import { ChunkSigner } from './chunk-signer.ts';
import { deriveSigningKey, hmacHex, sha256Hex } from './crypto.ts';
import { formatAmzDate } from './parse.ts';

type HeadersInput = ConstructorParameters<typeof Headers>[0];

export interface SigningCredentials {
  accessKey: string;
  secretKey: string;
}

export interface SignInput {
  method: string;
  url: string | URL;
  headers?: HeadersInput;
  body?: Uint8Array | string;
  /** Overrides the hash of `body`, e.g. UNSIGNED-PAYLOAD or a STREAMING-* mode. */
  payloadHash?: string;
  region?: string;
  service?: string;
}

export interface SignedRequest {
  url: string;
  headers: Headers;
  /** The request signature, which is also the seed of an aws-chunked body. */
  signature: string;
  chunkSigner: ChunkSigner;
}

function scopeOf(amzDate: string, region: string, service: string): string {
  return `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
}

/** Signs with the Authorization header; every header given is signed, plus host. */
export function signRequest(input: SignInput, creds: SigningCredentials, clock: Clock): SignedRequest {
  const url = new URL(input.url);
  const region = input.region ?? 'us-east-1';
  const service = input.service ?? 's3';
  const amzDate = formatAmzDate(clock.nowMs());
  const headers = new Headers(input.headers);
  const payloadHash = input.payloadHash ?? sha256Hex(input.body ?? '');
  headers.set('host', url.host);
  headers.set('x-amz-date', amzDate);
  headers.set('x-amz-content-sha256', payloadHash);
  const names = [...headers.keys()].map((n) => n.toLowerCase()).sort();
  const scope = scopeOf(amzDate, region, service);
  const signingKey = deriveSigningKey(creds.secretKey, amzDate.slice(0, 8), region, service);
  const creq = canonicalRequest({
    method: input.method.toUpperCase(),
    uri: url.pathname,
    query: canonicalQuery(parseQuery(url.search)),
    headers: canonicalHeaders(names, (n) => headers.get(n)),
    signedHeaders: names.join(';'),
    payloadHash,
  });
  const signature = hmacHex(signingKey, stringToSign(amzDate, scope, sha256Hex(creq)));
  headers.set('authorization', `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`);
  return { url: url.toString(), headers, signature, chunkSigner: new ChunkSigner(signingKey, amzDate, scope, signature) };
}

export interface PresignInput {
  method: string;
  url: string | URL;
  expiresSec: number;
  region?: string;
  service?: string;
  /** Extra headers to sign (the client must then send them). */
  headers?: HeadersInput;
}

/** Presigned URL (query-string auth); the payload is UNSIGNED-PAYLOAD. */
export function presignUrl(input: PresignInput, creds: SigningCredentials, clock: Clock): string {
  const url = new URL(input.url);
  const region = input.region ?? 'us-east-1';
  const service = input.service ?? 's3';
  const amzDate = formatAmzDate(clock.nowMs());
  const scope = scopeOf(amzDate, region, service);
  const headers = new Headers(input.headers);
  headers.set('host', url.host);
  const names = [...headers.keys()].map((n) => n.toLowerCase()).sort();
  const added: Array<[string, string]> = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKey}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(input.expiresSec)],
    ['X-Amz-SignedHeaders', names.join(';')],
  ];
  const addedText = added.map(([k, v]) => `${uriEncode(k, false)}=${uriEncode(v, false)}`).join('&');
  const search = url.search.length > 1 ? `${url.search.slice(1)}&${addedText}` : addedText;
  const signingKey = deriveSigningKey(creds.secretKey, amzDate.slice(0, 8), region, service);
  const creq = canonicalRequest({
    method: input.method.toUpperCase(),
    uri: url.pathname,
    query: canonicalQuery(parseQuery(search)),
    headers: canonicalHeaders(names, (n) => headers.get(n)),
    signedHeaders: names.join(';'),
    payloadHash: 'UNSIGNED-PAYLOAD',
  });
  const signature = hmacHex(signingKey, stringToSign(amzDate, scope, sha256Hex(creq)));
  return `${url.origin}${url.pathname}?${search}&X-Amz-Signature=${signature}`;
}

export interface Trailer {
  name: string;
  value: string;
}

const encoder = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Frames `chunks` as STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) with a signature chain. */
export function encodeSignedChunks(chunks: readonly Uint8Array[], signer: ChunkSigner, trailer?: Trailer): Uint8Array {
  const parts: Uint8Array[] = [];
  let previous = signer.seedSignature;
  for (const data of [...chunks.filter((c) => c.length > 0), new Uint8Array(0)]) {
    previous = signer.chunkSignature(previous, sha256Hex(data));
    parts.push(encoder.encode(`${data.length.toString(16)};chunk-signature=${previous}\r\n`), data);
    if (data.length > 0) parts.push(encoder.encode('\r\n'));
  }
  if (trailer === undefined) {
    parts.push(encoder.encode('\r\n'));
    return concat(parts);
  }
  const line = `${trailer.name.toLowerCase()}:${trailer.value}`;
  const trailerSignature = signer.trailerSignature(previous, sha256Hex(`${line}\n`));
  parts.push(encoder.encode(`${line}\r\nx-amz-trailer-signature:${trailerSignature}\r\n\r\n`));
  return concat(parts);
}

/** Frames `chunks` as STREAMING-UNSIGNED-PAYLOAD-TRAILER, the way current AWS SDKs do. */
export function encodeUnsignedChunks(chunks: readonly Uint8Array[], trailer?: Trailer): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const data of chunks) {
    if (data.length === 0) continue;
    parts.push(encoder.encode(`${data.length.toString(16)}\r\n`), data, encoder.encode('\r\n'));
  }
  parts.push(encoder.encode('0\r\n'));
  if (trailer !== undefined) parts.push(encoder.encode(`${trailer.name.toLowerCase()}:${trailer.value}\r\n\r\n`));
  return concat(parts);
}
