import { describe, expect, test } from 'bun:test';
import { cryptoRandom } from '../util/random.ts';
import { newObjectKey, sealObjectKey, sealedObjectKeyBytes, unsealObjectKey } from './keys.ts';

describe('object key sealing', () => {
  test('unsealing needs the same KEK, domain, bucket and key', async () => {
    const objectKey = newObjectKey(cryptoRandom);
    const kek = newObjectKey(cryptoRandom);
    const s = await sealObjectKey(objectKey, kek, 'SSE-KMS', 'b', 'k/x', cryptoRandom);
    expect(s.sealed.length).toBe(sealedObjectKeyBytes);
    expect(Buffer.compare((await unsealObjectKey(s, kek, 'SSE-KMS', 'b', 'k/x'))!, objectKey)).toBe(0);
    const otherKek = kek.slice();
    otherKek[31]! ^= 1;
    expect(await unsealObjectKey(s, otherKek, 'SSE-KMS', 'b', 'k/x')).toBeNull();
    expect(await unsealObjectKey(s, kek, 'SSE-S3', 'b', 'k/x')).toBeNull();
    expect(await unsealObjectKey(s, kek, 'SSE-KMS', 'b', 'k//x')).toBeNull();
    expect(await unsealObjectKey(s, kek, 'SSE-KMS', 'b2', 'k/x')).toBeNull();
    const flipped = { iv: s.iv, sealed: s.sealed.slice() };
    flipped.sealed[40]! ^= 1;
    expect(await unsealObjectKey(flipped, kek, 'SSE-KMS', 'b', 'k/x')).toBeNull();
    const otherIv = { iv: s.iv.slice().fill(1), sealed: s.sealed };
    expect(await unsealObjectKey(otherIv, kek, 'SSE-KMS', 'b', 'k/x')).toBeNull();
    expect(await unsealObjectKey({ iv: s.iv, sealed: s.sealed.subarray(0, 63) }, kek, 'SSE-KMS', 'b', 'k/x')).toBeNull();
  });
});
