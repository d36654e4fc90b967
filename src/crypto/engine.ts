// The AES-256-GCM primitive behind the package streams. Two engines implement
// it (node:crypto and WebCrypto) and must produce byte-identical packages.
import { nodeEngine } from './engine-node.ts';
import { webCryptoEngine } from './engine-webcrypto.ts';

export type EngineName = 'node' | 'webcrypto';

/** One imported 256-bit key. Results may be sync (node) or async (WebCrypto). */
export interface AeadKey {
  /** Writes ciphertext || tag into `out` (exactly plaintext.length + 16 bytes). */
  seal(iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void | Promise<void>;
  /** Returns the plaintext, or null when the tag does not verify. Never returns unverified bytes. */
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

export const engines: Readonly<Record<EngineName, PackageCipher>> = Object.freeze({
  node: nodeEngine,
  webcrypto: webCryptoEngine,
});

/** node:crypto: measured fastest in scripts/bench/crypto.ts (BoringSSL, synchronous, AES-NI). */
export const defaultEngine: PackageCipher = nodeEngine;
