import { describe, expect, test } from 'bun:test';
import { BandwidthLimiter, TokenBucket, formatBandwidthSetting, parseBandwidthSetting, throttleStream, type Sleep } from './bandwidth.ts';
import { RateLimiter } from './rateLimit.ts';
import type { BucketName } from '../storage/types.ts';
import { fixedClock } from '../util/clock.ts';

/** Virtual time: sleeping advances the clock, so rates are exact and tests fast. */
function virtualTime(): { clock: ReturnType<typeof fixedClock>; sleep: Sleep } {
  const clock = fixedClock(0);
  return { clock, sleep: async (ms) => { clock.advanceMs(ms); } };
}

async function pump(stream: TransformStream<Uint8Array, Uint8Array>, totalBytes: number, chunkBytes: number): Promise<number> {
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (let sent = 0; sent < totalBytes; sent += chunkBytes) c.enqueue(new Uint8Array(Math.min(chunkBytes, totalBytes - sent)));
      c.close();
    },
  });
  let received = 0;
  for await (const chunk of source.pipeThrough(stream)) received += chunk.byteLength;
  return received;
}

describe('bandwidth', () => {
  test('a transfer takes total/rate, less the initial burst', async () => {
    const { clock, sleep } = virtualTime();
    const rate = 1_000_000;
    const tb = new TokenBucket(rate, clock);
    expect(await pump(throttleStream([tb], sleep), 5_000_000, 300_000)).toBe(5_000_000);
    const seconds = clock.nowMs() / 1000;
    expect(seconds).toBeCloseTo((5_000_000 - rate / 10) / rate, 2);
    expect(5_000_000 / seconds / rate).toBeLessThan(1.1);
  });

  test('two streams sharing one bucket split the rate', async () => {
    const { clock, sleep } = virtualTime();
    const tb = new TokenBucket(100_000, clock);
    await Promise.all([pump(throttleStream([tb], sleep), 200_000, 8192), pump(throttleStream([tb], sleep), 200_000, 8192)]);
    expect(clock.nowMs() / 1000).toBeGreaterThanOrEqual((400_000 - 10_000) / 100_000 - 0.05);
  });

  test('the tighter of global and per-bucket limits wins', async () => {
    const { clock, sleep } = virtualTime();
    const settings = new Map<string, string>([['slow', formatBandwidthSetting(50_000)]]);
    const limiter = new BandwidthLimiter({ globalBytesPerSec: 1_000_000, bucketSetting: async (b) => settings.get(b), clock, sleep });
    const slow = await limiter.throttle('slow' as BucketName);
    await pump(slow!, 200_000, 65536);
    expect(clock.nowMs() / 1000).toBeCloseTo((200_000 - 5_000) / 50_000, 1);
    const none = new BandwidthLimiter({ globalBytesPerSec: undefined, bucketSetting: async () => undefined, clock, sleep });
    expect(await none.throttle('x' as BucketName)).toBeUndefined();
    expect(await limiter.throttle('other' as BucketName)).toBeDefined(); // global still applies
  });

  test('setting parse and format', () => {
    expect(parseBandwidthSetting('{"bytesPerSec":4096}')).toBe(4096);
    expect(parseBandwidthSetting('{"bytesPerSec":10}')).toBeUndefined();
    expect(parseBandwidthSetting('nonsense')).toBeUndefined();
    expect(parseBandwidthSetting(undefined)).toBeUndefined();
    expect(() => formatBandwidthSetting(1.5)).toThrow();
  });
});

describe('RateLimiter', () => {
  test('allows a burst, then refuses with a retry time, then refills', () => {
    const clock = fixedClock(0);
    const r = new RateLimiter(3, 60, clock);
    expect([r.take(), r.take(), r.take()].every((d) => d.allowed)).toBe(true);
    const refused = r.take();
    expect(refused).toEqual({ allowed: false, retryAfterMs: 1000 });
    clock.advanceMs(1000);
    expect(r.take().allowed).toBe(true);
    expect(r.take().allowed).toBe(false);
  });
});
