// Disk-full and read-only drives, on real small tmpfs mounts (needs root; skipped otherwise).
import { afterAll, expect, test } from 'bun:test';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { b, bodyOf, k, openTestStore, plain, randomBytes, tempDrives, type TempDrives } from './test-helpers.ts';

const temps: TempDrives[] = [];
const mounts: string[] = [];
afterAll(async () => {
  for (const m of mounts) await Bun.$`umount ${m}`.quiet().nothrow();
  await Promise.all(temps.map((t) => t.cleanup()));
});

async function mountTmpfs(dir: string, sizeBytes: number): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const r = await Bun.$`mount -t tmpfs -o size=${sizeBytes} tmpfs ${dir}`.quiet().nothrow();
  if (r.exitCode === 0) mounts.push(dir);
  return r.exitCode === 0;
}

const probe = await tempDrives(1);
temps.push(probe);
const canMount = process.getuid?.() === 0 && (await mountTmpfs(join(probe.root, 'probe'), 1 << 20));

async function layout() {
  const t = await tempDrives(4);
  temps.push(t);
  for (const i of [2, 3]) expect(await mountTmpfs(t.paths[i]!, 1536 * 1024)).toBe(true);
  const store = await openTestStore(t.paths);
  await store.makeBucket(b('bkt'));
  return { t, store };
}

async function expectNoLeftovers(t: TempDrives): Promise<void> {
  for (const p of t.paths) expect(await readdir(join(p, '.cairn.sys', 'tmp'))).toEqual([]);
}

test.skipIf(!canMount)('a full drive set fails the put cleanly and leaves nothing behind', async () => {
  const { t, store } = await layout();
  await expect(store.put(b('bkt'), k('big'), bodyOf(randomBytes(8 * 1024 * 1024, 1)), plain)).rejects.toMatchObject({ code: 'DiskFull' });
  await expect(store.head(b('bkt'), k('big'))).rejects.toMatchObject({ code: 'NoSuchKey' });
  await expectNoLeftovers(t);
  // The drives are full, not broken: small writes still fit.
  await store.put(b('bkt'), k('small'), bodyOf(randomBytes(1000, 2)), plain);
  expect((await store.head(b('bkt'), k('small'))).size).toBe(1000);
  expect((await store.info()).drives.every((d) => d.state === 'online')).toBe(true);
  await store.close();
});

test.skipIf(!canMount)('read-only drives give ReadOnly, never a partial object', async () => {
  const { t, store } = await layout();
  await store.put(b('bkt'), k('before'), bodyOf(randomBytes(1000, 3)), plain);
  for (const i of [2, 3]) await Bun.$`mount -o remount,ro ${t.paths[i]!}`.quiet();
  await expect(store.put(b('bkt'), k('after'), bodyOf(randomBytes(1000, 4)), plain)).rejects.toMatchObject({ code: 'ReadOnly' });
  await expect(store.head(b('bkt'), k('after'))).rejects.toMatchObject({ code: 'NoSuchKey' });
  expect((await store.head(b('bkt'), k('before'))).size).toBe(1000);
  await store.close();
});
