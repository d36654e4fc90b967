// HMAC/SHA-256 primitives, signing-key derivation with a bounded cache, and the
// constant-time signature compare every SigV4 check goes through.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { assert } from '../../util/assert.ts';

export const algorithmName = 'AWS4-HMAC-SHA256';
export const emptySha256Hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function hmacHex(key: Uint8Array, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

export function sha256Hex(data: string | Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(data).digest('hex');
}

export function deriveSigningKey(secretKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/**
 * Derived signing keys per (secret, date, region, service). Bounded LRU: a key
 * changes once a day per user, so a few dozen entries serve a node.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, Buffer>();
  constructor(private readonly entriesMax = 64) {
    assert(entriesMax > 0, 'cache size must be positive');
  }

  get(secretKey: string, date: string, region: string, service: string): Buffer {
    const id = `${date}\n${region}\n${service}\n${secretKey}`;
    const hit = this.entries.get(id);
    if (hit !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit;
    }
    const key = deriveSigningKey(secretKey, date, region, service);
    this.entries.set(id, key);
    if (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return key;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Constant-time equality of two signature strings (length is not secret). */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(provided, 'latin1');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
