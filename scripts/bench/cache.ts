// Config cache bench: a steady mixed workload of bucket-setting reads and writes
// over the real erasure-coded store (4 temp drives). Prints the hit rate and the
// median lookup latency with the cache against reading the store each time.
// Last line: JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigCache } from '../../src/observe/configCache.ts';
import { openObjectStore } from '../../src/storage/index.ts';
import type { BucketName } from '../../src/storage/types.ts';
import { systemClock } from '../../src/util/clock.ts';
import { seededRandom } from '../../src/util/random.ts';

const bucketCount = 64;
const opCount = 20_000;
const writeFraction = 0.01; // one setting change per hundred lookups: far more churn than real buckets see
const sampleCount = 1_000;

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
  // fsync off: the bench measures lookups, not the durability of setting writes.
  const store = await openObjectStore({ drives: [1, 2, 3, 4].map((i) => join(dir, `d${i}`)), fsync: false, healScanIntervalMs: 0, driveProbeIntervalMs: 0 });
  try {
    for (let i = 0; i < bucketCount; i++) {
      const bucket = `bucket-${i}` as BucketName;
      await store.makeBucket(bucket);
      await store.putBucketSetting(bucket, 'encryption', '{"algorithm":"AES256"}');
    }
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
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
