import { afterAll, describe, expect, test } from 'bun:test';
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { shardFileBytes } from './bitrot.ts';
import { preallocate, preallocateBytesMin } from './libc.ts';
import { StorageError } from './types.ts';
import { b, bodyOf, k, openTestStore, plain, randomBytes, readAll, sha, shardFiles, shaOfStream, tempDrives, type TempDrives } from './test-helpers.ts';

const block = 1024 * 1024;
const temps: TempDrives[] = [];
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });

async function fresh(count: number, parity?: number) {
  const t = await tempDrives(count);
  temps.push(t);
  const store = await openTestStore(t.paths, parity === undefined ? {} : { parity });
  await store.makeBucket(b('bkt'));
  return { t, store };
}

describe('round trips', () => {
  const layouts: [number, number | undefined][] = [[1, undefined], [4, 2], [6, 2], [16, undefined]];
  for (const [drives, parity] of layouts) {
    test(`${drives} drives, sizes 0 to 100 MiB`, async () => {
      const { store } = await fresh(drives, parity);
      for (const size of [0, 1, block - 1, block, block + 1, 3 * block + 12345, 100 * block]) {
        const data = randomBytes(size, size + drives);
        const info = await store.put(b('bkt'), k(`obj-${size}`), bodyOf(data, 1 << 20), plain);
        expect(info.size).toBe(size);
        expect(info.etag).toBe(new Bun.CryptoHasher('md5').update(data).digest('hex'));
        const got = await store.get(b('bkt'), k(`obj-${size}`));
        expect(got.info.size).toBe(size);
        expect(await shaOfStream(got.stream)).toBe(sha(data));
      }
      await store.close();
    }, 60_000);
  }

  test('ranges', async () => {
    const { store } = await fresh(4);
    const data = randomBytes(3 * block + 777, 3);
    await store.put(b('bkt'), k('r'), bodyOf(data), plain);
    for (const [offset, length] of [[0, 1], [5, 100], [block - 3, 10], [block, block], [2 * block + 5, 10_000_000], [3 * block + 776, 1]] as const) {
      const got = await store.get(b('bkt'), k('r'), { offset, length });
      expect(sha(await readAll(got.stream))).toBe(sha(data.subarray(offset, Math.min(data.length, offset + length))));
    }
    await expect(store.get(b('bkt'), k('r'), { offset: data.length, length: 1 })).rejects.toThrow(StorageError);
    await store.close();
  });
});

describe('concurrent writes', () => {
  test('more PUTs at once than the erasure kernel has block buffers: each object reads back exactly', async () => {
    const { store } = await fresh(4);
    // 12 writers of 3 blocks each need 36 block buffers; the kernel has 24, the rest come from the heap.
    const objects = Array.from({ length: 12 }, (_, i) => randomBytes(3 * block + 1000 * i, 100 + i));
    await Promise.all(objects.map((data, i) => store.put(b('bkt'), k(`c${i}`), bodyOf(data, 65_536 + 4096 * i), plain)));
    for (const [i, data] of objects.entries()) {
      const got = await store.get(b('bkt'), k(`c${i}`));
      expect(await shaOfStream(got.stream)).toBe(sha(data));
    }
    await store.close();
  }, 60_000);
});

describe('space reserved up front', () => {
  /** The object's shard files, with their sizes and the bytes allocated to them. */
  async function shardFileSpace(t: TempDrives, key: string): Promise<{ size: number; allocated: number }[]> {
    return (await shardFiles(t, key)).map((path) => {
      const st = statSync(path);
      return { size: st.size, allocated: st.blocks * 512 };
    });
  }

  test.if(process.platform === 'linux')('preallocate reserves blocks without changing the size', () => {
    const t = `${process.env.TMPDIR ?? '/tmp'}/cairn-prealloc-${process.pid}`;
    const fd = openSync(t, 'w');
    try {
      preallocate(fd, 2 * preallocateBytesMin);
      const st = fstatSync(fd);
      expect(st.size).toBe(0);
      expect(st.blocks * 512).toBeGreaterThanOrEqual(2 * preallocateBytesMin);
    } finally {
      closeSync(fd);
      Bun.spawnSync(['rm', '-f', t]);
    }
  });

  test('with a size hint, shard files keep their exact size, and a hint larger than the body gives the excess back', async () => {
    const { t, store } = await fresh(4);
    const data = randomBytes(8 * block + 123, 7);
    await store.put(b('bkt'), k('hinted'), bodyOf(data), { ...plain, sizeHintBytes: data.length });
    const exact = shardFileBytes({ sizeBytes: data.length, blockSizeBytes: block, dataShards: 2 });
    let files = await shardFileSpace(t, 'hinted');
    expect(files.length).toBe(4);
    for (const f of files) expect(f.size).toBe(exact);
    expect(await shaOfStream((await store.get(b('bkt'), k('hinted'))).stream)).toBe(sha(data));

    // A hint three times too large: the object is what came, and no file keeps the extra space.
    await store.put(b('bkt'), k('hinted'), bodyOf(data), { ...plain, sizeHintBytes: 3 * data.length });
    files = await shardFileSpace(t, 'hinted');
    expect(files.length).toBe(4);
    for (const f of files) {
      expect(f.size).toBe(exact);
      expect(f.allocated).toBeLessThan(exact + 64 * 1024);
    }
    expect(await shaOfStream((await store.get(b('bkt'), k('hinted'))).stream)).toBe(sha(data));
    await store.close();
  });
});

