// The SSE-S3 ETag as clients see it (the plaintext MD5), from its sealed stored forms:
// v2 under the server-wide metadata key (opens locally), v1 under the object key
// (objects written before v2; needs the object key, so a KMS call).
import { SseError } from './errors.ts';
import { openEtagV2, sealEtagV2, type EtagBinding } from './etag-seal.ts';
import { SseFields } from './sse-internal.ts';
import type { ObjectRef } from './sse-types.ts';
import type { Random } from '../util/random.ts';

function binding(internal: Readonly<Record<string, string>>, ref: ObjectRef): EtagBinding {
  const iv = internal[SseFields.iv];
  const objectIv = iv === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(iv, 'base64'));
  if (objectIv.length !== 32) throw new SseError('InternalError', 'object encryption metadata is invalid: iv');
  return { bucket: ref.bucket, key: ref.key, objectIv };
}

/** Seals an SSE-S3 ETag for the object whose sealed-key fields are in `internal`; store it under SseFields.sealedEtagV2. */
export function sealEtagLocal(metadataKey: Uint8Array, etag: string, internal: Readonly<Record<string, string>>, ref: ObjectRef, random: Random): string {
  return sealEtagV2(metadataKey, etag, binding(internal, ref), random);
}

/** Which sealed ETag an object carries. */
export function sealedEtagKind(internal: Readonly<Record<string, string>>): 'v2' | 'v1' | 'none' {
  if (internal[SseFields.sealedEtagV2] !== undefined) return 'v2';
  if (internal[SseFields.sealedEtag] !== undefined) return 'v1';
  return 'none';
}

/** Opens a v2 sealed ETag; null when the object has none or it does not authenticate. */
export function openEtagLocal(metadataKey: Uint8Array, internal: Readonly<Record<string, string>>, ref: ObjectRef): string | null {
  const sealed = internal[SseFields.sealedEtagV2];
  if (sealed === undefined) return null;
  let bind: EtagBinding;
  try {
    bind = binding(internal, ref);
  } catch {
    return null;
  }
  return openEtagV2(metadataKey, sealed, bind);
}
