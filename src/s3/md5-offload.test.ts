import { afterAll, expect, test } from 'bun:test';
import { Md5Offload } from './md5-offload.ts';

const offload = new Md5Offload(new URL('./md5-worker.ts', import.meta.url));
afterAll(() => offload.terminate());

function source(data: Uint8Array, pieceBytes: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(c) {
      if (offset >= data.length) return c.close();
      c.enqueue(data.subarray(offset, offset + pieceBytes));
      offset += pieceBytes;
    },
  });
}

test('hashes on the worker and passes every byte through unchanged', async () => {
  const data = new Uint8Array(20 * 1024 * 1024 + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  const stages = [offload.stage(), offload.stage()];
  const outputs = await Promise.all(stages.map(async (stage, i) => {
    let n = 0;
    const h = new Bun.CryptoHasher('md5');
    for await (const piece of stage.wrap(source(data, 1000 + i * 70_000))) {
      h.update(piece);
      n += piece.length;
    }
    await stage.settled();
    return { n, passed: h.digest('hex'), worker: stage.digestFields().md5Hex };
  }));
  const expected = new Bun.CryptoHasher('md5').update(data).digest('hex');
  for (const o of outputs) expect(o).toEqual({ n: data.length, passed: expected, worker: expected });
});

test('an empty body and a cancelled body', async () => {
  const empty = offload.stage();
  for await (const piece of empty.wrap(source(new Uint8Array(0), 10))) void piece;
  await empty.settled();
  expect(empty.digestFields().md5Hex).toBe('d41d8cd98f00b204e9800998ecf8427e');
  const cancelled = offload.stage();
  const reader = cancelled.wrap(source(new Uint8Array(1 << 20), 4096)).getReader();
  await reader.read();
  await reader.cancel();
  expect(() => cancelled.digestFields()).toThrow();
  await expect(cancelled.settled()).rejects.toThrow();
});

test('a body told before it is read hashes with SHA-256 (also when empty); told once reading began, it stays MD5', async () => {
  const data = new Uint8Array(3 * 1024 * 1024 + 77);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 0xff;
  const drain = async (stage: ReturnType<typeof offload.stage>, bytes: Uint8Array, afterFirst?: () => void): Promise<void> => {
    const reader = stage.wrap(source(bytes, 100_000)).getReader();
    let first = true;
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      if (first) afterFirst?.();
      first = false;
    }
    await stage.settled();
  };
  const sha = offload.stage();
  sha.preferSha256();
  await drain(sha, data);
  expect(sha.digestFields()).toEqual({ sha256Hex: new Bun.CryptoHasher('sha256').update(data).digest('hex') });
  const empty = offload.stage();
  empty.preferSha256();
  await drain(empty, new Uint8Array(0));
  expect(empty.digestFields()).toEqual({ sha256Hex: new Bun.CryptoHasher('sha256').digest('hex') });
  const late = offload.stage();
  await drain(late, data, () => late.preferSha256());
  expect(late.digestFields()).toEqual({ md5Hex: new Bun.CryptoHasher('md5').update(data).digest('hex') });
});

test('a consumer that copies each piece lets whole-buffer pieces move to the worker', async () => {
  const pieces = Array.from({ length: 9 }, (_, i) => {
    // Whole-buffer pieces (moved) mixed with views into a larger buffer (copied).
    const p = i % 3 === 2 ? new Uint8Array(600_000).subarray(1000, 300_000) : new Uint8Array(512 * 1024 + i);
    crypto.getRandomValues(p.subarray(0, 65536));
    return p;
  });
  const expected = new Bun.CryptoHasher('md5');
  for (const p of pieces) expected.update(p);
  let i = 0;
  const stage = offload.stage();
  const reader = stage.wrap(new ReadableStream({ pull(c) { if (i < pieces.length) c.enqueue(pieces[i++]!); else c.close(); } }, { highWaterMark: 0 })).getReader();
  stage.consumerCopies();
  const seen = new Bun.CryptoHasher('md5');
  let previous: Uint8Array | undefined;
  let moved = 0;
  for (;;) {
    const next = await reader.read();
    if (previous !== undefined && previous.byteLength === 0) moved++;
    if (next.done) break;
    seen.update(next.value);
    previous = next.value;
  }
  await stage.settled();
  expect(stage.digestFields().md5Hex).toBe(expected.digest('hex'));
  expect(stage.digestFields()).toEqual({ md5Hex: seen.digest("hex") });
  expect(moved).toBeGreaterThan(0);
});

test('the stream ends with its source, before the digest is in; the digest then settles right', async () => {
  const data = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
  const stage = offload.stage();
  let digestIn = false;
  const reader = stage.wrap(source(data, 256 * 1024)).getReader();
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
  }
  // The reader saw the end; hashing 6 MiB on the worker takes milliseconds more.
  const settled = stage.settled().then(() => { digestIn = true; });
  expect(() => stage.digestFields()).toThrow();
  await settled;
  expect(digestIn).toBe(true);
  expect(stage.digestFields().md5Hex).toBe(new Bun.CryptoHasher('md5').update(data).digest('hex'));
});

test('a worker that dies fails the body it was hashing, in flight or after its stream ended', async () => {
  // Dies on the first message: the body fails while it streams.
  const early = new Md5Offload(new URL('./testing/md5-dies.ts', import.meta.url));
  try {
    const stage = early.stage();
    const reader = stage.wrap(source(new Uint8Array(12 * 1024 * 1024), 1024 * 1024)).getReader();
    let failed: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (e) {
      failed = e;
    }
    // Either the stream errored, or it ended and the digest can never come.
    if (failed === undefined) await expect(stage.settled()).rejects.toThrow();
    else expect(String(failed)).toContain('md5 worker failed');
    expect(early.available).toBe(false);
  } finally {
    early.terminate();
  }
  // Acks every piece, then dies at the end: the stream ends, and the digest rejects.
  process.env['MD5_DIES_AFTER_ACKS'] = '1000';
  const late = new Md5Offload(new URL('./testing/md5-dies.ts', import.meta.url));
  try {
    const stage = late.stage();
    for await (const piece of stage.wrap(source(new Uint8Array(3 * 1024 * 1024), 256 * 1024))) void piece;
    await expect(stage.settled()).rejects.toThrow('md5 worker failed');
    expect(() => stage.digestFields()).toThrow();
  } finally {
    delete process.env['MD5_DIES_AFTER_ACKS'];
    late.terminate();
  }
});