describe('object api', () => {
  test('head, overwrite, delete, metadata maps, errors', async () => {
    const { store } = await fresh(4);
    await store.put(b('bkt'), k('x'), bodyOf(randomBytes(10, 1)), { userMeta: { 'content-type': 'a/b' }, internal: { sealed: 'yes' }, md5: true });
    const head = await store.head(b('bkt'), k('x'));
    expect(head.userMeta['content-type']).toBe('a/b');
    expect(head.internal.sealed).toBe('yes');
    const second = randomBytes(2 * block + 5, 2);
    await store.put(b('bkt'), k('x'), bodyOf(second), plain);
    expect(sha(await readAll((await store.get(b('bkt'), k('x'))).stream))).toBe(sha(second));
    await store.delete(b('bkt'), k('x'));
    await expect(store.head(b('bkt'), k('x'))).rejects.toMatchObject({ code: 'NoSuchKey' });
    await expect(store.head(b('nobucket'), k('x'))).rejects.toMatchObject({ code: 'NoSuchBucket' });
    await store.delete(b('bkt'), k('x'));
    await store.close();
  });

  test('a failing body stream commits nothing', async () => {
    const { store } = await fresh(4);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent > 3 * block) return c.error(new Error('bad signature'));
        sent += 65536;
        c.enqueue(randomBytes(65536, sent));
      },
    });
    await expect(store.put(b('bkt'), k('bad'), body, plain)).rejects.toThrow('bad signature');
    await expect(store.head(b('bkt'), k('bad'))).rejects.toMatchObject({ code: 'NoSuchKey' });
    expect((await store.list(b('bkt'), { prefix: '', delimiter: '', marker: '', maxKeys: 10 })).objects).toHaveLength(0);
    await store.close();
  });

  test('beforeCommit and precondition', async () => {
    const { store } = await fresh(4);
    const info = await store.put(b('bkt'), k('p'), bodyOf(randomBytes(100, 1)), {
      userMeta: {}, internal: {}, md5: false,
      beforeCommit: (size, md5) => ({ etag: `sealed-${size}-${md5 ?? 'none'}`, internal: { plainMd5: 'abc' } }),
    });
    expect(info.etag).toBe('sealed-100-none');
    expect((await store.head(b('bkt'), k('p'))).internal.plainMd5).toBe('abc');
    const refuse = (cur: unknown): void => { if (cur !== null) throw new StorageError('PreconditionFailed'); };
    await expect(store.put(b('bkt'), k('p'), bodyOf(randomBytes(5, 2)), { ...plain, precondition: refuse })).rejects.toMatchObject({ code: 'PreconditionFailed' });
    expect((await store.head(b('bkt'), k('p'))).size).toBe(100);
    await expect(store.put(b('bkt'), k('p'), bodyOf(randomBytes(5, 2)), { ...plain, beforeCommit: () => { throw new Error('checksum mismatch'); } })).rejects.toThrow('checksum mismatch');
    expect((await store.head(b('bkt'), k('p'))).size).toBe(100);
    await expect(store.put(b('bkt'), k('q'), bodyOf(randomBytes(500, 2)), { ...plain, sizeMaxBytes: 100 })).rejects.toMatchObject({ code: 'EntityTooLarge' });
    await store.close();
  });

  test('updateMeta rewrites metadata only', async () => {
    const { store } = await fresh(4);
    const data = randomBytes(block + 3, 9);
    await store.put(b('bkt'), k('u'), bodyOf(data), plain);
    const updated = await store.updateMeta(b('bkt'), k('u'), (i) => ({ userMeta: { ...i.userMeta, x: '1' }, internal: { wrapped: 'v2' } }));
    expect(updated.internal.wrapped).toBe('v2');
    const got = await store.get(b('bkt'), k('u'));
    expect(got.info.userMeta.x).toBe('1');
    expect(sha(await readAll(got.stream))).toBe(sha(data));
    await store.close();
  });

  test('odd keys never escape and coexist', async () => {
    const { t, store } = await fresh(4);
    const keys = ['a', 'a/b', 'a//b', '.', '..', '../../etc/passwd', 'x/./y', 'x/../y', 'dir/', 'é/ü', 'z'.repeat(300), `${'s'.repeat(300)}/${'t'.repeat(300)}`, '%2e%2e', 'a%00b', '\u{1F600}'];
    for (const [i, key] of keys.entries()) await store.put(b('bkt'), k(key), bodyOf(randomBytes(i + 1, i)), plain);
    for (const [i, key] of keys.entries()) expect(sha(await readAll((await store.get(b('bkt'), k(key))).stream))).toBe(sha(randomBytes(i + 1, i)));
    const listed = (await store.list(b('bkt'), { prefix: '', delimiter: '', marker: '', maxKeys: 1000 })).objects.map((o): string => o.key);
    expect(listed).toEqual([...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    // Every file stays inside its drive's bucket or system area.
    let files = 0;
    for await (const e of new Bun.Glob('**').scan({ cwd: t.root, onlyFiles: true, dot: true })) {
      files++;
      expect(e).toMatch(/^d\d\/(buckets\/bkt\/|\.cairn\.sys\/)/);
    }
    expect(files).toBeGreaterThan(keys.length * 4);
    await store.close();
  });
});

