import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedReadBytesMax, cachedSpanBytesMax, readCachedAt, readIfCached, useCachedReads } from './libc.ts';
import { b, bodyOf, k, openTestStore, plain, randomBytes, readAll, shardFiles, tempDrives, type TempDrives } from './test-helpers.ts';

const temps: TempDrives[] = [];
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });
afterEach(() => useCachedReads(true));

async function scratch(): Promise<string> {
  const t = await tempDrives(1);
  temps.push(t);
  await mkdir(t.paths[0]!, { recursive: true });
  return t.paths[0]!;
}

describe.if(process.platform === 'linux')('readIfCached', () => {
  test('reads a file just written (so in memory): whole, a range, a head, into a buffer', async () => {
    const dir = await scratch();
    const path = join(dir, 'f');
    const data = randomBytes(100_000, 7);
    await writeFile(path, data);
    expect(readIfCached(path)).toEqual(data);
    expect(readIfCached(path, { start: 1000, length: 5000 })).toEqual(data.subarray(1000, 6000));
    expect(readIfCached(path, { atMost: 10 })).toEqual(data.subarray(0, 10));
    expect(readIfCached(path, { start: 99_990, atMost: 100 })).toEqual(data.subarray(99_990));
    const into = new Uint8Array(300);
    expect(readIfCached(path, { start: 50, length: 300, into })).toBe(into);
    expect(into).toEqual(new Uint8Array(data.subarray(50, 350)));
    await writeFile(join(dir, 'empty'), '');
    expect(readIfCached(join(dir, 'empty'))).toEqual(new Uint8Array(0));
  });

  test('declines what it cannot answer exactly: missing files, short files, oversize reads, a wrong buffer', async () => {
    const dir = await scratch();
    const path = join(dir, 'f');
    await writeFile(path, randomBytes(4096, 1));
    expect(readIfCached(join(dir, 'missing'))).toBeUndefined();
    expect(readIfCached(join(dir, 'no-dir', 'f'))).toBeUndefined();
    expect(readIfCached(path, { start: 4000, length: 200 })).toBeUndefined();
    expect(readIfCached(path, { length: cachedReadBytesMax + 1 })).toBeUndefined();
    expect(readIfCached(path, { length: 100, into: new Uint8Array(99) })).toBeUndefined();
    expect(readIfCached(dir)).toBeUndefined();
    // A FIFO with no writer: declined at once, never waited on.
    const fifo = join(dir, 'fifo');
    expect(Bun.spawnSync(['mkfifo', fifo]).exitCode).toBe(0);
    expect(readIfCached(fifo)).toBeUndefined();
    expect(readIfCached(fifo, { length: 10 })).toBeUndefined();
    // Still on after declining.
    expect(readIfCached(path, { length: 10 })).toHaveLength(10);
  });

  test('off, it reads nothing', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'f'), 'x');
    useCachedReads(false);
    expect(readIfCached(join(dir, 'f'))).toBeUndefined();
    useCachedReads(true);
    expect(readIfCached(join(dir, 'f'))).toEqual(new TextEncoder().encode('x'));
  });
});

describe.if(process.platform === 'linux')('readCachedAt', () => {
  test('fills a buffer from an open file at an offset when every byte is in memory, and declines short, oversize and switched-off reads', async () => {
    const dir = await scratch();
    const path = join(dir, 'f');
    const data = randomBytes(cachedSpanBytesMax + 4096, 3);
    await writeFile(path, data);
    const fd = openSync(path, 'r');
    try {
      const into = new Uint8Array(70_000);
      expect(readCachedAt(fd, into, 12_345)).toBe(true);
      expect(into).toEqual(new Uint8Array(data.subarray(12_345, 12_345 + 70_000)));
      const span = new Uint8Array(cachedSpanBytesMax);
      expect(readCachedAt(fd, span, 4096)).toBe(true);
      expect(span).toEqual(new Uint8Array(data.subarray(4096)));
      // Past the end of the file: short, so declined (the caller reads the usual way).
      expect(readCachedAt(fd, new Uint8Array(100), data.length - 50)).toBe(false);
      expect(readCachedAt(fd, new Uint8Array(cachedSpanBytesMax + 1), 0)).toBe(false);
      useCachedReads(false);
      expect(readCachedAt(fd, new Uint8Array(10), 0)).toBe(false);
      useCachedReads(true);
      expect(readCachedAt(fd, new Uint8Array(0), 0)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});

describe('objects read the same with cached reads on and off', () => {
  for (const on of [true, false]) {
    test(`cached reads ${on ? 'on' : 'off'}: small, one-block and multi-block objects, ranges, a lost shard`, async () => {
      useCachedReads(on);
      const t = await tempDrives(4);
      temps.push(t);
      const store = await openTestStore(t.paths, { parity: 2 });
      await store.makeBucket(b('bkt'));
      const sizes = [100, 1024 * 1024, 3 * 1024 * 1024 + 5];
      for (const size of sizes) {
        const data = randomBytes(size, size);
        await store.put(b('bkt'), k(`o${size}`), bodyOf(data, 1 << 20), plain);
        expect((await store.head(b('bkt'), k(`o${size}`))).size).toBe(size);
        expect(await readAll((await store.get(b('bkt'), k(`o${size}`))).stream)).toEqual(data);
        const range = { offset: Math.floor(size / 3), length: Math.floor(size / 2) };
        expect(await readAll((await store.get(b('bkt'), k(`o${size}`), range)).stream)).toEqual(data.subarray(range.offset, range.offset + range.length));
      }
      // Two shard files gone: the object is rebuilt from the other two on either path.
      const size = 1024 * 1024;
      const files = await shardFiles(t, `o${size}`);
      expect(files).toHaveLength(4);
      await Promise.all(files.slice(0, 2).map((f) => rm(f)));
      expect(await readAll((await store.get(b('bkt'), k(`o${size}`))).stream)).toEqual(randomBytes(size, size));
      await store.close();
    });
  }
});
