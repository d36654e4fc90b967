import { describe, expect, test } from 'bun:test';
import { decryptRange } from './decrypt-stream.ts';
import { encryptStream } from './encrypt-stream.ts';
import { CryptoError } from './errors.ts';
import { Dare } from './format.ts';
import { derivePartKey } from './keys.ts';
import { encryptedSize, mapMultipartRange, mapRange, partPlainSizes, plainSizeFromEncrypted, plainSizeOfObject, wholeStream, type PackageRange } from './range.ts';
import { chunked, collect, pattern, pipe, type Collected } from './testdata/helpers.ts';

const P = Dare.payloadBytesMax;
const key = new Uint8Array(32).fill(0x17);

/** The plaintext of `range` decrypted from its stored bytes, fed in chunks of `sizes`. */
function readRange(stored: Uint8Array, k: Uint8Array, range: PackageRange, sizes: readonly number[] = [1 << 20], reuseInput = false): Promise<Collected> {
  return collect(decryptRange(chunked(stored, sizes), k, range, { reuseInput }));
}

describe('sizes', () => {
  test('encryptedSize and plainSizeFromEncrypted are inverse', () => {
    for (const n of [0, 1, 2, P - 1, P, P + 1, 5 * P, 5 * P + 3, 5 * 2 ** 40]) {
      expect(plainSizeFromEncrypted(encryptedSize(n))).toBe(n);
    }
    expect(encryptedSize(0)).toBe(0);
    expect(encryptedSize(1)).toBe(33);
    expect(encryptedSize(P)).toBe(P + 32);
    expect(encryptedSize(P + 1)).toBe(P + 65);
  });

  test('multipart objects: plaintext size is the sum over parts', () => {
    const parts = [encryptedSize(5 * P), encryptedSize(7), encryptedSize(P + 1)];
    const total = parts.reduce((a, b) => a + b, 0);
    expect(plainSizeOfObject(total, parts)).toBe(6 * P + 8);
    expect(partPlainSizes(parts)).toEqual([5 * P, 7, P + 1]);
    expect(plainSizeOfObject(encryptedSize(9))).toBe(9);
    expect(() => plainSizeOfObject(total + 1, parts)).toThrow(CryptoError);
  });

  test('impossible stored sizes are rejected', () => {
    for (const bad of [1, 32, Dare.packageBytesMax + 5]) expect(() => plainSizeFromEncrypted(bad)).toThrow(CryptoError);
  });
});

describe('mapRange', () => {
  test('fields for a range across a package boundary', () => {
    expect(mapRange(P - 10, 20, 3 * P + 5)).toEqual({
      storedOffset: 0, storedLength: 2 * Dare.packageBytesMax, firstSequence: 0, packageCount: 2, lastIsFinal: false, skipBytes: P - 10, takeBytes: 20, packagePlainBytes: 2 * P,
    });
    expect(mapRange(3 * P, 5, 3 * P + 5)).toEqual({
      storedOffset: 3 * Dare.packageBytesMax, storedLength: 37, firstSequence: 3, packageCount: 1, lastIsFinal: true, skipBytes: 0, takeBytes: 5, packagePlainBytes: 5,
    });
  });

  test('decrypting only the mapped packages returns exactly the range', async () => {
    const size = 3 * P + 5;
    const plain = pattern(size);
    const stored = (await pipe(plain, encryptStream(key))).bytes;
    const ranges: [number, number][] = [[0, 1], [0, size], [P - 1, 2], [P, P], [2 * P + 3, P + 2], [size - 1, 1], [100, 3 * P - 100], [0, 0]];
    for (const [offset, length] of ranges) {
      const r = mapRange(offset, length, size);
      expect(r.storedOffset + r.storedLength).toBeLessThanOrEqual(stored.length);
      const out = await readRange(stored.subarray(r.storedOffset, r.storedOffset + r.storedLength), key, r, [4000]);
      expect(out.error).toBeUndefined();
      expect(Buffer.compare(out.bytes, plain.subarray(offset, offset + length))).toBe(0);
    }
    const whole = await readRange(stored, key, wholeStream(size));
    expect(Buffer.compare(whole.bytes, plain)).toBe(0);
  });

  test('a range read of a stream that ends early errors', async () => {
    const plain = pattern(2 * P);
    const stored = (await pipe(plain, encryptStream(key))).bytes;
    const r = mapRange(0, 2 * P, 2 * P);
    const out = await readRange(stored.subarray(0, Dare.packageBytesMax), key, r);
    expect(out.error).toBeInstanceOf(CryptoError);
  });

  test('a stored stream whose final package disagrees with the recorded size is refused', async () => {
    const stored = (await pipe(pattern(P + 10), encryptStream(key))).bytes;
    const shorter = await readRange(stored, key, wholeStream(P + 5));
    expect(shorter.error).toBeInstanceOf(CryptoError);
    const longer = await readRange(stored, key, wholeStream(P + 20));
    expect(longer.error).toBeInstanceOf(CryptoError);
  });
});