describe('buckets and system documents', () => {
  test('bucket lifecycle and settings', async () => {
    const { store } = await fresh(4);
    await expect(store.makeBucket(b('bkt'))).rejects.toMatchObject({ code: 'BucketExists' });
    await store.makeBucket(b('other'));
    expect((await store.listBuckets()).map((x) => x.name)).toEqual([b('bkt'), b('other')]);
    await store.putBucketSetting(b('other'), 'encryption', '{"alg":"AES256"}');
    expect((await store.getBucketMeta(b('other'))).settings.encryption).toBe('{"alg":"AES256"}');
    await store.putBucketSetting(b('other'), 'encryption', null);
    expect((await store.getBucketMeta(b('other'))).settings).toEqual({});
    await store.put(b('other'), k('o'), bodyOf(randomBytes(3, 3)), plain);
    await expect(store.deleteBucket(b('other'))).rejects.toMatchObject({ code: 'BucketNotEmpty' });
    await store.delete(b('other'), k('o'));
    await store.deleteBucket(b('other'));
    await expect(store.headBucket(b('other'))).rejects.toMatchObject({ code: 'NoSuchBucket' });
    await store.writeSystem('keystore', new TextEncoder().encode('v1'));
    await store.writeSystem('keystore', new TextEncoder().encode('v2'));
    expect(new TextDecoder().decode((await store.readSystem('keystore'))!)).toBe('v2');
    expect(await store.readSystem('absent')).toBeNull();
    expect((await store.listBuckets()).map((x) => x.name)).toEqual([b('bkt')]);
    await store.close();
  });

  test('reopening keeps data; a foreign drive stops start-up', async () => {
    const { t, store } = await fresh(4);
    await store.put(b('bkt'), k('keep'), bodyOf(randomBytes(5000, 5)), plain);
    await store.close();
    const again = await openTestStore(t.paths);
    expect((await again.head(b('bkt'), k('keep'))).size).toBe(5000);
    await again.close();
    const other = await tempDrives(4);
    temps.push(other);
    const s2 = await openTestStore(other.paths);
    await s2.close();
    await expect(openTestStore([t.paths[0]!, other.paths[1]!, t.paths[2]!, t.paths[3]!])).rejects.toThrow(/drive 1 .*another deployment/);
    await expect(openTestStore([t.paths[1]!, t.paths[0]!, t.paths[2]!, t.paths[3]!])).rejects.toThrow(/drive 0 .*index 1/);
  });
});

test('a write right after its bucket was deleted is refused, though the bucket was just written to', async () => {
  const { store } = await fresh(4, 2);
  await store.makeBucket(b('short-lived'));
  await store.put(b('short-lived'), k('x'), bodyOf(randomBytes(10, 1)), plain);
  await store.delete(b('short-lived'), k('x'));
  await store.deleteBucket(b('short-lived'));
  await expect(store.put(b('short-lived'), k('y'), bodyOf(randomBytes(10, 2)), plain)).rejects.toMatchObject({ code: 'NoSuchBucket' });
  await expect(store.put(b('never-made'), k('y'), bodyOf(randomBytes(10, 3)), plain)).rejects.toMatchObject({ code: 'NoSuchBucket' });
});

