import { afterAll, describe, expect, test } from 'bun:test';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { b, bodyOf, k, openTestStore, plain, randomBytes, readAll, sha, shardFiles, tempDrives, type TempDrives } from './test-helpers.ts';
import type { ObjectStore } from './types.ts';
import type { StoreOptions } from './index.ts';

const mib = 1024 * 1024;
const temps: TempDrives[] = [];
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });

const sizes = [0, 1, mib - 1, mib, 3 * mib + 17];

/** A store on fresh temp drives (removed after the file) with the bucket `bkt`. */
async function withBucket(drives: number, options: Partial<StoreOptions> = {}) {
  const t = await tempDrives(drives);
  temps.push(t);
  const store = await openTestStore(t.paths, options);
  await store.makeBucket(b('bkt'));
  return { t, store };
}

async function populated(drives: number, parity: number) {
  const { t, store } = await withBucket(drives, { parity });
  for (const size of sizes) await store.put(b('bkt'), k(`dir/o${size}`), bodyOf(randomBytes(size, size)), plain);
  return { t, store };
}

async function expectAllReadable(store: ObjectStore): Promise<void> {
  for (const size of sizes) {
    const got = await store.get(b('bkt'), k(`dir/o${size}`));
    expect(sha(await readAll(got.stream))).toBe(sha(randomBytes(size, size)));
  }
  const listed = await store.list(b('bkt'), { prefix: 'dir/', delimiter: '/', marker: '', maxKeys: 100 });
  expect(listed.objects).toHaveLength(sizes.length);
}

describe('lost drives', () => {
  test('4+2: up to M removed drive directories, every object reads byte-exact', async () => {
    const { t, store } = await populated(6, 2);
    await rm(t.paths[0]!, { recursive: true });
    await rm(t.paths[4]!, { recursive: true });
    await expectAllReadable(store);
    await store.close();
  });

  test('4+2: drives replaced by unreadable files after a restart still serve from the rest', async () => {
    const { t, store } = await populated(6, 2);
    await store.close();
    for (const i of [1, 5]) {
      await rm(t.paths[i]!, { recursive: true });
      await writeFile(t.paths[i]!, 'not a directory');
    }
    const again = await openTestStore(t.paths);
    await expectAllReadable(again);
    // Writes still reach the write quorum (4 of 6).
    await again.put(b('bkt'), k('new'), bodyOf(randomBytes(5000, 1)), plain);
    expect((await again.head(b('bkt'), k('new'))).size).toBe(5000);
    expect((await again.info()).drives.filter((d) => d.state === 'offline').map((d) => d.index)).toEqual([1, 5]);
    await again.close();
  });

  test('below quorum: clear errors, never a success', async () => {
    const { t, store } = await populated(6, 2);
    for (const i of [0, 2, 3]) await rm(t.paths[i]!, { recursive: true });
    await expect(store.put(b('bkt'), k('x'), bodyOf(randomBytes(10, 1)), plain)).rejects.toMatchObject({ code: 'QuorumLost' });
    const r = store.get(b('bkt'), k(`dir/o${mib}`)).then(async (g) => readAll(g.stream));
    await expect(r).rejects.toMatchObject({ code: expect.stringMatching(/NoSuchKey|QuorumLost|DataCorrupt/) });
    await store.close();
  });

  test('2+2 needs K+1 drives to write', async () => {
    const { t, store } = await populated(4, 2);
    await rm(t.paths[3]!, { recursive: true });
    await store.put(b('bkt'), k('ok'), bodyOf(randomBytes(10, 1)), plain);
    await rm(t.paths[2]!, { recursive: true });
    await expect(store.put(b('bkt'), k('no'), bodyOf(randomBytes(10, 1)), plain)).rejects.toMatchObject({ code: 'QuorumLost' });
    await expectAllReadable(store);
    await store.close();
  });
});

