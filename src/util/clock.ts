// Injected time source so expiry, skew and rotation tests are deterministic.
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export function fixedClock(startMs: number): Clock & { advanceMs(deltaMs: number): void; setMs(ms: number): void } {
  let currentMs = startMs;
  return {
    nowMs: () => currentMs,
    advanceMs: (deltaMs: number) => { currentMs += deltaMs; },
    setMs: (ms: number) => { currentMs = ms; },
  };
}
