import { describe, expect, test } from 'bun:test';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { seededRandom } from '../../util/random.ts';
import { checksumBase64, checksumDigestBytes, checksumHeaderName, createChecksummer, parseChecksumAlgorithm } from './index.ts';
import type { ChecksumAlgorithm } from './index.ts';

const enc = new TextEncoder();
const hex = (b64: string): string => Buffer.from(b64, 'base64').toString('hex');

describe('known answers', () => {
  const check = enc.encode('123456789');
  test.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
    ['SHA256', '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'],
  ] as const)('%s of "123456789"', (algorithm, expectedHex) => {
    expect(hex(checksumBase64(algorithm, check))).toBe(expectedHex);
  });

  test('empty input', () => {
    expect(checksumBase64('CRC32', new Uint8Array(0))).toBe('AAAAAA==');
    expect(checksumBase64('CRC32C', new Uint8Array(0))).toBe('AAAAAA==');
    expect(checksumBase64('CRC64NVME', new Uint8Array(0))).toBe('AAAAAAAAAAA=');
  });

  test('CRC32 of "Hello, world!"', () => {
    expect(hex(checksumBase64('CRC32', enc.encode('Hello, world!')))).toBe('ebe6c6e6');
  });
});

async function oracle(algorithm: 'CRC32C' | 'CRC64NVME', data: Uint8Array): Promise<string> {
  const h = algorithm === 'CRC32C' ? new Crc32cJs() : new Crc64NvmeJs();
  h.update(data);
  return Buffer.from(await h.digest()).toString('base64');
}

describe('incremental update matches one-shot and the SDK implementation', () => {
  const data = seededRandom(7).bytes(100_003);
  for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const satisfies readonly ChecksumAlgorithm[]) {
    test(algorithm, async () => {
      const whole = checksumBase64(algorithm, data);
      const c = createChecksummer(algorithm);
      // Odd split points exercise the byte-wise head/tail of the slicing loops.
      let pos = 0;
      for (const step of [1, 7, 8, 9, 4096, 13, 65536]) {
        c.update(data.subarray(pos, pos + step));
        pos += step;
      }
      c.update(data.subarray(pos));
      expect(Buffer.from(c.digest()).toString('base64')).toBe(whole);
      expect(Buffer.from(whole, 'base64').length).toBe(checksumDigestBytes(algorithm));
      if (algorithm === 'CRC32C' || algorithm === 'CRC64NVME') {
        expect(whole).toBe(await oracle(algorithm, data));
        for (const len of [0, 1, 5, 8, 15, 16, 17]) {
          expect(checksumBase64(algorithm, data.subarray(0, len))).toBe(await oracle(algorithm, data.subarray(0, len)));
        }
      }
    });
  }
});

test('names', () => {
  expect(parseChecksumAlgorithm('crc64nvme')).toBe('CRC64NVME');
  expect(parseChecksumAlgorithm('Crc32C')).toBe('CRC32C');
  expect(parseChecksumAlgorithm('md5')).toBeUndefined();
  expect(checksumHeaderName('SHA256')).toBe('x-amz-checksum-sha256');
});
