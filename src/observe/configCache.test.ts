import { describe, expect, test } from 'bun:test';
import { ConfigCache, withConfigCache, type SettingsStore } from './configCache.ts';
import { openTestStore, tempDrives } from '../storage/test-helpers.ts';
import { StorageError, type BucketMeta, type BucketName } from '../storage/types.ts';
import { fixedClock } from '../util/clock.ts';

const b = (name: string): BucketName => name as BucketName;

function memoryStore(names: string[]): SettingsStore & { reads: number; metas: Map<string, BucketMeta>; gate: Promise<void> | undefined } {
  const metas = new Map<string, BucketMeta>(names.map((n) => [n, { createdMs: 1, settings: {} }]));
  const store = {
    reads: 0,
    metas,
    gate: undefined as Promise<void> | undefined,
    async getBucketMeta(bucket: BucketName): Promise<BucketMeta> {
      store.reads += 1;
      const m = metas.get(bucket);
      if (m === undefined) throw new StorageError('NoSuchBucket');
      const snapshot = { createdMs: m.createdMs, settings: { ...m.settings } };
      if (store.gate !== undefined) await store.gate;
      return snapshot;
    },
    async putBucketSetting(bucket: BucketName, name: string, value: string | null): Promise<void> {
      const m = metas.get(bucket);
      if (m === undefined) throw new StorageError('NoSuchBucket');
      if (value === null) delete m.settings[name];
      else m.settings[name] = value;
    },
    async listBuckets() {
      return [...metas.keys()].map((n) => ({ name: b(n), createdMs: 1 }));
    },
  };
  return store;
}

describe('ConfigCache', () => {
  test('reads through once, then hits', async () => {
    const store = memoryStore(['a']);
    const cache = new ConfigCache(store, { ttlMs: 60_000, entriesMax: 10, clock: fixedClock(0) });
    expect(await cache.getSetting(b('a'), 'encryption')).toBeUndefined();
    expect(await cache.getSetting(b('a'), 'encryption')).toBeUndefined();
    expect(store.reads).toBe(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, evictions: 0, entries: 1 });
  });

  test('every write through putSetting invalidates', async () => {
    const store = memoryStore(['a']);
    const cache = new ConfigCache(store, { ttlMs: 60_000, entriesMax: 10, clock: fixedClock(0) });
    await cache.settings(b('a'));
    await cache.putSetting(b('a'), 'encryption', '{"algorithm":"AES256"}');
    expect(await cache.getSetting(b('a'), 'encryption')).toBe('{"algorithm":"AES256"}');
    await cache.putSetting(b('a'), 'encryption', null);
    expect(await cache.getSetting(b('a'), 'encryption')).toBeUndefined();
  });

  test('entries expire after the TTL of the injected clock', async () => {
    const clock = fixedClock(1_000);
    const store = memoryStore(['a']);
    const cache = new ConfigCache(store, { ttlMs: 5_000, entriesMax: 10, clock });
    await cache.settings(b('a'));
    store.metas.get('a')!.settings['x'] = '1'; // a change behind the cache's back
    clock.advanceMs(4_000);
    expect(await cache.getSetting(b('a'), 'x')).toBeUndefined();
    clock.advanceMs(2_000);
    expect(await cache.getSetting(b('a'), 'x')).toBe('1');
    expect(cache.stats().evictions).toBe(1);
  });

  test('LRU bound evicts and counts', async () => {
    const store = memoryStore(['a', 'b', 'c']);
    const sinkCounts = { hit: 0, miss: 0, eviction: 0 };
    const sink = { hit: () => { sinkCounts.hit++; }, miss: () => { sinkCounts.miss++; }, eviction: () => { sinkCounts.eviction++; } };
    const cache = new ConfigCache(store, { ttlMs: 60_000, entriesMax: 2, clock: fixedClock(0), sink });
    for (const n of ['a', 'b', 'c']) await cache.settings(b(n));
    expect(cache.stats().entries).toBe(2);
    expect(sinkCounts).toEqual({ hit: 0, miss: 3, eviction: 1 });
  });

  test('warm loads every bucket so the first lookups hit', async () => {
    const store = memoryStore(['a', 'b', 'c']);
    const cache = new ConfigCache(store, { ttlMs: 60_000, entriesMax: 10, clock: fixedClock(0) });
    expect(await cache.warm()).toBe(3);
    for (const n of ['a', 'b', 'c']) await cache.settings(b(n));
    expect(cache.stats()).toMatchObject({ hits: 3, misses: 0 });
  });

  test('missing buckets throw and are not cached', async () => {
    const cache = new ConfigCache(memoryStore([]), { ttlMs: 60_000, entriesMax: 10, clock: fixedClock(0) });
    await expect(cache.settings(b('nope'))).rejects.toThrow('NoSuchBucket');
    expect(cache.stats().entries).toBe(0);
  });

  test('concurrent misses share one read; a read racing a write never caches the old value', async () => {
    const store = memoryStore(['a']);
    const cache = new ConfigCache(store, { ttlMs: 60_000, entriesMax: 10, clock: fixedClock(0) });
    let open = (): void => {};
    store.gate = new Promise<void>((r) => { open = r; });
    const r1 = cache.settings(b('a'));
    const r2 = cache.settings(b('a'));
    await Promise.resolve();
    await cache.putSetting(b('a'), 'x', 'new'); // lands while the slow read holds the old snapshot
    open();
    store.gate = undefined;
    expect((await r1)['x']).toBeUndefined();
    expect((await r2)['x']).toBeUndefined();
    expect(store.reads).toBe(1);
    expect(await cache.getSetting(b('a'), 'x')).toBe('new');
  });
});

describe('withConfigCache', () => {
  test('the S3 view of a real store reads bucket metadata through the cache and invalidates on writes', async () => {
    const drives = await tempDrives(4);
    const store = await openTestStore(drives.paths);
    try {
      const cache = new ConfigCache(store, { ttlMs: 60_000, entriesMax: 10, clock: fixedClock(0) });
      const s3View = withConfigCache(store, cache);
      await s3View.makeBucket(b('photos'));
      expect((await s3View.getBucketMeta(b('photos'))).settings).toEqual({});
      await s3View.putBucketSetting(b('photos'), 'encryption', '{"algorithm":"AES256"}');
      expect((await s3View.getBucketMeta(b('photos'))).settings['encryption']).toBe('{"algorithm":"AES256"}');
      expect((await store.getBucketMeta(b('photos'))).settings['encryption']).toBe('{"algorithm":"AES256"}');
      const before = cache.stats();
      await s3View.getBucketMeta(b('photos'));
      expect(cache.stats().hits).toBe(before.hits + 1);
      (await s3View.getBucketMeta(b('photos'))).settings['x'] = 'mutating a copy is harmless';
      expect(await cache.getSetting(b('photos'), 'x')).toBeUndefined();
      await s3View.deleteBucket(b('photos'));
      await expect(s3View.getBucketMeta(b('photos'))).rejects.toThrow();
      expect((await s3View.listBuckets()).length).toBe(0); // other methods pass through
    } finally {
      await store.close();
      await drives.cleanup();
    }
  });
});
