// Bandwidth limits: reservation token buckets (global and per bucket) applied by
// a TransformStream that releases bytes no faster than the limits allow.
// Reservations may run into debt, so concurrent streams sharing a bucket queue
// up fairly instead of all waking at once.
import type { BucketName } from '../storage/types.ts';
import type { Clock } from '../util/clock.ts';
import { assert } from '../util/assert.ts';

/** The bucket setting that holds a per-bucket limit, as JSON `{"bytesPerSec": N}`. */
export const bandwidthSettingName = 'bandwidth';
export const bandwidthMinBytesPerSec = 1024;
export const bandwidthMaxBytesPerSec = 1e12;
/** Slices keep the release smooth: no single chunk waits for more than ~1/20 s of budget. */
const sliceFraction = 20;
const sliceBytesMin = 1024;
const sliceBytesMax = 256 * 1024;

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private rateBytesPerSec: number,
    private readonly clock: Clock,
    private burstBytes = Math.max(sliceBytesMin, rateBytesPerSec / 10),
  ) {
    assert(rateBytesPerSec > 0 && burstBytes > 0, 'rate and burst must be positive');
    this.tokens = burstBytes;
    this.lastMs = clock.nowMs();
  }

  get rate(): number {
    return this.rateBytesPerSec;
  }

  setRate(rateBytesPerSec: number): void {
    assert(rateBytesPerSec > 0, 'rate must be positive');
    this.refill();
    this.rateBytesPerSec = rateBytesPerSec;
    this.burstBytes = Math.max(sliceBytesMin, rateBytesPerSec / 10);
    this.tokens = Math.min(this.tokens, this.burstBytes);
  }

  private refill(): void {
    const now = this.clock.nowMs();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.lastMs) / 1000) * this.rateBytesPerSec);
    this.lastMs = now;
  }

  /** Reserves `bytes`; returns how long the caller must wait before sending them. */
  reserve(bytes: number): number {
    this.refill();
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rateBytesPerSec) * 1000;
  }

  sliceBytes(): number {
    return Math.min(sliceBytesMax, Math.max(sliceBytesMin, Math.floor(this.rateBytesPerSec / sliceFraction)));
  }
}

/** Passes chunks through, waiting on every bucket given; reports time spent waiting. */
export function throttleStream(buckets: readonly TokenBucket[], sleep: Sleep = realSleep, onWaitMs: (ms: number) => void = () => {}): TransformStream<Uint8Array, Uint8Array> {
  assert(buckets.length > 0, 'throttle needs a bucket');
  const sliceBytes = Math.min(...buckets.map((b) => b.sliceBytes()));
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      for (let offset = 0; offset < chunk.byteLength; offset += sliceBytes) {
        const slice = chunk.subarray(offset, Math.min(chunk.byteLength, offset + sliceBytes));
        const waitMs = Math.max(...buckets.map((b) => b.reserve(slice.byteLength)));
        if (waitMs > 0) {
          onWaitMs(waitMs);
          await sleep(waitMs);
        }
        controller.enqueue(slice);
      }
    },
  });
}

export function parseBandwidthSetting(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as { bytesPerSec?: unknown };
    return typeof v.bytesPerSec === 'number' && Number.isFinite(v.bytesPerSec) && v.bytesPerSec >= bandwidthMinBytesPerSec ? v.bytesPerSec : undefined;
  } catch {
    return undefined;
  }
}

export function formatBandwidthSetting(bytesPerSec: number): string {
  assert(Number.isSafeInteger(bytesPerSec) && bytesPerSec >= bandwidthMinBytesPerSec && bytesPerSec <= bandwidthMaxBytesPerSec, 'bandwidth out of range');
  return JSON.stringify({ bytesPerSec });
}

export interface BandwidthOptions {
  globalBytesPerSec: number | undefined;
  /** Reads the bucket's `bandwidth` setting (through the config cache). */
  bucketSetting: (bucket: BucketName) => Promise<string | undefined>;
  clock: Clock;
  sleep?: Sleep;
  onWaitMs?: (scope: 'global' | 'bucket', ms: number) => void;
}

/** One limiter per server: the global bucket plus one bucket per limited bucket, shared by all its transfers. */
export class BandwidthLimiter {
  private readonly global: TokenBucket | undefined;
  private readonly perBucket = new Map<string, TokenBucket>();

  constructor(private readonly o: BandwidthOptions) {
    this.global = o.globalBytesPerSec === undefined ? undefined : new TokenBucket(o.globalBytesPerSec, o.clock);
  }

  /** The buckets that apply to a transfer on `bucket` (none when unlimited). */
  async bucketsFor(bucket: BucketName | undefined): Promise<{ global?: TokenBucket; bucket?: TokenBucket }> {
    const out: { global?: TokenBucket; bucket?: TokenBucket } = {};
    if (this.global !== undefined) out.global = this.global;
    if (bucket === undefined) return out;
    let rate: number | undefined;
    try {
      rate = parseBandwidthSetting(await this.o.bucketSetting(bucket));
    } catch {
      rate = undefined; // NoSuchBucket and the like: the S3 layer answers that; no limit here.
    }
    if (rate === undefined) {
      this.perBucket.delete(bucket);
      return out;
    }
    let tb = this.perBucket.get(bucket);
    if (tb === undefined) {
      tb = new TokenBucket(rate, this.o.clock);
      this.perBucket.set(bucket, tb);
    } else if (tb.rate !== rate) tb.setRate(rate);
    out.bucket = tb;
    return out;
  }

  /** A throttling stream for a transfer, or undefined when no limit applies. */
  async throttle(bucket: BucketName | undefined): Promise<TransformStream<Uint8Array, Uint8Array> | undefined> {
    const b = await this.bucketsFor(bucket);
    const list = [b.global, b.bucket].filter((x): x is TokenBucket => x !== undefined);
    if (list.length === 0) return undefined;
    const scope = b.bucket !== undefined ? 'bucket' : 'global';
    return throttleStream(list, this.o.sleep ?? realSleep, (ms) => this.o.onWaitMs?.(scope, ms));
  }
}
