// S3 SSE request headers -> SseMode, with the S3 error codes AWS and MinIO use.
import { createHash } from 'node:crypto';
import { SseError } from './errors.ts';
import type { SseCKey, SseMode } from './sse-types.ts';

export const SseHeaders = Object.freeze({
  sse: 'x-amz-server-side-encryption',
  kmsKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
  context: 'x-amz-server-side-encryption-context',
  bucketKeyEnabled: 'x-amz-server-side-encryption-bucket-key-enabled',
  customerAlgorithm: 'x-amz-server-side-encryption-customer-algorithm',
  customerKey: 'x-amz-server-side-encryption-customer-key',
  customerKeyMd5: 'x-amz-server-side-encryption-customer-key-md5',
  copyCustomerAlgorithm: 'x-amz-copy-source-server-side-encryption-customer-algorithm',
  copyCustomerKey: 'x-amz-copy-source-server-side-encryption-customer-key',
  copyCustomerKeyMd5: 'x-amz-copy-source-server-side-encryption-customer-key-md5',
});

/** A Fetch Headers object, or a plain map with lower-case names. */
export type HeaderSource = Headers | Readonly<Record<string, string | undefined>>;

const keyIdBytesMax = 2048;
const contextBytesMax = 8192;
const contextEntriesMax = 64;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function read(h: HeaderSource, name: string): string | undefined {
  if (h instanceof Headers) return h.get(name) ?? undefined;
  return h[name];
}

const invalid = (message: string): SseError => new SseError('InvalidArgument', message);

/** Strict base64; the intermediate Buffer (maybe pooled) is wiped, as it may hold a customer key. */
function decodeBase64(value: string): Uint8Array | null {
  if (!base64Pattern.test(value)) return null;
  const decoded = Buffer.from(value, 'base64');
  const out = new Uint8Array(decoded);
  decoded.fill(0);
  return out;
}

/** Parses one SSE-C trio; null when none of its three headers is present. */
function parseCustomerTrio(h: HeaderSource, names: readonly [string, string, string]): SseCKey | null {
  const [algorithm, keyB64, md5B64] = names.map((n) => read(h, n));
  if (algorithm === undefined && keyB64 === undefined && md5B64 === undefined) return null;
  if (algorithm !== 'AES256') throw invalid('Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.');
  if (keyB64 === undefined || keyB64 === '') throw invalid('Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.');
  if (md5B64 === undefined || md5B64 === '') throw invalid('Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.');
  const key = decodeBase64(keyB64);
  if (key === null || key.length !== 32) {
    key?.fill(0);
    throw invalid('The secret key was invalid for the specified algorithm.');
  }
  const md5 = decodeBase64(md5B64);
  const actual = createHash('md5').update(key).digest();
  if (md5 === null || md5.length !== 16 || !actual.equals(md5)) {
    key.fill(0);
    throw invalid('The calculated MD5 hash of the key did not match the hash that was provided.');
  }
  return { key, keyMd5: md5B64 };
}

function parseContext(value: string | undefined): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (value.length > contextBytesMax) throw invalid('The encryption context is too large.');
  const bytes = decodeBase64(value);
  let parsed: unknown;
  try {
    parsed = bytes === null ? null : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    parsed = null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('The encryption context must be base64-encoded JSON object.');
  const entries = Object.entries(parsed);
  if (entries.length > contextEntriesMax) throw invalid('The encryption context has too many entries.');
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw invalid('Encryption context values must be strings.');
    out[k] = v;
  }
  return out;
}

function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw invalid('x-amz-server-side-encryption-bucket-key-enabled must be true or false.');
  return lower === 'true';
}

function parseKeyId(value: string | undefined): string {
  if (value === undefined) return '';
  if (value.trim() !== value || value.length > keyIdBytesMax) throw invalid('The specified KMS key id is invalid.');
  return value;
}

/**
 * PutObject, CopyObject (destination) and CreateMultipartUpload. Returns null
 * when the request names no encryption, so the bucket default applies.
 */
export function parsePutSse(h: HeaderSource): SseMode | null {
  const sse = read(h, SseHeaders.sse);
  const keyIdHeader = read(h, SseHeaders.kmsKeyId);
  const contextHeader = read(h, SseHeaders.context);
  const customer = parseCustomerTrio(h, [SseHeaders.customerAlgorithm, SseHeaders.customerKey, SseHeaders.customerKeyMd5]);
  const kmsOnly = keyIdHeader !== undefined || contextHeader !== undefined;
  if (customer !== null) {
    if (sse !== undefined || kmsOnly) {
      customer.key.fill(0);
      throw invalid('Server Side Encryption with Customer provided key is incompatible with the encryption method specified');
    }
    return { kind: 'sse-c', ...customer };
  }
  if (sse === undefined) {
    if (kmsOnly) throw invalid('Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms');
    return null;
  }
  if (sse === 'AES256') {
    if (kmsOnly) throw invalid('Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms');
    return { kind: 'sse-s3' };
  }
  if (sse === 'aws:kms') {
    const bucketKeyEnabled = parseBool(read(h, SseHeaders.bucketKeyEnabled));
    const mode: SseMode = { kind: 'sse-kms', keyId: parseKeyId(keyIdHeader), context: parseContext(contextHeader) };
    return bucketKeyEnabled === undefined ? mode : { ...mode, bucketKeyEnabled };
  }
  throw invalid('The encryption method specified is not supported');
}

/**
 * GetObject, HeadObject, UploadPart: only the SSE-C trio is allowed. SSE-S3 and
 * SSE-KMS headers are rejected (400), as by AWS.
 */
export function parseReadSse(h: HeaderSource): SseCKey | null {
  if (read(h, SseHeaders.sse) !== undefined || read(h, SseHeaders.kmsKeyId) !== undefined || read(h, SseHeaders.context) !== undefined) {
    throw invalid('x-amz-server-side-encryption headers are not allowed on this request');
  }
  return parseCustomerTrio(h, [SseHeaders.customerAlgorithm, SseHeaders.customerKey, SseHeaders.customerKeyMd5]);
}

/** CopyObject and UploadPartCopy: the key of an SSE-C source object. */
export function parseCopySourceSse(h: HeaderSource): SseCKey | null {
  return parseCustomerTrio(h, [SseHeaders.copyCustomerAlgorithm, SseHeaders.copyCustomerKey, SseHeaders.copyCustomerKeyMd5]);
}
