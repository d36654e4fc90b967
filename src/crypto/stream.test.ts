import { describe, expect, test } from 'bun:test';
import { seededRandom } from '../util/random.ts';
import { decryptStream } from './decrypt-stream.ts';
import { encryptStream } from './encrypt-stream.ts';
import { engines } from './engine.ts';
import { CryptoError } from './errors.ts';
import { encryptedSize, packageCountOf } from './range.ts';
import { pattern, pipe } from './testdata/helpers.ts';

const key = new Uint8Array(32).map((_, i) => i * 3);
const nonce = new Uint8Array(12).fill(9);
const P = 65536;
const sizes = [0, 1, 15, P - 1, P, P + 1, 2 * P, 3 * P + 777];
const chunkings: number[][] = [[1 << 20], [1], [7, 65536, 13], [P + 32], [P - 1, 2], [100000, 3]];

describe('encryptStream/decryptStream', () => {
  for (const engine of Object.values(engines)) {
    test(`${engine.name}: round-trips every size under every chunking and batch size`, async () => {
      for (const size of sizes) {
        const plain = pattern(size);
        for (const [i, chunks] of chunkings.entries()) {
          if (chunks[0] === 1 && size > 2 * P) continue; // byte-at-a-time is covered on smaller sizes
          const batch = 1 + (i % 4);
          const sealed = await pipe(plain, encryptStream(key, { engine, nonce, batchPackages: batch }), chunks);
          expect(sealed.error).toBeUndefined();
          expect(sealed.bytes.length).toBe(encryptedSize(size));
          // Sealing in place (the server's write path) gives byte-identical packages.
          const inPlaceSealed = await pipe(plain, encryptStream(key, { engine, nonce, batchPackages: batch, reuseInput: true }), chunks);
          expect(inPlaceSealed.error).toBeUndefined();
          expect(Buffer.compare(inPlaceSealed.bytes, sealed.bytes)).toBe(0);
          // Half the runs name the package count, as whole-object reads do; an empty stream needs it.
          const counted = size === 0 || i % 2 === 1 ? { packageCount: packageCountOf(size) } : {};
          const back = await pipe(sealed.bytes, decryptStream(key, { engine, batchPackages: 5 - batch, ...counted }), chunks);
          expect(back.error).toBeUndefined();
          expect(Buffer.compare(back.bytes, plain)).toBe(0);
          // Opening into the input chunks (the server's read path) gives the same bytes.
          const inPlace = await pipe(sealed.bytes, decryptStream(key, { engine, reuseInput: true, ...counted }), chunks);
          expect(inPlace.error).toBeUndefined();
          expect(Buffer.compare(inPlace.bytes, plain)).toBe(0);
        }
      }
    }, 60_000); // four passes over every size and chunking: seconds on a loaded 2-core machine
  }

  test('both engines produce byte-identical packages, and each decrypts the other', async () => {
    const plain = pattern(3 * P + 12345);
    const a = await pipe(plain, encryptStream(key, { engine: engines.node, nonce }), [50000]);
    const b = await pipe(plain, encryptStream(key, { engine: engines.webcrypto, nonce, batchPackages: 3 }), [P]);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    const viaWeb = await pipe(a.bytes, decryptStream(key, { engine: engines.webcrypto }));
    const viaNode = await pipe(b.bytes, decryptStream(key, { engine: engines.node }));
    expect(Buffer.compare(viaWeb.bytes, plain)).toBe(0);
    expect(Buffer.compare(viaNode.bytes, plain)).toBe(0);
  });

  test('a random nonce per stream: same key and plaintext give different output', async () => {
    const plain = pattern(100);
    const a = await pipe(plain, encryptStream(key, { random: seededRandom(1) }));
    const b = await pipe(plain, encryptStream(key, { random: seededRandom(2) }));
    expect(Buffer.compare(a.bytes, b.bytes)).not.toBe(0);
  });

  test('the caller may wipe its key as soon as the stream is created', async () => {
    const mine = key.slice();
    const enc = encryptStream(mine, { nonce });
    mine.fill(0);
    const sealed = await pipe(pattern(1000), enc);
    const back = await pipe(sealed.bytes, decryptStream(key));
    expect(Buffer.compare(back.bytes, pattern(1000))).toBe(0);
  });

  test('a wrong key fails authentication and emits nothing', async () => {
    const sealed = await pipe(pattern(2 * P), encryptStream(key, { nonce }));
    const other = key.slice();
    other[0]! ^= 1;
    const back = await pipe(sealed.bytes, decryptStream(other));
    expect(back.error).toBeInstanceOf(CryptoError);
    expect((back.error as CryptoError).code).toBe('TagMismatch');
    expect(back.bytes.length).toBe(0);
  });

  test('an empty input is a missing final package unless zero packages are expected', async () => {
    const missing = await pipe(new Uint8Array(0), decryptStream(key));
    expect((missing.error as CryptoError).code).toBe('MissingFinal');
    const ok = await pipe(new Uint8Array(0), decryptStream(key, { packageCount: 0 }));
    expect(ok.error).toBeUndefined();
  });

  test('memory stays flat: a 16 MiB stream passes through in packages, never whole', async () => {
    let maxChunk = 0;
    const total = 16 << 20;
    let produced = 0;
    const src = new ReadableStream<Uint8Array>({
      pull(c) {
        if (produced >= total) return c.close();
        c.enqueue(new Uint8Array(1 << 20).fill(produced >>> 20));
        produced += 1 << 20;
      },
    }, { highWaterMark: 0 });
    let seen = 0;
    await src.pipeThrough(encryptStream(key)).pipeThrough(decryptStream(key)).pipeTo(new WritableStream({
      write(chunk) { maxChunk = Math.max(maxChunk, chunk.length); seen += chunk.length; },
    }));
    expect(seen).toBe(total);
    expect(maxChunk).toBeLessThanOrEqual(P);
  });
});
