// Read-through cache of bucket settings (default encryption, bandwidth limit, ...)
// over the store's bucket metadata: an LRU with a TTL, invalidated by every write
// that goes through it, warmed at start, counting hits, misses and evictions.
import { LRUCache } from 'lru-cache';
import type { BucketMeta, BucketName, ObjectStore } from '../storage/types.ts';
import type { Clock } from '../util/clock.ts';
import { assert } from '../util/assert.ts';

export type BucketSettings = Readonly<Record<string, string>>;
type CachedMeta = Readonly<{ createdMs: number; settings: BucketSettings }>;
export type SettingsStore = Pick<ObjectStore, 'getBucketMeta' | 'putBucketSetting' | 'listBuckets'>;

/** Where the cache reports its counters (the metrics registry in production). */
export interface CacheCounterSink {
  hit(): void;
  miss(): void;
  eviction(): void;
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
}

export interface ConfigCacheOptions {
  ttlMs: number;
  entriesMax: number;
  clock: Clock;
  sink?: CacheCounterSink;
}

export class ConfigCache {
  private readonly lru: LRUCache<string, CachedMeta>;
  private readonly loading = new Map<string, Promise<CachedMeta>>();
  /** Bumped on every invalidation, so a load that started before a write never caches the old value. */
  private readonly generations = new Map<string, number>();
  private readonly counts = { hits: 0, misses: 0, evictions: 0 };

  constructor(
    private readonly store: SettingsStore,
    private readonly options: ConfigCacheOptions,
  ) {
    assert(options.ttlMs > 0 && options.entriesMax > 0, 'cache bounds must be positive');
    this.lru = new LRUCache<string, CachedMeta>({
      max: options.entriesMax,
      ttl: options.ttlMs,
      ttlResolution: 0, // read the injected clock on every check
      perf: { now: () => options.clock.nowMs() },
      dispose: (_value, _key, reason) => {
        if (reason === 'evict' || reason === 'expire') this.countEviction();
      },
    });
  }

  private countEviction(): void {
    this.counts.evictions += 1;
    this.options.sink?.eviction();
  }

  /** All settings of a bucket. Throws the store's NoSuchBucket; missing buckets are not cached. */
  async settings(bucket: BucketName): Promise<BucketSettings> {
    return (await this.meta(bucket)).settings;
  }

  /** The bucket document (creation time and settings), read through the cache. */
  async meta(bucket: BucketName): Promise<CachedMeta> {
    const cached = this.lru.get(bucket);
    if (cached !== undefined) {
      this.counts.hits += 1;
      this.options.sink?.hit();
      return cached;
    }
    this.counts.misses += 1;
    this.options.sink?.miss();
    return this.load(bucket);
  }

  async getSetting(bucket: BucketName, name: string): Promise<string | undefined> {
    return (await this.settings(bucket))[name];
  }

  /** Writes through the store (null removes the setting), then drops the cached entry. */
  async putSetting(bucket: BucketName, name: string, value: string | null): Promise<void> {
    this.invalidate(bucket);
    try {
      await this.store.putBucketSetting(bucket, name, value);
    } finally {
      // Invalidate again: a read between the two calls may have cached the old value.
      this.invalidate(bucket);
    }
  }

  /** For writes that bypass putSetting (bucket deletion, another node's change). */
  invalidate(bucket: BucketName): void {
    this.generations.set(bucket, (this.generations.get(bucket) ?? 0) + 1);
    this.loading.delete(bucket);
    this.lru.delete(bucket);
  }

  /** Loads every bucket's settings. Returns how many were cached; one failing bucket does not stop the rest. */
  async warm(): Promise<number> {
    let count = 0;
    for (const b of await this.store.listBuckets()) {
      if (this.lru.size >= this.options.entriesMax) break;
      try {
        await this.load(b.name);
        count += 1;
      } catch {
        // A bucket deleted meanwhile, or metadata briefly unreadable: the first request reads through.
      }
    }
    return count;
  }

  stats(): CacheStats {
    return { ...this.counts, entries: this.lru.size };
  }

  private load(bucket: BucketName): Promise<CachedMeta> {
    const pending = this.loading.get(bucket);
    if (pending !== undefined) return pending;
    const generation = this.generations.get(bucket) ?? 0;
    const promise = this.store.getBucketMeta(bucket).then((meta) => {
      const cached: CachedMeta = Object.freeze({ createdMs: meta.createdMs, settings: Object.freeze({ ...meta.settings }) });
      if ((this.generations.get(bucket) ?? 0) === generation) this.lru.set(bucket, cached);
      return cached;
    });
    this.loading.set(bucket, promise);
    const clear = (): void => {
      if (this.loading.get(bucket) === promise) this.loading.delete(bucket);
    };
    promise.then(clear, clear);
    return promise;
  }
}

/**
 * The store as the S3 layer should see it: bucket metadata reads go through the
 * cache, and every setting write, bucket creation and deletion invalidates it.
 * Everything else passes straight to the store.
 */
export function withConfigCache(store: ObjectStore, cache: ConfigCache): ObjectStore {
  const overrides: Partial<ObjectStore> = {
    getBucketMeta: async (bucket: BucketName): Promise<BucketMeta> => {
      const m = await cache.meta(bucket);
      return { createdMs: m.createdMs, settings: { ...m.settings } };
    },
    putBucketSetting: (bucket, name, value) => cache.putSetting(bucket, name, value),
    makeBucket: async (bucket, settings) => {
      try {
        await store.makeBucket(bucket, settings);
      } finally {
        cache.invalidate(bucket);
      }
    },
    deleteBucket: async (bucket) => {
      try {
        await store.deleteBucket(bucket);
      } finally {
        cache.invalidate(bucket);
      }
    },
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const own = typeof prop === 'string' ? overrides[prop as keyof ObjectStore] : undefined;
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(target, prop, receiver);
      // Bind so class methods keep their own `this` (private fields do not work through a proxy).
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