test('a drive whose format file is corrupt or gone starts offline and untouched; the rest serve', async () => {
  const { t, store } = await fresh(4, 2);
  const data = randomBytes(300_000, 8);
  await store.put(b('bkt'), k('kept'), bodyOf(data), plain);
  await store.close();
  const { writeFile, rm: remove, readdir: list, mkdir: makeDir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await writeFile(join(t.paths[1]!, '.cairn.sys', 'format.json'), 'garbage{');
  await remove(join(t.paths[2]!, '.cairn.sys'), { recursive: true });
  const before = (await list(t.paths[1]!)).sort();
  const degraded = await openTestStore(t.paths);
  expect(await sha(await readAll((await degraded.get(b('bkt'), k('kept'))).stream))).toBe(sha(data));
  await degraded.close();
  expect((await list(t.paths[1]!)).sort()).toEqual(before);
  expect(await Bun.file(join(t.paths[1]!, '.cairn.sys', 'format.json')).text()).toBe('garbage{');
  // A non-empty directory that is not Cairn's is still refused.
  const stranger = join(t.root, 'stranger');
  await makeDir(stranger, { recursive: true });
  await writeFile(join(stranger, 'notes.txt'), 'not a drive');
  await expect(openTestStore([t.paths[0]!, stranger, t.paths[2]!, t.paths[3]!])).rejects.toThrow(/drive 1 .*no Cairn format file/);
});

test('corrupt bucket documents: read around while a quorum of copies is good, 503 (never NoSuchBucket) once it is not', async () => {
  const { t, store } = await fresh(4);
  await store.makeBucket(b('other'));
  await store.put(b('bkt'), k('o'), bodyOf(randomBytes(1000, 1)), plain);
  const doc = (i: number): string => `${t.paths[i]}/buckets/bkt/bucket.meta`;
  await Bun.write(doc(0), 'garbage');
  await Bun.write(doc(1), '');
  expect(String((await store.headBucket(b('bkt'))).name)).toBe('bkt');
  expect((await store.list(b('bkt'), { prefix: '', delimiter: '', marker: '', maxKeys: 10 })).objects.map((o) => String(o.key))).toEqual(['o']);
  await Bun.write(doc(2), 'rot');
  await expect(store.headBucket(b('bkt'))).rejects.toMatchObject({ code: 'QuorumLost' });
  await expect(store.makeBucket(b('bkt'))).rejects.toMatchObject({ code: 'QuorumLost' });
  // The damaged bucket is left out of the bucket list; the others are still listed.
  expect((await store.listBuckets()).map((x) => String(x.name))).toEqual(['other']);
  await store.close();
});

test('a system document left only in corrupt copies is unreadable (503), never taken as absent', async () => {
  const { t, store } = await fresh(4);
  await store.writeSystem('kms/keystore', new TextEncoder().encode('sealed keys'));
  const files = await readdir(`${t.paths[0]}/.cairn.sys/system`);
  expect(files).toHaveLength(1);
  const rel = `system/${files[0]!}`;
  await Bun.write(`${t.paths[0]}/.cairn.sys/${rel}`, 'rot');
  expect(new TextDecoder().decode((await store.readSystem('kms/keystore'))!)).toBe('sealed keys');
  for (const i of [1, 2]) await Bun.write(`${t.paths[i]}/.cairn.sys/${rel}`, 'rot');
  await expect(store.readSystem('kms/keystore')).rejects.toMatchObject({ code: 'QuorumLost', message: expect.stringContaining('3 corrupt') });
  // Nor is it overwritten: its newest version is unknown.
  await expect(store.writeSystem('kms/keystore', new TextEncoder().encode('fresh keys'))).rejects.toMatchObject({ code: 'QuorumLost' });
  expect(await Bun.file(`${t.paths[1]}/.cairn.sys/${rel}`).text()).toBe('rot');
  // Even with the last good copy gone as well, corrupt copies are no "absent" answer.
  await Bun.$`rm -f ${`${t.paths[3]}/.cairn.sys/${rel}`}`.quiet();
  await expect(store.readSystem('kms/keystore')).rejects.toMatchObject({ code: 'QuorumLost' });
  await store.close();
});
