// WebCrypto AES-256-GCM engine: portable; each call is async, so a batch of
// packages can be in flight at once.
import { assert } from '../util/assert.ts';
import { Dare } from './format.ts';
import type { AeadKey, PackageCipher } from './engine.ts';

function webKey(key: CryptoKey): AeadKey {
  const params = (iv: Uint8Array, aad: Uint8Array) => ({
    name: 'AES-GCM' as const,
    iv: iv as Uint8Array<ArrayBuffer>,
    additionalData: aad as Uint8Array<ArrayBuffer>,
    tagLength: Dare.tagBytes * 8,
  });
  return {
    async seal(iv, aad, plaintext) {
      return [new Uint8Array(await crypto.subtle.encrypt(params(iv, aad), key, plaintext as Uint8Array<ArrayBuffer>))];
    },
    async open(iv, aad, sealed) {
      try {
        const out = await crypto.subtle.decrypt(params(iv, aad), key, sealed as Uint8Array<ArrayBuffer>);
        return new Uint8Array(out);
      } catch {
        return null;
      }
    },
  };
}

export const webCryptoEngine: PackageCipher = {
  name: 'webcrypto',
  batchPackages: 8, // measured on 2 cores: 1 -> ~0.7-0.8 GB/s, 4..8 -> ~1.0-1.1 GB/s (scripts/bench/crypto.ts)
  async importKey(raw) {
    assert(raw.length === Dare.keyBytes, 'gcm: key must be 32 bytes');
    const key = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return webKey(key);
  },
};
