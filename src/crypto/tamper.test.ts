// Every manipulation of a sealed stream must error the decrypt stream, and
// nothing from the manipulated package or after it may be emitted.
import { describe, expect, test } from 'bun:test';
import { decryptStream, type DecryptOptions } from './decrypt-stream.ts';
import { encryptStream } from './encrypt-stream.ts';
import { engines } from './engine.ts';
import { CryptoError } from './errors.ts';
import { Dare } from './format.ts';
import { pattern, pipe } from './testdata/helpers.ts';

const key = new Uint8Array(32).fill(0x42);
const P = Dare.payloadBytesMax;
const plain = pattern(2 * P + 100);

async function seal(nonceByte: number, data = plain): Promise<Uint8Array[]> {
  const out = await pipe(data, encryptStream(key, { nonce: new Uint8Array(12).fill(nonceByte) }));
  const packages: Uint8Array[] = [];
  for (let o = 0; o < out.bytes.length; o += Dare.packageBytesMax) packages.push(out.bytes.slice(o, o + Dare.packageBytesMax));
  return packages;
}

const join = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Decrypts `stored` and checks it fails, emitting at most the authentic packages before `firstBad`. */
async function expectRejected(stored: Uint8Array, firstBad: number, opts: DecryptOptions = {}): Promise<void> {
  // In place (reuseInput), packages inside one chunk are opened into it: big chunks test that.
  const variants = [{ reuseInput: false, sizes: [50000] }, { reuseInput: true, sizes: [50000] }, { reuseInput: true, sizes: [1 << 20] }, { reuseInput: true, sizes: [P + 40, 3 * P] }];
  for (const engine of Object.values(engines)) {
    for (const v of variants) {
      const out = await pipe(stored, decryptStream(key, { engine, ...opts, reuseInput: v.reuseInput }), v.sizes);
      expect(out.error).toBeInstanceOf(CryptoError);
      expect(out.bytes.length).toBeLessThanOrEqual(firstBad * P);
      expect(Buffer.compare(out.bytes, plain.subarray(0, out.bytes.length))).toBe(0);
    }
  }
}

describe('tamper detection', () => {
  test('flipping any bit of a one-package stream fails', async () => {
    const small = pattern(100);
    const sealed = join(await seal(1, small));
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = sealed.slice();
        t[i]! ^= 1 << bit;
        for (const reuseInput of [false, true]) {
          const out = await pipe(t, decryptStream(key, { reuseInput }), [1 << 20]);
          expect(out.error).toBeInstanceOf(CryptoError);
          expect(out.bytes.length).toBe(0);
        }
      }
    }
  });

  test('flipping any header or tag byte, and sampled ciphertext bytes, of a multi-package stream fails', async () => {
    const packages = await seal(2);
    const stored = join(packages);
    const positions: number[] = [];
    let start = 0;
    for (const p of packages) {
      for (let i = 0; i < Dare.headerBytes; i++) positions.push(start + i);
      for (let i = p.length - Dare.tagBytes; i < p.length; i++) positions.push(start + i);
      for (let i = Dare.headerBytes; i < p.length - Dare.tagBytes; i += 1499) positions.push(start + i);
      start += p.length;
    }
    for (const pos of positions) {
      const t = stored.slice();
      t[pos]! ^= 0x80;
      await expectRejected(t, Math.floor(pos / Dare.packageBytesMax));
    }
  });

  test('dropping, duplicating or reordering a package fails', async () => {
    const p = await seal(3);
    for (let i = 0; i < p.length; i++) {
      await expectRejected(join(p.filter((_, j) => j !== i)), i);
      await expectRejected(join([...p.slice(0, i + 1), p[i]!, ...p.slice(i + 1)]), i + 1);
    }
    await expectRejected(join([p[1]!, p[0]!, p[2]!]), 0);
    await expectRejected(join([p[0]!, p[2]!, p[1]!]), 1);
  });

  test('truncating anywhere fails', async () => {
    const stored = join(await seal(4));
    const cuts = [1, 3, 4, 16, 17, Dare.packageBytesMax - 1, Dare.packageBytesMax, Dare.packageBytesMax + 20, 2 * Dare.packageBytesMax, stored.length - 1];
    for (const cut of cuts) await expectRejected(stored.subarray(0, cut), Math.floor(cut / Dare.packageBytesMax));
  });

  test('appending anything after the final package fails', async () => {
    const p = await seal(5);
    const other = await seal(6);
    const stored = join(p);
    await expectRejected(join([stored, p[2]!]), 3);
    await expectRejected(join([stored, p[0]!]), 3);
    await expectRejected(join([stored, other[2]!]), 3);
    await expectRejected(join([stored, new Uint8Array([0])]), 3);
  });

  test('splicing in a package from another stream under the same key fails', async () => {
    const p = await seal(7);
    const other = await seal(8);
    // From package 1 on: the first package fixes the stream's nonce. (A whole
    // other stream under the same key would decrypt; DARE requires unique keys,
    // which the fresh object key per object and per-part keys give.)
    for (let i = 1; i < p.length; i++) {
      const mixed = p.slice();
      mixed[i] = other[i]!;
      await expectRejected(join(mixed), i);
    }
  });

  test('moving the final flag fails', async () => {
    const p = await seal(9);
    const early = p.map((x) => x.slice());
    early[1]![4]! |= Dare.finalFlag;
    await expectRejected(join(early.slice(0, 2)), 1);
    const late = p.map((x) => x.slice());
    late[2]![4]! &= ~Dare.finalFlag;
    await expectRejected(join(late), 2);
  });

  test('a range read rejects packages fed at the wrong sequence number, or too many', async () => {
    const p = await seal(10);
    await expectRejected(join([p[1]!, p[2]!]), 0, { firstSequence: 0, packageCount: 2, lastIsFinal: true });
    await expectRejected(join([p[0]!, p[1]!]), 0, { firstSequence: 1, packageCount: 2, lastIsFinal: false });
    await expectRejected(join([p[0]!, p[1]!]), 1, { firstSequence: 0, packageCount: 1, lastIsFinal: false });
    await expectRejected(join([p[0]!]), 1, { firstSequence: 0, packageCount: 2, lastIsFinal: false });
  });
});
