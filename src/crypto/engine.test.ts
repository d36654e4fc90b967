// One contract, run against every cipher engine.
import { describe, expect, test } from 'bun:test';
import { encryptStream } from './encrypt-stream.ts';
import { engines, owned } from './engine.ts';
import { decryptStream } from './decrypt-stream.ts';
import { pattern, pipe } from './testdata/helpers.ts';

const raw = new Uint8Array(32).map((_, i) => 255 - i);
const iv = new Uint8Array(12).fill(3);
const aad = new Uint8Array([0x20, 0, 1, 2]);

/** Bytes of the chunk's ArrayBuffer outside the chunk itself. */
function outside(chunk: Uint8Array): Uint8Array {
  const all = new Uint8Array(chunk.buffer);
  return new Uint8Array([...all.subarray(0, chunk.byteOffset), ...all.subarray(chunk.byteOffset + chunk.length)]);
}

for (const engine of Object.values(engines)) {
  describe(`engine contract: ${engine.name}`, () => {
    test('seal then open returns the plaintext; a changed IV, AAD, body or tag returns null', async () => {
      const key = await engine.importKey(raw);
      for (const size of [0, 1, 17, 65536]) {
        const plain = pattern(size);
        const sealed = new Uint8Array(Buffer.concat(await key.seal(iv, aad, plain)));
        expect(sealed.length).toBe(size + 16);
        expect(Buffer.compare((await key.open(iv, aad, sealed))!, plain)).toBe(0);
        expect(await key.open(iv.map((b, i) => (i === 11 ? b ^ 1 : b)), aad, sealed)).toBeNull();
        expect(await key.open(iv, aad.map((b, i) => (i === 2 ? b ^ 1 : b)), sealed)).toBeNull();
        expect(await key.open(iv, aad, sealed.map((b, i) => (i === sealed.length - 1 ? b ^ 1 : b)))).toBeNull();
        if (size > 0) expect(await key.open(iv, aad, sealed.map((b, i) => (i === 0 ? b ^ 1 : b)))).toBeNull();
        expect(await key.open(iv, aad, sealed.subarray(0, 15))).toBeNull();
      }
    });

    test('emitted chunks never expose other bytes through their ArrayBuffer', async () => {
      const plain = pattern(3 * 65536 + 100);
      const enc = encryptStream(raw, { engine });
      const chunks: Uint8Array[] = [];
      const done = pipe(plain, { writable: enc.writable, readable: enc.readable.pipeThrough(new TransformStream({ transform(c, ctrl) { chunks.push(c); ctrl.enqueue(c); } })) });
      const sealed = (await done).bytes;
      for (const c of chunks) {
        if (c.length === 16 && c.buffer.byteLength > 16) continue; // headers share a slab of public headers
        expect(outside(c).every((b) => b === 0)).toBe(true);
      }
      const dec = decryptStream(raw, { engine });
      const plainChunks: Uint8Array[] = [];
      await pipe(sealed, { writable: dec.writable, readable: dec.readable.pipeThrough(new TransformStream({ transform(c, ctrl) { plainChunks.push(c); ctrl.enqueue(c); } })) });
      for (const c of plainChunks) expect(outside(c).every((b) => b === 0)).toBe(true);
    });
  });
}

test('owned() copies views into shared buffers and zeroes small slack', () => {
  const shared = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const view = owned(shared.subarray(2, 4));
  expect([...view]).toEqual([3, 4]);
  expect(view.buffer.byteLength).toBe(2);
  const slack = new Uint8Array([9, 9, 9, 7]);
  const trimmed = owned(slack.subarray(0, 3));
  expect([...new Uint8Array(trimmed.buffer)]).toEqual([9, 9, 9, 0]);
});
