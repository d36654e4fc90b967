// node:crypto AES-256-GCM engine (BoringSSL in Bun). Synchronous: one package at a time.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { assert } from '../util/assert.ts';
import { Dare } from './format.ts';
import { owned, type AeadKey, type PackageCipher } from './engine.ts';

const algorithm = 'aes-256-gcm';

function nodeKey(key: KeyObject): AeadKey {
  return {
    seal(iv, aad, plaintext) {
      const cipher = createCipheriv(algorithm, key, iv, { authTagLength: Dare.tagBytes });
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      const tail = cipher.final();
      assert(tail.length === 0 && body.length === plaintext.length, 'gcm: unexpected output size');
      return [owned(body), owned(cipher.getAuthTag())];
    },
    open(iv, aad, sealed) {
      if (sealed.length < Dare.tagBytes) return null;
      const bodyBytes = sealed.length - Dare.tagBytes;
      const decipher = createDecipheriv(algorithm, key, iv, { authTagLength: Dare.tagBytes });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(bodyBytes));
      const plain = decipher.update(sealed.subarray(0, bodyBytes));
      try {
        decipher.final();
      } catch {
        plain.fill(0); // unauthenticated bytes: drop them
        return null;
      }
      return owned(plain);
    },
  };
}

export const nodeEngine: PackageCipher = {
  name: 'node',
  batchPackages: 1, // synchronous: batching cannot overlap work (measured flat from 1 to 64)
  importKey(raw) {
    assert(raw.length === Dare.keyBytes, 'gcm: key must be 32 bytes');
    const copy = Buffer.from(raw); // may sit in Node's shared pool: wipe it once the KeyObject holds its own copy
    try {
      return Promise.resolve(nodeKey(createSecretKey(copy)));
    } finally {
      copy.fill(0);
    }
  },
};
