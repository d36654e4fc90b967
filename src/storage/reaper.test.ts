import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '../util/log.ts';
import { exchangePaths } from './libc.ts';
import { objectRel, tmpDir, trashDir } from './paths.ts';
import { Reaper } from './reaper.ts';
import { b, bodyOf, k, openTestStore, plain, randomBytes, sha, shardFiles, shaOfStream, tempDrives, type TempDrives } from './test-helpers.ts';

const temps: TempDrives[] = [];
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });
const workerUrl = new URL('./reaper-worker.ts', import.meta.url);

async function scratch(): Promise<string> {
  const t = await tempDrives(1);
  temps.push(t);
  await mkdir(t.paths[0]!, { recursive: true });
  return t.paths[0]!;
}

/** Files and a tree with files in it, under dir. */
async function litter(dir: string, n: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = join(dir, `f${i}`);
    await writeFile(file, randomBytes(4096, i));
    paths.push(file);
  }
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'a', 'b'), { recursive: true });
  await writeFile(join(tree, 'a', 'b', 'leaf'), 'x');
  paths.push(tree);
  return paths;
}

/** Polls until check() holds; fails after timeoutMs. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await Bun.sleep(20);
  }
}

const entries = async (dir: string): Promise<string[]> => readdir(dir).catch(() => []);

describe('reaper', () => {
  const modes = [
    ['on one worker', workerUrl, 1],
    ['on three workers, drives sharing them by index', workerUrl, 3],
    ['inline, without a worker', undefined, 1],
    ['inline, after its workers failed to start', new URL('./no-such-worker.ts', import.meta.url), 2],
  ] as const;
  for (const [mode, url, lanes] of modes) {
    test(`${mode}: deletes files and trees; idle() resolves once all are gone`, async () => {
      const dir = await scratch();
      const paths = await litter(dir, 7);
      const reaper = new Reaper(url, silentLogger, { lanes });
      try {
        for (const [i, p] of paths.entries()) await reaper.remove(p, i);
        await reaper.remove(join(dir, 'never-existed'));
        await reaper.idle();
        expect(reaper.backlog).toBe(0);
        for (const p of paths) expect(existsSync(p)).toBe(false);
      } finally {
        reaper.close();
      }
    });
  }

  test('the backlog is bounded: remove() returns only once the queue has room', async () => {
    const dir = await scratch();
    const paths = await litter(dir, 6);
    const reaper = new Reaper(undefined, silentLogger, { backlogMax: 2 });
    try {
      for (const p of paths) {
        await reaper.remove(p);
        expect(reaper.backlog).toBeLessThanOrEqual(2);
      }
      // Six were queued and never more than two waited, so the first ones are gone already.
      expect(existsSync(paths[0]!)).toBe(false);
      await reaper.idle();
      for (const p of paths) expect(existsSync(p)).toBe(false);
    } finally {
      reaper.close();
    }
  });

  test('after close, remove() deletes in place', async () => {
    const dir = await scratch();
    const [file] = await litter(dir, 1);
    const reaper = new Reaper(workerUrl, silentLogger);
    reaper.close();
    await reaper.remove(file!);
    expect(existsSync(file!)).toBe(false);
  });
});

test.if(process.platform === 'linux')('exchangePaths swaps two files atomically, and declines when one is missing', async () => {
  const dir = await scratch();
  const [a, bPath] = [join(dir, 'a'), join(dir, 'b')];
  await writeFile(a, 'new');
  await writeFile(bPath, 'old');
  expect(exchangePaths(a, bPath)).toBe(true);
  expect(await readFile(bPath, 'utf8')).toBe('new');
  expect(await readFile(a, 'utf8')).toBe('old');
  expect(exchangePaths(join(dir, 'missing'), bPath)).toBe(false);
  expect(exchangePaths(a, join(dir, 'missing'))).toBe(false);
  expect(await readFile(bPath, 'utf8')).toBe('new');
});

describe('removed data goes through the trash', () => {
  const block = 1024 * 1024;

  /** A fresh 2+2 store with bucket `bkt`, closed after `run`. */
  async function withStore(run: (t: TempDrives, store: Awaited<ReturnType<typeof openTestStore>>) => Promise<void>): Promise<void> {
    const t = await tempDrives(4);
    temps.push(t);
    const store = await openTestStore(t.paths, { parity: 2 });
    try {
      await store.makeBucket(b('bkt'));
      await run(t, store);
    } finally {
      await store.close();
    }
  }

  test('an overwrite leaves only the new data in the object directory at once; trash and temp files empty after', () => withStore(async (t, store) => {
    const first = randomBytes(3 * block + 5, 1);
    const second = randomBytes(2 * block + 7, 2);
    await store.put(b('bkt'), k('dir/obj'), bodyOf(first), plain);
    const before = await shardFiles(t, 'dir/obj');
    expect(before.length).toBe(4);
    await store.put(b('bkt'), k('dir/obj'), bodyOf(second), plain);
    const after = await shardFiles(t, 'dir/obj');
    expect(after.length).toBe(4);
    for (const f of before) expect(after).not.toContain(f);
    // Nothing waits in the temp directory either: replaced metadata went straight to the trash.
    for (const p of t.paths) expect(await entries(join(p, tmpDir))).toEqual([]);
    expect(await shaOfStream((await store.get(b('bkt'), k('dir/obj'))).stream)).toBe(sha(second));

    await store.delete(b('bkt'), k('dir/obj'));
    for (const p of t.paths) expect(existsSync(join(p, objectRel('bkt', 'dir/obj')))).toBe(false);
    await eventually('trash and temp directories empty', async () => {
      for (const p of t.paths) if ((await entries(join(p, trashDir))).length + (await entries(join(p, tmpDir))).length > 0) return false;
      return true;
    });
  }));

  test('an overwrite removes exactly the files of the version it replaces (one part or many); files no version names are left to healing, which removes them', () => withStore(async (t, store) => {
    // A two-part version, replaced by a one-part one.
    const id = await store.createUpload(b('bkt'), k('obj'), { userMeta: {}, internal: {} });
    const p1 = await store.putPart(b('bkt'), k('obj'), id, 1, bodyOf(randomBytes(5 * block, 1)), { internal: {}, md5: true });
    const p2 = await store.putPart(b('bkt'), k('obj'), id, 2, bodyOf(randomBytes(block + 3, 2)), { internal: {}, md5: true });
    await store.completeUpload(b('bkt'), k('obj'), id, [{ partNumber: 1, etag: p1.etag }, { partNumber: 2, etag: p2.etag }], {});
    const multipart = await shardFiles(t, 'obj');
    expect(multipart.length).toBe(8);
    // Data of a write cut short after moving its files in, before its metadata: no version names it.
    const strays = [0, 2].map((i) => join(t.paths[i]!, objectRel('bkt', 'obj'), 'D0123456789abcdef0123456789abcdef.1'));
    for (const f of strays) await writeFile(f, randomBytes(1000, 3));
    const second = randomBytes(3 * block + 5, 4);
    await store.put(b('bkt'), k('obj'), bodyOf(second), plain);
    const afterPut = await shardFiles(t, 'obj');
    for (const f of multipart) expect(afterPut).not.toContain(f);
    expect(afterPut.length).toBe(4 + strays.length);
    for (const f of strays) expect(afterPut).toContain(f);
    // A small (inline) version replaces a file-backed one: no data files remain but the strays.
    await store.put(b('bkt'), k('obj'), bodyOf(randomBytes(100, 5)), plain);
    expect((await shardFiles(t, 'obj')).sort()).toEqual([...strays].sort());
    const third = randomBytes(2 * block, 6);
    await store.put(b('bkt'), k('obj'), bodyOf(third), plain);
    expect((await shardFiles(t, 'obj')).length).toBe(4 + strays.length);
    // Healing a whole object clears what no version names, and the object reads as before.
    await store.heal(b('bkt'), k('obj'));
    const healed = await shardFiles(t, 'obj');
    expect(healed.length).toBe(4);
    for (const f of strays) expect(healed).not.toContain(f);
    expect(await shaOfStream((await store.get(b('bkt'), k('obj'))).stream)).toBe(sha(third));
  }));

  test('trash and temp files left by an earlier run are deleted after start, and the store works meanwhile', async () => {
    const t = await tempDrives(4);
    temps.push(t);
    let store = await openTestStore(t.paths, { parity: 2 });
    await store.makeBucket(b('bkt'));
    await store.close();
    for (const p of t.paths) {
      await mkdir(join(p, trashDir), { recursive: true });
      await litter(join(p, trashDir), 3);
      await writeFile(join(p, tmpDir, 'cut-short-write'), randomBytes(100_000, 9));
    }
    store = await openTestStore(t.paths, { parity: 2 });
    try {
      const data = randomBytes(block + 1, 3);
      await store.put(b('bkt'), k('after-restart'), bodyOf(data), plain);
      expect(await shaOfStream((await store.get(b('bkt'), k('after-restart'))).stream)).toBe(sha(data));
      await eventually('leftovers deleted', async () => {
        for (const p of t.paths) {
          if ((await entries(join(p, trashDir))).length > 0) return false;
          if ((await entries(join(p, tmpDir))).includes('cut-short-write')) return false;
        }
        return true;
      });
    } finally {
      await store.close();
    }
  });
});
