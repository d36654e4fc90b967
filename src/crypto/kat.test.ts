// Known-answer tests against the frozen vectors in testdata/dare-vectors.json,
// which an independent implementation (pyca/cryptography) produced.
import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import vectors from './testdata/dare-vectors.json';
import { decryptStream } from './decrypt-stream.ts';
import { encryptStream } from './encrypt-stream.ts';
import { engines } from './engine.ts';
import { derivePartKey, openEtagWith, sealEtagWith, sealObjectKey, unsealObjectKey, type SealDomain } from './keys.ts';
import { hex, pattern, pipe, scriptedRandom, unhex } from './testdata/helpers.ts';

describe('DARE 2.0 stream vectors', () => {
  for (const engine of Object.values(engines)) {
    for (const v of vectors.streams) {
      test(`${engine.name}: ${v.name}`, async () => {
        const plain = pattern(v.plainBytes);
        const out = await pipe(plain, encryptStream(unhex(v.keyHex), { engine, nonce: unhex(v.nonceHex) }), [7000, 65536, 3]);
        expect(out.error).toBeUndefined();
        expect(out.bytes.length).toBe(v.sealedBytes);
        expect(createHash('sha256').update(out.bytes).digest('hex')).toBe(v.sealedSha256);
        let offset = 0;
        for (const p of v.packages) {
          const size = (out.bytes[offset + 2]! | (out.bytes[offset + 3]! << 8)) + 1 + 32;
          expect(hex(out.bytes.subarray(offset, offset + 16))).toBe(p.headerHex);
          expect(hex(out.bytes.subarray(offset + size - 16, offset + size))).toBe(p.tagHex);
          offset += size;
        }
        if ('sealedHex' in v) expect(hex(out.bytes)).toBe(v.sealedHex!);
        const back = await pipe(out.bytes, decryptStream(unhex(v.keyHex), { engine, packageCount: v.packages.length }));
        expect(back.error).toBeUndefined();
        expect(Buffer.compare(back.bytes, plain)).toBe(0);
      });
    }
  }
});

describe('key vectors', () => {
  test('object key sealing', async () => {
    for (const v of vectors.objectKeySeals) {
      const random = scriptedRandom(unhex(v.ivHex), unhex(v.nonceHex));
      const s = await sealObjectKey(unhex(v.objectKeyHex), unhex(v.kekHex), v.domain as SealDomain, v.bucket, v.key, random);
      expect(hex(s.iv)).toBe(v.ivHex);
      expect(hex(s.sealed)).toBe(v.sealedHex);
      const opened = await unsealObjectKey({ iv: unhex(v.ivHex), sealed: unhex(v.sealedHex) }, unhex(v.kekHex), v.domain as SealDomain, v.bucket, v.key);
      expect(opened === null ? null : hex(opened)).toBe(v.objectKeyHex);
    }
  });

  test('part keys', () => {
    for (const v of vectors.partKeys) expect(hex(derivePartKey(unhex(v.objectKeyHex), v.partNumber))).toBe(v.partKeyHex);
  });

  test('sealed ETag', async () => {
    for (const v of vectors.etags) {
      expect(await sealEtagWith(unhex(v.objectKeyHex), v.etag, scriptedRandom(unhex(v.nonceHex)))).toBe(v.sealedB64);
      expect(await openEtagWith(unhex(v.objectKeyHex), v.sealedB64)).toBe(v.etag);
    }
  });
});
