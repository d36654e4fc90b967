// Rate limit for admin calls that change configuration: a token bucket with a
// burst and a steady refill; a refused call gets 429 SlowDown with Retry-After.
import type { Clock } from '../util/clock.ts';
import { assert } from '../util/assert.ts';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export class RateLimiter {
  private tokens: number;
  private lastMs: number;
  private readonly refillPerMs: number;

  constructor(
    private readonly burst: number,
    perMinute: number,
    private readonly clock: Clock,
  ) {
    assert(burst >= 1 && perMinute >= 1, 'rate limit must allow something');
    this.tokens = burst;
    this.refillPerMs = perMinute / 60_000;
    this.lastMs = clock.nowMs();
  }

  take(): RateDecision {
    const now = this.clock.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.lastMs) * this.refillPerMs);
    this.lastMs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - this.tokens) / this.refillPerMs) };
  }
}
