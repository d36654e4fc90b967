// What the S3 layer calls for server-side encryption: seal a new object's key,
// open a stored object's key, echo headers, part keys, sealed ETags, rewrap.
import type { Kms } from '../kms/types.ts';
import type { Random } from '../util/random.ts';
import { assertNever } from '../util/assert.ts';
import { SseError } from './errors.ts';
import { derivePartKey, newObjectKey, openEtagWith, sealEtagWith, sealObjectKey, unsealObjectKey, type SealDomain } from './keys.ts';
import { callKms, kmsKeyName, objectContext, requireKms } from './sse-kms.ts';
import { SseFields, decodeContext, encodeContext, readSealedKey, storedModeOf, writeSealedKey, type StoredMode } from './sse-internal.ts';
import { SseHeaders } from './sse-headers.ts';
import type { ObjectRef, SseCKey, SseMode } from './sse-types.ts';
import { wipe } from './wipe.ts';

export interface SseDeps {
  kms: Kms | null;
  /** KMS key for SSE-S3, and for SSE-KMS requests that name no key. */
  defaultKeyId: string | null;
  random: Random;
}

export interface SealedNewObject {
  /** 32 bytes; null for kind 'none'. The caller wipes it when the write is done. */
  objectKey: Uint8Array | null;
  /** Fields to store in the object's internal metadata (sealed material only). */
  internal: Record<string, string>;
}

const notApplicable = (): SseError => new SseError('InvalidRequest', 'The encryption parameters are not applicable to this object.');

async function sealWithKms(domain: 'sse-s3' | 'sse-kms', sentKeyId: string, client: Record<string, string>, ref: ObjectRef, deps: SseDeps): Promise<SealedNewObject> {
  const kms = requireKms(deps.kms);
  const context = objectContext(ref, client);
  const dataKey = await callKms(() => kms.generateDataKey(kmsKeyName(sentKeyId), context));
  const objectKey = newObjectKey(deps.random);
  try {
    const sealed = await sealObjectKey(objectKey, dataKey.plaintext, domainOf(domain), ref.bucket, ref.key, deps.random);
    const internal: Record<string, string> = {};
    writeSealedKey(internal, domain, sealed);
    internal[SseFields.kmsKeyId] = sentKeyId;
    internal[SseFields.kmsDataKey] = Buffer.from(dataKey.ciphertext).toString('base64');
    internal[SseFields.kmsContext] = encodeContext(context);
    if (Object.keys(client).length > 0) internal[SseFields.kmsClientContext] = encodeContext(client);
    if (dataKey.keyVersion !== undefined) internal[SseFields.kmsKeyVersion] = String(dataKey.keyVersion);
    return { objectKey, internal };
  } catch (e) {
    wipe(objectKey);
    throw e;
  } finally {
    wipe(dataKey.plaintext);
  }
}

function domainOf(mode: StoredMode): SealDomain {
  return mode === 'sse-s3' ? 'SSE-S3' : mode === 'sse-kms' ? 'SSE-KMS' : 'SSE-C';
}

function defaultKey(deps: SseDeps): string {
  if (deps.defaultKeyId === null) throw new SseError('NotImplemented', 'Server side encryption specified but no default KMS key is configured');
  return deps.defaultKeyId;
}

/** Generates and seals a fresh object key for `mode`. */
export async function sealNewObject(mode: SseMode, ref: ObjectRef, deps: SseDeps): Promise<SealedNewObject> {
  switch (mode.kind) {
    case 'none':
      return { objectKey: null, internal: {} };
    case 'sse-s3':
      requireKms(deps.kms);
      return sealWithKms('sse-s3', defaultKey(deps), {}, ref, deps);
    case 'sse-kms': {
      requireKms(deps.kms);
      const sealed = await sealWithKms('sse-kms', mode.keyId === '' ? defaultKey(deps) : mode.keyId, mode.context, ref, deps);
      if (mode.bucketKeyEnabled === true) sealed.internal[SseFields.bucketKeyEnabled] = 'true';
      return sealed;
    }
    case 'sse-c': {
      const objectKey = newObjectKey(deps.random);
      const sealed = await sealObjectKey(objectKey, mode.key, 'SSE-C', ref.bucket, ref.key, deps.random);
      const internal: Record<string, string> = {};
      writeSealedKey(internal, 'sse-c', sealed);
      return { objectKey, internal };
    }
    default:
      return assertNever(mode);
  }
}

/**
 * Unseals a stored object's key; null for a plain object. `sseC` is the
 * request's customer key (GET/HEAD trio, or the copy-source trio).
 */
