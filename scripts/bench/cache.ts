// Config cache bench: a steady mixed workload of bucket-setting reads and writes
// over a file-backed settings store. Prints the hit rate and the median lookup
// latency with the cache against reading the store each time. Last line: JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigCache, type SettingsStore } from '../../src/observe/configCache.ts';
import type { BucketMeta, BucketName } from '../../src/storage/types.ts';
import { systemClock } from '../../src/util/clock.ts';
import { seededRandom } from '../../src/util/random.ts';

const bucketCount = 64;
const opCount = 50_000;
const writeFraction = 0.01; // one setting change per hundred lookups: far more churn than real buckets see
const sampleCount = 2_000;

/** Stand-in for the store's bucket metadata: one JSON file per bucket, atomically replaced. */
function fileStore(dir: string): SettingsStore {
  const path = (b: string): string => join(dir, `${b}.json`);
  return {
    async getBucketMeta(bucket: BucketName): Promise<BucketMeta> {
      return JSON.parse(await readFile(path(bucket), 'utf8')) as BucketMeta;
    },
    async putBucketSetting(bucket: BucketName, name: string, value: string | null): Promise<void> {
      const meta = JSON.parse(await readFile(path(bucket), 'utf8')) as BucketMeta;
      if (value === null) delete meta.settings[name];
      else meta.settings[name] = value;
      await writeFile(path(bucket) + '.tmp', JSON.stringify(meta));
      await rename(path(bucket) + '.tmp', path(bucket));
    },
    async listBuckets() {
      return (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => ({ name: f.slice(0, -5) as BucketName, createdMs: 0 }));
    },
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Skewed bucket choice: a few hot buckets, a long tail, as real traffic looks. */
function pick(rand: () => number): BucketName {
  return `bucket-${Math.floor(bucketCount * rand() ** 2)}` as BucketName;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-cache-bench-'));
  try {
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < bucketCount; i++) {
      await writeFile(join(dir, `bucket-${i}.json`), JSON.stringify({ createdMs: 0, settings: { encryption: '{"algorithm":"AES256"}' } }));
    }
    const store = fileStore(dir);
    const random = seededRandom(42);
    const rand = (): number => (random.bytes(4).reduce((a, x) => a * 256 + x, 0)) / 2 ** 32;
    const cache = new ConfigCache(store, { ttlMs: 60_000, entriesMax: 10_000, clock: systemClock });
    const warmed = await cache.warm();

    for (let i = 0; i < opCount; i++) {
      const bucket = pick(rand);
      if (rand() < writeFraction) await cache.putSetting(bucket, 'bandwidth', String(Math.floor(rand() * 1e6)));
      else await cache.getSetting(bucket, 'encryption');
    }
    const s = cache.stats();
    const hitRate = s.hits / (s.hits + s.misses);

    const cachedNs: number[] = [];
    const uncachedNs: number[] = [];
    for (let i = 0; i < sampleCount; i++) {
      const bucket = pick(rand);
      let t = Bun.nanoseconds();
      await store.getBucketMeta(bucket);
      uncachedNs.push(Bun.nanoseconds() - t);
      t = Bun.nanoseconds();
      await cache.getSetting(bucket, 'encryption');
      cachedNs.push(Bun.nanoseconds() - t);
    }
    const cachedMedianUs = median(cachedNs) / 1000;
    const uncachedMedianUs = median(uncachedNs) / 1000;
    console.log(`buckets ${bucketCount}, warmed ${warmed}, ops ${opCount}, writes ${(writeFraction * 100).toFixed(1)}%`);
    console.log(`hits ${s.hits}, misses ${s.misses}, evictions ${s.evictions}, hit rate ${(hitRate * 100).toFixed(2)}% (target > 95%)`);
    console.log(`median lookup: cached ${cachedMedianUs.toFixed(2)} us, store read ${uncachedMedianUs.toFixed(2)} us, speed-up ${(uncachedMedianUs / cachedMedianUs).toFixed(1)}x`);
    console.log(JSON.stringify({ bench: 'config-cache', buckets: bucketCount, ops: opCount, writeFraction, hits: s.hits, misses: s.misses, evictions: s.evictions, hitRate: Number(hitRate.toFixed(4)), hitRateOk: hitRate > 0.95, cachedMedianUs: Number(cachedMedianUs.toFixed(3)), storeMedianUs: Number(uncachedMedianUs.toFixed(3)), speedup: Number((uncachedMedianUs / cachedMedianUs).toFixed(1)) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
