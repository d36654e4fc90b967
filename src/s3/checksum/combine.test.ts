import { describe, expect, test } from 'bun:test';
import { createChecksummer } from './checksum.ts';
import { combineCrcs, type CrcAlgorithm } from './combine.ts';

function digest(algorithm: CrcAlgorithm, data: Uint8Array): Uint8Array {
  const c = createChecksummer(algorithm);
  c.update(data);
  return c.digest();
}

describe('combineCrcs', () => {
  const data = new Uint8Array(300_000);
  crypto.getRandomValues(data.subarray(0, 65536));
  for (let i = 65536; i < data.length; i++) data[i] = (data[i - 65536]! * 31 + i) & 0xff;

  for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
    test(`${algorithm}: the combined CRC of any split equals the CRC of the whole`, () => {
      const whole = Buffer.from(digest(algorithm, data)).toString('hex');
      const splits = [[data.length], [1, data.length - 1], [100_000, 100_000, 100_000], [0, 7, 65_536, 65_536, 168_921], [150_000, 0, 150_000]];
      for (const lengths of splits) {
        let at = 0;
        const runs = lengths.map((n) => {
          const run = { crc: digest(algorithm, data.subarray(at, at + n)), lengthBytes: n };
          at += n;
          return run;
        });
        expect(at).toBe(data.length);
        expect(Buffer.from(combineCrcs(algorithm, runs)).toString('hex')).toBe(whole);
      }
    });

    test(`${algorithm}: a changed run changes the combination`, () => {
      const a = data.subarray(0, 1000);
      const b = data.subarray(1000, 2000);
      const good = combineCrcs(algorithm, [{ crc: digest(algorithm, a), lengthBytes: 1000 }, { crc: digest(algorithm, b), lengthBytes: 1000 }]);
      const swapped = combineCrcs(algorithm, [{ crc: digest(algorithm, b), lengthBytes: 1000 }, { crc: digest(algorithm, a), lengthBytes: 1000 }]);
      expect(Buffer.from(good).toString('hex')).toBe(Buffer.from(digest(algorithm, data.subarray(0, 2000))).toString('hex'));
      expect(Buffer.from(swapped).toString('hex')).not.toBe(Buffer.from(good).toString('hex'));
    });
  }

  test('10,000 runs (the most parts an upload has) combine to the CRC of the whole', () => {
    const runs = Array.from({ length: 10_000 }, (_, i) => ({ crc: digest('CRC64NVME', data.subarray(i * 30, i * 30 + 30)), lengthBytes: 30 }));
    expect(Buffer.from(combineCrcs('CRC64NVME', runs)).toString('hex')).toBe(Buffer.from(digest('CRC64NVME', data)).toString('hex'));
  });
});
