// The key hierarchy (MinIO-like): a fresh random object key per object, sealed
// by a key-encryption key (a KMS data key, or the SSE-C customer key) through
// an HMAC-derived sealing key bound to the object's path and the SSE domain.
import { createHmac } from 'node:crypto';
import { assert } from '../util/assert.ts';
import type { Random } from '../util/random.ts';
import { openBuffer, sealBuffer } from './dare-buffer.ts';
import { Dare } from './format.ts';
import { wipe } from './wipe.ts';

export const sealAlgorithm = 'DAREv2-HMAC-SHA256';
export type SealDomain = 'SSE-S3' | 'SSE-KMS' | 'SSE-C';

const ivBytes = 32;
/** The sealed form of a 32-byte object key: one package. */
export const sealedObjectKeyBytes = Dare.keyBytes + Dare.overheadBytes;

export interface SealedObjectKey {
  /** Random, public: makes every sealing key unique even under a reused KEK. */
  iv: Uint8Array;
  sealed: Uint8Array;
}

/** A fresh 256-bit object key. The caller wipes it after use. */
export function newObjectKey(random: Random): Uint8Array {
  const key = random.bytes(Dare.keyBytes);
  assert(key.length === Dare.keyBytes, 'object key size');
  return key;
}

/** HMAC-SHA256 into a fresh Uint8Array; the digest Buffer (maybe pooled) is wiped. */
function hmacSha256(key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array {
  const mac = createHmac('sha256', key);
  for (const p of parts) mac.update(p);
  const digest = mac.digest();
  const out = new Uint8Array(digest);
  digest.fill(0);
  return out;
}

/** HMAC-SHA256(kek, iv || domain || algorithm || "bucket/key"); the path is not normalised, so "a//b" and "a/b" differ. */
function sealingKey(kek: Uint8Array, iv: Uint8Array, domain: SealDomain, bucket: string, objectKey: string): Uint8Array {
  assert(kek.length === Dare.keyBytes && iv.length === ivBytes, 'sealing key inputs');
  return hmacSha256(kek, iv, domain, sealAlgorithm, `${bucket}/${objectKey}`);
}

export async function sealObjectKey(
  objectKey: Uint8Array, kek: Uint8Array, domain: SealDomain, bucket: string, key: string, random: Random,
): Promise<SealedObjectKey> {
  assert(objectKey.length === Dare.keyBytes, 'object key size');
  const iv = random.bytes(ivBytes);
  const sk = sealingKey(kek, iv, domain, bucket, key);
  try {
    const sealed = await sealBuffer(sk, objectKey, random);
    assert(sealed.length === sealedObjectKeyBytes, 'sealed object key size');
    return { iv, sealed };
  } finally {
    wipe(sk);
  }
}

/** Returns the object key, or null when `kek`, domain or path do not match the sealing. */
export async function unsealObjectKey(
  s: SealedObjectKey, kek: Uint8Array, domain: SealDomain, bucket: string, key: string,
): Promise<Uint8Array | null> {
  if (s.iv.length !== ivBytes || s.sealed.length !== sealedObjectKeyBytes || kek.length !== Dare.keyBytes) return null;
  const sk = sealingKey(kek, s.iv, domain, bucket, key);
  try {
    const out = await openBuffer(sk, s.sealed);
    return out !== null && out.length === Dare.keyBytes ? out : null;
  } finally {
    wipe(sk);
  }
}

/** Per-part key of a multipart object: HMAC-SHA256(objectKey, u32 LE partNumber), as in MinIO. */
export function derivePartKey(objectKey: Uint8Array, partNumber: number): Uint8Array {
  assert(objectKey.length === Dare.keyBytes, 'object key size');
  assert(Number.isInteger(partNumber) && partNumber >= 1 && partNumber <= 0xffffffff, 'part number range');
  const bin = new Uint8Array(4);
  new DataView(bin.buffer).setUint32(0, partNumber, true);
  return hmacSha256(objectKey, bin);
}

function etagKey(objectKey: Uint8Array): Uint8Array {
  assert(objectKey.length === Dare.keyBytes, 'object key size');
  return hmacSha256(objectKey, 'SSE-etag');
}

/** Seals an ETag string under a key derived from the object key; returns base64. */
export async function sealEtagWith(objectKey: Uint8Array, etag: string, random: Random): Promise<string> {
  assert(etag.length > 0, 'empty etag');
  const k = etagKey(objectKey);
  try {
    return Buffer.from(await sealBuffer(k, new TextEncoder().encode(etag), random)).toString('base64');
  } finally {
    wipe(k);
  }
}

/** Opens a sealed ETag; null when it does not authenticate under this object key. */
export async function openEtagWith(objectKey: Uint8Array, sealedB64: string): Promise<string | null> {
  const k = etagKey(objectKey);
  try {
    const out = await openBuffer(k, new Uint8Array(Buffer.from(sealedB64, 'base64')));
    return out === null ? null : new TextDecoder().decode(out);
  } finally {
    wipe(k);
  }
}