describe('bitrot and healing', () => {
  test('flipped bytes: reads stay exact, bitrot is counted, heal restores the shard file', async () => {
    const { t, store } = await populated(6, 2);
    const files = await shardFiles(t, `dir/o${3 * mib + 17}`);
    expect(files).toHaveLength(6);
    const original = await Bun.file(files[1]!).bytes();
    const damaged = original.slice();
    for (const at of [9, 300_000, damaged.length - 1]) damaged[at] = damaged[at]! ^ 0x5a;
    await writeFile(files[1]!, damaged);
    const other = await Bun.file(files[3]!).bytes();
    await writeFile(files[3]!, other.subarray(0, 1000));
    await expectAllReadable(store);
    expect(store.healCounters().bitrotDetected).toBeGreaterThan(0);
    // The reads queued a background heal; an explicit heal finishes whatever is left.
    const healed = await store.heal(b('bkt'), k(`dir/o${3 * mib + 17}`));
    expect(store.healCounters().healedShards).toBe(2);
    expect(healed.healedShards).toBeLessThanOrEqual(2);
    const after = await shardFiles(t, `dir/o${3 * mib + 17}`);
    expect(sha(await Bun.file(after[1]!).bytes())).toBe(sha(original));
    expect(sha(await Bun.file(after[3]!).bytes())).toBe(sha(other));
    expect((await store.heal(b('bkt'), k(`dir/o${3 * mib + 17}`))).healedShards).toBe(0);
    await store.close();
  });

  test('a replaced, empty drive is formatted at start and refilled', async () => {
    const { t, store } = await populated(6, 2);
    const before = await shardFiles(t, `dir/o${mib}`);
    const want = sha(await Bun.file(before[2]!).bytes());
    await store.close();
    await rm(t.paths[2]!, { recursive: true });
    const again = await openTestStore(t.paths);
    await again.healAll();
    const after = await shardFiles(t, `dir/o${mib}`);
    expect(after).toHaveLength(6);
    expect(sha(await Bun.file(after[2]!).bytes())).toBe(want);
    expect(again.healCounters().healedShards).toBeGreaterThan(0);
    // Only drive 2 and the healed copy are needed alongside 3 others: drop two more and read.
    await rm(t.paths[0]!, { recursive: true });
    await rm(t.paths[1]!, { recursive: true });
    await expectAllReadable(again);
    await again.close();
  });

  test('the drive monitor notices a wiped drive while running and refills it', async () => {
    const { t, store } = await withBucket(4, { driveProbeIntervalMs: 20 });
    await store.put(b('bkt'), k('dir/m'), bodyOf(randomBytes(2 * mib, 4)), plain);
    await rm(t.paths[1]!, { recursive: true });
    await Bun.$`mkdir ${t.paths[1]!}`;
    for (let i = 0; i < 200 && (await shardFiles(t, 'dir/m').catch(() => [])).length < 4; i++) await Bun.sleep(25);
    expect(await shardFiles(t, 'dir/m')).toHaveLength(4);
    await store.close();
  });
});

describe('corrupt metadata', () => {
  const metaOf = (t: TempDrives, i: number, key: string): string => join(t.paths[i]!, 'buckets', 'bkt', 'objects', '_dir', `_${key}`, 'meta');

  test('too many corrupt copies: reads fail as unavailable, never as "no such key"; a write supersedes and a delete clears', async () => {
    const { t, store } = await populated(4, 2);
    for (const i of [0, 1, 2]) await writeFile(metaOf(t, i, `o${mib}`), 'not metadata at all');
    for (const i of [1, 2, 3]) await writeFile(metaOf(t, i, 'o1'), '{"torn":');
    await expect(store.head(b('bkt'), k(`dir/o${mib}`))).rejects.toMatchObject({ code: 'QuorumLost' });
    await expect(store.get(b('bkt'), k(`dir/o${mib}`))).rejects.toMatchObject({ code: 'QuorumLost' });
    const fresh = randomBytes(3000, 9);
    await store.put(b('bkt'), k(`dir/o${mib}`), bodyOf(fresh), plain);
    expect(sha(await readAll((await store.get(b('bkt'), k(`dir/o${mib}`))).stream))).toBe(sha(fresh));
    await store.delete(b('bkt'), k('dir/o1'));
    await expect(store.head(b('bkt'), k('dir/o1'))).rejects.toMatchObject({ code: 'NoSuchKey' });
    for (const i of [0, 1, 2, 3]) expect(await Bun.file(metaOf(t, i, 'o1')).exists()).toBe(false);
    await store.close();
  });

  test('one corrupt copy is read around and rewritten by healing', async () => {
    const { t, store } = await populated(4, 2);
    await writeFile(metaOf(t, 2, 'o1'), 'garbage');
    expect(sha(await readAll((await store.get(b('bkt'), k('dir/o1'))).stream))).toBe(sha(randomBytes(1, 1)));
    await store.heal(b('bkt'), k('dir/o1'));
    expect(await Bun.file(metaOf(t, 2, 'o1')).text()).not.toBe('garbage');
    expect(sha(await readAll((await store.get(b('bkt'), k('dir/o1'))).stream))).toBe(sha(randomBytes(1, 1)));
    await store.close();
  });
});

