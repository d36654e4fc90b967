// Reads the request headers that say how the body must be checked: payload mode,
// Content-MD5, x-amz-checksum-* (header or trailer) and the expected length.
import { S3Error } from '../errors.ts';
import { checksumAlgorithms, checksumDigestBytes, checksumHeaderName, parseChecksumAlgorithm } from '../checksum/index.ts';
import type { ChecksumAlgorithm } from '../checksum/index.ts';

export type PayloadMode =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; expectedHex: string }
  | { kind: 'chunked'; signed: boolean; trailers: boolean };

export interface ChecksumExpectation {
  algorithm: ChecksumAlgorithm;
  /** 'header': value given now; 'trailer': value arrives after the body; 'compute': report only. */
  source: 'header' | 'trailer' | 'compute';
  valueB64?: string;
}

export interface PayloadSpec {
  mode: PayloadMode;
  md5B64: string | undefined;
  checksum: ChecksumExpectation | undefined;
  /** Decoded body length the client promised, when it did. */
  lengthBytes: number | undefined;
}

export function payloadMode(payloadHash: string): PayloadMode {
  switch (payloadHash) {
    case 'UNSIGNED-PAYLOAD':
      return { kind: 'unsigned' };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
      return { kind: 'chunked', signed: true, trailers: false };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return { kind: 'chunked', signed: true, trailers: true };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { kind: 'chunked', signed: false, trailers: true };
    default:
      break;
  }
  if (/^[0-9a-fA-F]{64}$/.test(payloadHash)) return { kind: 'sha256', expectedHex: payloadHash.toLowerCase() };
  if (payloadHash.startsWith('STREAMING-')) {
    throw new S3Error('NotImplemented', `The payload signing mode ${payloadHash} is not supported.`);
  }
  throw new S3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.');
}

/** Strict base64 check: decodes to exactly `bytes` bytes and re-encodes to the same text. */
export function isBase64Of(value: string, bytes: number): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === value;
}

function parseLength(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,16}$/.test(value.trim())) throw new S3Error('InvalidArgument', `${name} is not a valid length.`);
  return Number(value.trim());
}

function headerChecksum(headers: Headers): ChecksumExpectation | undefined {
  let found: ChecksumExpectation | undefined;
  for (const algorithm of checksumAlgorithms) {
    const value = headers.get(checksumHeaderName(algorithm));
    if (value === null) continue;
    if (found !== undefined) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    const trimmed = value.trim();
    if (!isBase64Of(trimmed, checksumDigestBytes(algorithm))) {
      throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} header is invalid.`);
    }
    found = { algorithm, source: 'header', valueB64: trimmed };
  }
  return found;
}

function trailerChecksum(headers: Headers, mode: PayloadMode): ChecksumExpectation | undefined {
  const trailer = headers.get('x-amz-trailer');
  if (trailer === null || trailer.trim() === '') return undefined;
  if (mode.kind !== 'chunked' || !mode.trailers) {
    throw new S3Error('InvalidRequest', 'The x-amz-trailer header needs a STREAMING-*-TRAILER x-amz-content-sha256.');
  }
  const name = trailer.trim().toLowerCase();
  const algorithm = name.startsWith('x-amz-checksum-') ? parseChecksumAlgorithm(name.slice('x-amz-checksum-'.length)) : undefined;
  if (algorithm === undefined) throw new S3Error('InvalidRequest', `The trailer ${name} is not supported.`);
  return { algorithm, source: 'trailer' };
}

export function readPayloadSpec(payloadHash: string, headers: Headers, computeAlgorithm?: ChecksumAlgorithm): PayloadSpec {
  const mode = payloadMode(payloadHash);
  const md5 = headers.get('content-md5');
  const md5B64 = md5 === null ? undefined : md5.trim();
  if (md5B64 !== undefined && !isBase64Of(md5B64, 16)) throw new S3Error('InvalidDigest');
  const fromHeader = headerChecksum(headers);
  const fromTrailer = trailerChecksum(headers, mode);
  if (fromHeader !== undefined && fromTrailer !== undefined) {
    throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  }
  const sdkAlgorithm = headers.get('x-amz-sdk-checksum-algorithm');
  if (sdkAlgorithm !== null && parseChecksumAlgorithm(sdkAlgorithm.trim()) === undefined) {
    throw new S3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
  }
  const hinted = computeAlgorithm ?? (sdkAlgorithm === null ? undefined : parseChecksumAlgorithm(sdkAlgorithm.trim()));
  const given = fromHeader ?? fromTrailer;
  if (given !== undefined && sdkAlgorithm !== null && parseChecksumAlgorithm(sdkAlgorithm.trim()) !== given.algorithm) {
    throw new S3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
  }
  const checksum = given ?? (hinted === undefined ? undefined : { algorithm: hinted, source: 'compute' as const });
  const lengthBytes = mode.kind === 'chunked'
    ? parseLength(headers.get('x-amz-decoded-content-length'), 'x-amz-decoded-content-length')
    : parseLength(headers.get('content-length'), 'Content-Length');
  return { mode, md5B64, checksum, lengthBytes };
}