export async function openObject(internal: Readonly<Record<string, string>>, ref: ObjectRef, sseC: SseCKey | null, deps: SseDeps): Promise<Uint8Array | null> {
  const mode = storedModeOf(internal);
  if (mode === null) {
    if (sseC !== null) throw notApplicable();
    return null;
  }
  const sealed = readSealedKey(internal);
  if (mode === 'sse-c') {
    if (sseC === null) throw new SseError('InvalidRequest', 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.');
    const key = await unsealObjectKey(sealed, sseC.key, 'SSE-C', ref.bucket, ref.key);
    if (key === null) throw new SseError('AccessDenied', 'Access Denied');
    return key;
  }
  if (sseC !== null) throw notApplicable();
  const kms = requireKms(deps.kms);
  const { keyName, ciphertext, context } = storedDataKey(internal, ref);
  const kek = await callKms(() => kms.decrypt(keyName, ciphertext, context));
  try {
    const key = await unsealObjectKey(sealed, kek, domainOf(mode), ref.bucket, ref.key);
    if (key === null) throw new SseError('InternalError', 'The object key could not be unsealed.');
    return key;
  } finally {
    wipe(kek);
  }
}

function storedDataKey(internal: Readonly<Record<string, string>>, ref: ObjectRef): { keyName: string; ciphertext: Uint8Array; context: Record<string, string> } {
  const keyId = internal[SseFields.kmsKeyId];
  const dataKey = internal[SseFields.kmsDataKey];
  if (keyId === undefined || dataKey === undefined) throw new SseError('InternalError', 'object encryption metadata is invalid: missing KMS data key');
  const context = decodeContext(internal[SseFields.kmsContext]);
  // The stored context must still name this object: metadata copied onto another key does not open.
  if (context[ref.bucket] !== `${ref.bucket}/${ref.key}`) throw new SseError('InternalError', 'object encryption metadata is invalid: context');
  return { keyName: kmsKeyName(keyId), ciphertext: new Uint8Array(Buffer.from(dataKey, 'base64')), context };
}

export interface DescribeOptions {
  /** The request's SSE-C key: its MD5 is echoed (the key's MD5 is not stored). */
  sseC?: SseCKey | null;
  /** PutObject/CopyObject/CreateMultipartUpload also echo the client's KMS context. */
  includeContext?: boolean;
}

/** Response headers that describe a stored object's encryption. */
export function describe(internal: Readonly<Record<string, string>>, opts: DescribeOptions = {}): Record<string, string> {
  const mode = storedModeOf(internal);
  const out: Record<string, string> = {};
  if (mode === null) return out;
  if (mode === 'sse-c') {
    out[SseHeaders.customerAlgorithm] = 'AES256';
    if (opts.sseC) out[SseHeaders.customerKeyMd5] = opts.sseC.keyMd5;
    return out;
  }
  out[SseHeaders.sse] = mode === 'sse-s3' ? 'AES256' : 'aws:kms';
  if (mode === 'sse-kms') {
    out[SseHeaders.kmsKeyId] = internal[SseFields.kmsKeyId] ?? '';
    if (internal[SseFields.bucketKeyEnabled] === 'true') out[SseHeaders.bucketKeyEnabled] = 'true';
    const client = internal[SseFields.kmsClientContext];
    if (opts.includeContext === true && client !== undefined) out[SseHeaders.context] = client;
  }
  return out;
}

/** The stored mode, for bucket policies, listings and the copy matrix. */
export function storedMode(internal: Readonly<Record<string, string>>): SseMode['kind'] {
  return storedModeOf(internal) ?? 'none';
}

/** Key of part `partNumber` (1-based) of a multipart object; the caller wipes it. */
export function partKey(objectKey: Uint8Array, partNumber: number): Uint8Array {
  return derivePartKey(objectKey, partNumber);
}

/** Seals an SSE-S3 ETag (the plaintext MD5): store the result under SseFields.sealedEtag. */
export function sealEtag(objectKey: Uint8Array, etag: string, random: Random): Promise<string> {
  return sealEtagWith(objectKey, etag, random);
}

/** The sealed ETag of an object, or null when none is stored. */
export async function openEtag(objectKey: Uint8Array, internal: Readonly<Record<string, string>>): Promise<string | null> {
  const sealed = internal[SseFields.sealedEtag];
  if (sealed === undefined) return null;
  const etag = await openEtagWith(objectKey, sealed);
  if (etag === null) throw new SseError('InternalError', 'object encryption metadata is invalid: sealed ETag');
  return etag;
}

/**
 * Re-seals the stored data key under the KMS key's newest version, without
 * touching object data. Returns the new internal map, or null when the object
 * has no KMS-sealed key (plain or SSE-C).
 */
export async function rewrapInternal(internal: Readonly<Record<string, string>>, ref: ObjectRef, kms: Kms): Promise<Record<string, string> | null> {
  const mode = storedModeOf(internal);
  if (mode !== 'sse-s3' && mode !== 'sse-kms') return null;
  const { keyName, ciphertext, context } = storedDataKey(internal, ref);
  const rewrapped = await callKms(() => kms.rewrap(keyName, ciphertext, context));
  const out: Record<string, string> = { ...internal, [SseFields.kmsDataKey]: Buffer.from(rewrapped).toString('base64') };
  // Rewrap does not report the new version; a stale number would mislead.
  delete out[SseFields.kmsKeyVersion];
  return out;
}