describe('mapMultipartRange', () => {
  test('a range over parts, each its own stream under its part key', async () => {
    const sizes = [P + 7, 5, 2 * P];
    const objectKey = new Uint8Array(32).fill(0x33);
    const plains = sizes.map((n, i) => pattern(n).map((b) => b ^ i));
    const stored: Uint8Array[] = [];
    for (const [i, p] of plains.entries()) stored.push((await pipe(p, encryptStream(derivePartKey(objectKey, i + 1)))).bytes);
    const all = new Uint8Array(Buffer.concat(stored));
    const plainAll = new Uint8Array(Buffer.concat(plains));
    for (const [offset, length] of [[0, plainAll.length], [P, 20], [P + 7, 5], [P + 6, P], [3, 1]] as const) {
      const segments = mapMultipartRange(offset, length, sizes);
      const parts: Uint8Array[] = [];
      for (const s of segments) {
        const from = s.partStoredOffset + s.storedOffset;
        const out = await readRange(all.subarray(from, from + s.storedLength), derivePartKey(objectKey, s.partIndex + 1), s);
        expect(out.error).toBeUndefined();
        parts.push(out.bytes);
      }
      expect(Buffer.compare(Buffer.concat(parts), plainAll.subarray(offset, offset + length))).toBe(0);
    }
  });
});

describe('decryptRange (one pulling stream)', () => {
  const size = 3 * P + 5;
  const plain = pattern(size);
  const sealed = pipe(plain, encryptStream(key)).then((c) => c.bytes);

  test('gives exactly the range, for any range, input chunking and in-place mode', async () => {
    const stored = await sealed;
    const ranges: [number, number][] = [[0, 1], [0, size], [P - 1, 2], [P, P], [2 * P + 3, P + 2], [size - 1, 1], [100, 3 * P - 100]];
    for (const [offset, length] of ranges) {
      const r = mapRange(offset, length, size);
      const part = stored.subarray(r.storedOffset, r.storedOffset + r.storedLength);
      for (const sizes of [[4000], [1 << 20], [1, 16, 65535, 33]]) {
        for (const reuseInput of [false, true]) {
          const out = await readRange(part.slice(), key, r, sizes, reuseInput);
          expect(out.error).toBeUndefined();
          expect(Buffer.compare(out.bytes, plain.subarray(offset, offset + length))).toBe(0);
        }
      }
    }
  });

  test('a tampered, cut or overlong stored stream errors it, and the source is cancelled', async () => {
    const stored = await sealed;
    const tampered = stored.slice();
    tampered[Dare.packageBytesMax + 100]! ^= 1;
    const cases: [Uint8Array, number][] = [[tampered, size], [stored.subarray(0, stored.length - 1), size], [stored, size - 3]];
    for (const [bytes, plainSize] of cases) {
      let cancelled = false;
      const source = chunked(bytes.slice(), [70000]);
      const reader = source.getReader();
      const watched = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          const next = await reader.read();
          if (next.done) ctrl.close();
          else ctrl.enqueue(next.value);
        },
        cancel(reason) {
          cancelled = true;
          return reader.cancel(reason);
        },
      });
      const out = await collect(decryptRange(watched, key, wholeStream(plainSize)));
      expect(out.error).toBeInstanceOf(CryptoError);
      // A fault found at the end of input leaves nothing to cancel; one found mid-stream cancels it.
      if (bytes === tampered) expect(cancelled).toBe(true);
    }
  });

  test('cancelling it cancels the stored stream', async () => {
    const stored = await sealed;
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      start(ctrl) { ctrl.enqueue(stored.slice(0, Dare.packageBytesMax)); },
      cancel(reason) { cancelled = reason; },
    });
    const reader = decryptRange(source, key, wholeStream(size)).getReader();
    const first = await reader.read();
    expect(first.value?.length).toBe(P);
    await reader.cancel('client went away');
    expect(cancelled).toBe('client went away');
  });
});