describe('small (inline) objects and the scanner', () => {
  test('inline shard corruption and a lost metadata copy are detected and healed', async () => {
    const { t, store } = await withBucket(6, { parity: 2 });
    const data = randomBytes(20_000, 11);
    await store.put(b('bkt'), k('dir/small'), bodyOf(data), plain);
    const metaPath = (i: number): string => join(t.paths[i]!, 'buckets', 'bkt', 'objects', '_dir', '_small', 'meta');
    // Small objects are one file per drive: no separate data file.
    expect((await readdir(join(t.paths[0]!, 'buckets', 'bkt', 'objects', '_dir', '_small')))).toEqual(['meta']);
    const original = await Bun.file(metaPath(0)).bytes();
    const damaged = original.slice();
    damaged[damaged.length - 5] = damaged[damaged.length - 5]! ^ 1;
    await writeFile(metaPath(0), damaged);
    await rm(metaPath(4));
    expect(sha(await readAll((await store.get(b('bkt'), k('dir/small'))).stream))).toBe(sha(data));
    await store.heal(b('bkt'), k('dir/small'));
    expect(sha(await Bun.file(metaPath(0)).bytes())).toBe(sha(original));
    expect(await Bun.file(metaPath(4)).exists()).toBe(true);
    expect(store.healCounters().bitrotDetected).toBeGreaterThan(0);
    await store.close();
  });

  test('the background scanner walks every object and repairs what is missing', async () => {
    const { t, store } = await withBucket(4, { healScanIntervalMs: 30, healScanObjectsPerSec: 1000 });
    for (let i = 0; i < 5; i++) await store.put(b('bkt'), k(`dir/s${i}`), bodyOf(randomBytes(200_000, i)), plain);
    const victim = join(t.paths[1]!, 'buckets', 'bkt', 'objects', '_dir', '_s3');
    // One atomic rename, so the running scanner never sees a half-removed directory.
    await rename(victim, join(t.root, 'moved-away'));
    for (let i = 0; i < 200 && !((await Bun.file(join(victim, 'meta')).exists()) && store.healCounters().scannedObjects >= 5); i++) await Bun.sleep(25);
    expect(await Bun.file(join(victim, 'meta')).exists()).toBe(true);
    expect(store.healCounters().scannedObjects).toBeGreaterThanOrEqual(5);
    expect(store.healCounters().healedObjects).toBeGreaterThanOrEqual(1);
    await store.close();
  });
});

test('temp and trash directories removed from under running drives are made again: writes, overwrites and deletes go on', async () => {
  const { t, store } = await withBucket(4);
  await store.put(b('bkt'), k('after'), bodyOf(randomBytes(2 * mib, 76)), plain);
  for (const i of [0, 1, 2]) for (const dir of ['tmp', 'trash']) await rm(join(t.paths[i]!, '.cairn.sys', dir), { recursive: true, force: true });
  const data = randomBytes(3 * mib + 5, 77);
  await store.put(b('bkt'), k('after'), bodyOf(data), plain);
  await store.put(b('bkt'), k('small'), bodyOf(randomBytes(100, 1)), plain);
  await store.delete(b('bkt'), k('small'));
  expect(sha(await readAll((await store.get(b('bkt'), k('after'))).stream))).toBe(sha(data));
  await expect(store.head(b('bkt'), k('small'))).rejects.toMatchObject({ code: 'NoSuchKey' });
  expect((await store.info()).drives.filter((d) => d.state !== 'online')).toEqual([]);
  await store.close();
});

describe('an object a little over one block', () => {
  test('is stored as one block (when its size is known up front) and reads, ranges and heals like any other', async () => {
    const { t, store } = await withBucket(4, { parity: 2 });
    const size = mib + 512; // an encrypted 1 MiB object
    const data = randomBytes(size, 7);
    await store.put(b('bkt'), k('dir/oone'), bodyOf(data), { ...plain, sizeHintBytes: size });
    await store.put(b('bkt'), k('dir/otwo'), bodyOf(data), plain);
    const oneBlock = 8 + size / 2;
    for (const f of await shardFiles(t, 'dir/oone')) expect(Bun.file(f).size).toBe(oneBlock);
    // Without the hint: a full block and a 512-byte one.
    for (const f of await shardFiles(t, 'dir/otwo')) expect(Bun.file(f).size).toBe(8 + mib / 2 + 8 + 256);
    // A hint that turns out wrong (the body is bigger) still stores and reads exactly.
    const big = randomBytes(3 * mib + 5, 8);
    await store.put(b('bkt'), k('dir/owrong-hint'), bodyOf(big), { ...plain, sizeHintBytes: size });
    expect(sha(await readAll((await store.get(b('bkt'), k('dir/owrong-hint'))).stream))).toBe(sha(big));
    // Too far over a block: the usual layout.
    await store.put(b('bkt'), k('dir/ofar'), bodyOf(big), { ...plain, sizeHintBytes: big.length });
    for (const f of await shardFiles(t, 'dir/ofar')) expect(Bun.file(f).size).toBeGreaterThan(3 * (8 + mib / 2));

    const before = await shardFiles(t, 'dir/oone');
    await rm(before[1]!);
    await rm(t.paths[3]!, { recursive: true });
    expect(sha(await readAll((await store.get(b('bkt'), k('dir/oone'))).stream))).toBe(sha(data));
    for (const [offset, length] of [[0, 10], [mib - 3, 100], [mib + 500, 12], [5, size - 5]] as const) {
      const got = await store.get(b('bkt'), k('dir/oone'), { offset, length });
      expect(sha(await readAll(got.stream))).toBe(sha(data.subarray(offset, offset + length)));
    }
    await store.close();
    const again = await openTestStore(t.paths);
    await again.healAll();
    const after = await shardFiles(t, 'dir/oone');
    expect(after).toHaveLength(4);
    for (const f of after) expect(Bun.file(f).size).toBe(oneBlock);
    expect(sha(await readAll((await again.get(b('bkt'), k('dir/oone'))).stream))).toBe(sha(data));
    await again.close();
  }, 30_000);
});
