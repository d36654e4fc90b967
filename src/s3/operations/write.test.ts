import { expect, test } from 'bun:test';
import { hashedBody } from './write.ts';

const data = new Uint8Array(200_000).map((_, i) => (i * 31 + (i >> 8)) & 0xff);

/** A source of `bytes` in pieces; counts the pieces taken from it. */
function counted(bytes: Uint8Array, pieceBytes = 30_000): { stream: ReadableStream<Uint8Array>; taken: () => number } {
  let pos = 0;
  let taken = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pos >= bytes.length) {
        c.close();
        return;
      }
      taken++;
      c.enqueue(bytes.slice(pos, pos + pieceBytes));
      pos += pieceBytes;
    },
  }, { highWaterMark: 0 });
  return { stream, taken: () => taken };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

test('a copy body passes every byte and reports its MD5, or its SHA-256 when told before anything was read', async () => {
  const md5 = hashedBody(counted(data).stream, data.length);
  expect(await readAll(md5.stream)).toEqual(data);
  expect(md5.result()).toEqual({ md5Hex: new Bun.CryptoHasher('md5').update(data).digest('hex'), sizeBytes: data.length });
  expect(md5.sizeBytes).toBe(data.length);

  const source = counted(data);
  const sha = hashedBody(source.stream);
  await Bun.sleep(5);
  // Nothing is taken from the source before the writer reads: the choice can still be made.
  expect(source.taken()).toBe(0);
  sha.preferSha256?.();
  expect(await readAll(sha.stream)).toEqual(data);
  expect(sha.result()).toEqual({ sha256Hex: new Bun.CryptoHasher('sha256').update(data).digest('hex'), sizeBytes: data.length });

  const late = hashedBody(counted(data).stream);
  const reader = late.stream.getReader();
  await reader.read();
  late.preferSha256?.();
  while (!(await reader.read()).done);
  expect(late.result().md5Hex).toBe(new Bun.CryptoHasher('md5').update(data).digest('hex'));

  const empty = hashedBody(counted(new Uint8Array(0)).stream);
  empty.preferSha256?.();
  expect(await readAll(empty.stream)).toEqual(new Uint8Array(0));
  expect(empty.result()).toEqual({ sha256Hex: new Bun.CryptoHasher('sha256').digest('hex'), sizeBytes: 0 });
});

test('a copy body whose source fails fails too, and has no result', async () => {
  let sent = false;
  const failing = new ReadableStream<Uint8Array>({
    pull(c) {
      if (!sent) {
        sent = true;
        c.enqueue(new Uint8Array(10));
        return;
      }
      c.error(new Error('source gone'));
    },
  });
  const body = hashedBody(failing);
  await expect(readAll(body.stream)).rejects.toThrow('source gone');
  expect(() => body.result()).toThrow();
});
