// SSE-S3 ETags sealed under the server-wide metadata key (format v2), so they open
// locally and synchronously: no KMS call per listed or HEADed object.
//   sealed = 0x02 | nonce(12) | AES-256-GCM(etag) | tag(16), base64 in SseFields.sealedEtagV2
//   AAD    = "cairn-sse-etag" | 0x02 | u32be len | bucket | u32be len | key | sse-iv (32 bytes)
// The AAD binds the value to this object: the path, and the object's random sealing iv,
// so a sealed ETag moved to another object or to a later object at the same key fails.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { assert } from '../util/assert.ts';
import type { Random } from '../util/random.ts';

export const etagSealVersion = 0x02;
const nonceBytes = 12;
const tagBytes = 16;
const label = new TextEncoder().encode('cairn-sse-etag');

function aad(bucket: string, key: string, objectIv: Uint8Array): Uint8Array {
  const b = Buffer.from(bucket, 'utf8');
  const k = Buffer.from(key, 'utf8');
  const out = Buffer.alloc(label.length + 1 + 4 + b.length + 4 + k.length + objectIv.length);
  let at = 0;
  out.set(label, at);
  at += label.length;
  out[at++] = etagSealVersion;
  out.writeUInt32BE(b.length, at);
  at += 4;
  out.set(b, at);
  at += b.length;
  out.writeUInt32BE(k.length, at);
  at += 4;
  out.set(k, at);
  at += k.length;
  out.set(objectIv, at);
  return out;
}

export interface EtagBinding {
  bucket: string;
  key: string;
  /** The object's sse-iv bytes: random per stored object. */
  objectIv: Uint8Array;
}

export function sealEtagV2(metadataKey: Uint8Array, etag: string, bind: EtagBinding, random: Random): string {
  assert(metadataKey.length === 32 && etag.length > 0 && bind.objectIv.length === 32, 'etag seal inputs');
  const nonce = random.bytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', metadataKey, nonce);
  cipher.setAAD(aad(bind.bucket, bind.key, bind.objectIv));
  const ct = Buffer.concat([cipher.update(etag, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(etagSealVersion), nonce, ct, cipher.getAuthTag()]).toString('base64');
}

/** The ETag, or null when the value does not authenticate for this object under this key. */
export function openEtagV2(metadataKey: Uint8Array, sealedB64: string, bind: EtagBinding): string | null {
  const raw = Buffer.from(sealedB64, 'base64');
  if (metadataKey.length !== 32 || raw.length < 1 + nonceBytes + 1 + tagBytes || raw[0] !== etagSealVersion || bind.objectIv.length !== 32) return null;
  const nonce = raw.subarray(1, 1 + nonceBytes);
  const tag = raw.subarray(raw.length - tagBytes);
  const ct = raw.subarray(1 + nonceBytes, raw.length - tagBytes);
  try {
    const d = createDecipheriv('aes-256-gcm', metadataKey, nonce);
    d.setAAD(aad(bind.bucket, bind.key, bind.objectIv));
    d.setAuthTag(tag);
    const plain = Buffer.concat([d.update(ct), d.final()]);
    return plain.toString('utf8');
  } catch {
    return null;
  }
}
