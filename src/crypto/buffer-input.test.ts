// Stored packages often arrive as Node Buffers (fs reads), whose slice() is a view:
// decrypting must never write into its input (a cached or re-read buffer would break).
import { expect, test } from 'bun:test';
import { decryptRange, encryptStream, wholeStream } from './index.ts';

const key = new Uint8Array(32).fill(3);

async function collect(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const p of stream) pieces.push(p);
  return Buffer.concat(pieces);
}

function chunks(bytes: Buffer, sizeBytes: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({ pull(c) { if (at < bytes.length) { c.enqueue(bytes.subarray(at, at + sizeBytes)); at += sizeBytes; } else c.close(); } });
}

test('decrypting Buffer input leaves it unchanged, so it decrypts again', async () => {
  const plain = Buffer.alloc(300_000, 7);
  const stored = await collect(chunks(plain, 100_000).pipeThrough(encryptStream(key)));
  const copy = Buffer.from(stored);
  for (let round = 0; round < 2; round++) {
    expect((await collect(decryptRange(chunks(stored, 200_000), key, wholeStream(plain.length)))).equals(plain)).toBe(true);
    expect(stored.equals(copy)).toBe(true);
  }
});
