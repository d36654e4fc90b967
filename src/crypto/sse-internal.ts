// The encryption fields kept in an object's private `internal` metadata map.
// Only sealed material is stored: never an object key, data key or customer key.
import { SseError } from './errors.ts';
import { sealAlgorithm, sealedObjectKeyBytes, type SealedObjectKey } from './keys.ts';

export const SseFields = Object.freeze({
  /** 'sse-s3' | 'sse-kms' | 'sse-c'; absent for plain objects. */
  mode: 'sse-mode',
  /** Sealing scheme of the object key: 'DAREv2-HMAC-SHA256'. */
  sealAlgorithm: 'sse-seal-algorithm',
  /** base64, 32 random bytes mixed into the sealing key. */
  iv: 'sse-iv',
  /** base64, the object key sealed as one DARE package (64 bytes). */
  sealedKey: 'sse-sealed-key',
  /** KMS key id exactly as the client sent it (or the default key id). */
  kmsKeyId: 'sse-kms-key-id',
  /** base64, the KMS ciphertext of the data key that sealed the object key. */
  kmsDataKey: 'sse-kms-data-key',
  /** Key version that sealed the data key, when the backend reports one. */
  kmsKeyVersion: 'sse-kms-key-version',
  /** base64 of canonical JSON: the full KMS encryption context used, including the object entry. */
  kmsContext: 'sse-kms-context',
  /** base64 of canonical JSON: the entries the client sent (echoed on PUT). */
  kmsClientContext: 'sse-kms-client-context',
  /** 'true' when the client asked for an S3 Bucket Key (accepted and echoed). */
  bucketKeyEnabled: 'sse-bucket-key-enabled',
  /** base64, SSE-S3 only, format v1 (read only): the plaintext ETag sealed under the object key. */
  sealedEtag: 'sse-sealed-etag',
  /** base64, SSE-S3 only, format v2: the plaintext ETag sealed under the metadata key (etag-seal.ts). */
  sealedEtagV2: 'sse-sealed-etag-v2',
});

export type StoredMode = 'sse-s3' | 'sse-kms' | 'sse-c';

const corrupt = (what: string): SseError => new SseError('InternalError', `object encryption metadata is invalid: ${what}`);

export function storedModeOf(internal: Readonly<Record<string, string>>): StoredMode | null {
  const mode = internal[SseFields.mode];
  if (mode === undefined) return null;
  if (mode === 'sse-s3' || mode === 'sse-kms' || mode === 'sse-c') return mode;
  throw corrupt('unknown mode');
}

export function readSealedKey(internal: Readonly<Record<string, string>>): SealedObjectKey {
  if (internal[SseFields.sealAlgorithm] !== sealAlgorithm) throw corrupt('seal algorithm');
  const iv = internal[SseFields.iv];
  const sealed = internal[SseFields.sealedKey];
  if (iv === undefined || sealed === undefined) throw corrupt('missing sealed key');
  const out = { iv: new Uint8Array(Buffer.from(iv, 'base64')), sealed: new Uint8Array(Buffer.from(sealed, 'base64')) };
  if (out.iv.length !== 32 || out.sealed.length !== sealedObjectKeyBytes) throw corrupt('sealed key size');
  return out;
}

export function writeSealedKey(internal: Record<string, string>, mode: StoredMode, s: SealedObjectKey): void {
  internal[SseFields.mode] = mode;
  internal[SseFields.sealAlgorithm] = sealAlgorithm;
  internal[SseFields.iv] = Buffer.from(s.iv).toString('base64');
  internal[SseFields.sealedKey] = Buffer.from(s.sealed).toString('base64');
}

/** Canonical JSON: keys sorted, so the same context always encodes the same way. */
export function canonicalJson(context: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(context).sort()) sorted[k] = context[k]!;
  return JSON.stringify(sorted);
}

export function encodeContext(context: Readonly<Record<string, string>>): string {
  return Buffer.from(canonicalJson(context)).toString('base64');
}

export function decodeContext(b64: string | undefined): Record<string, string> {
  if (b64 === undefined) throw corrupt('missing KMS context');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    throw corrupt('KMS context');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw corrupt('KMS context');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw corrupt('KMS context');
    out[k] = v;
  }
  return out;
}
