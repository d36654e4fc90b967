// The AES-256-GCM primitive behind the package streams. Two engines implement
// it (node:crypto and WebCrypto) and must produce byte-identical packages.
import { nodeEngine } from './engine-node.ts';
import { webCryptoEngine } from './engine-webcrypto.ts';

export type EngineName = 'node' | 'webcrypto';

/** One imported 256-bit key. Results may be sync (node) or async (WebCrypto). */
export interface AeadKey {
  /**
   * Returns ciphertext || tag as one or more pieces, in order. Each piece owns
   * its whole ArrayBuffer, so pieces can be emitted without a copy (a 64 KiB
   * copy per package cost a third of the throughput in Bun).
   */
  seal(iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): readonly Uint8Array[] | Promise<readonly Uint8Array[]>;
  /** Returns the plaintext (owning its ArrayBuffer), or null when the tag does not verify. Never returns unverified bytes. */
  open(iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null | Promise<Uint8Array | null>;
}

export interface PackageCipher {
  readonly name: EngineName;
  /**
   * Imports a 32-byte key. The engine keeps its own copy (a KeyObject or a
   * non-extractable CryptoKey) that the runtime frees, not zeroes: callers may
   * wipe `raw` right after this resolves.
   */
  importKey(raw: Uint8Array): Promise<AeadKey>;
  /** Packages sealed or opened concurrently per batch; >1 only pays for engines that run off-thread. */
  readonly batchPackages: number;
}

/**
 * The bytes of `b` in a Uint8Array that has its ArrayBuffer to itself: a view
 * when `b` starts its buffer (any small slack after it is zeroed: Bun's cipher
 * output has one spare byte), else a copy. Small Node Buffers may sit in a
 * shared pool beside unrelated data, which a consumer reading `.buffer` must never see.
 */
export function owned(b: Uint8Array): Uint8Array {
  const slackBytes = b.buffer.byteLength - b.length;
  if (b.byteOffset === 0 && slackBytes >= 0 && slackBytes <= ownedSlackBytesMax && b.buffer instanceof ArrayBuffer) {
    if (slackBytes > 0) new Uint8Array(b.buffer, b.length).fill(0);
    return new Uint8Array(b.buffer, 0, b.length);
  }
  return new Uint8Array(b);
}
const ownedSlackBytesMax = 64;

export const engines: Readonly<Record<EngineName, PackageCipher>> = Object.freeze({
  node: nodeEngine,
  webcrypto: webCryptoEngine,
});

/** node:crypto: measured fastest in scripts/bench/crypto.ts (BoringSSL, synchronous, AES-NI). */
export const defaultEngine: PackageCipher = nodeEngine;
