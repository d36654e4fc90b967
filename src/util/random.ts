// Injected randomness: production uses the CSPRNG; tests may pass a seeded one.
import { randomFillSync } from 'node:crypto';

export interface Random {
  bytes(length: number): Uint8Array;
}

export const cryptoRandom: Random = {
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    randomFillSync(out);
    return out;
  },
};

/** Deterministic, NOT cryptographic: for tests only (xorshift128+). */
export function seededRandom(seed: number): Random {
  let s0 = (seed | 0) ^ 0x9e3779b9;
  let s1 = ((seed * 2654435761) | 0) ^ 0x85ebca6b;
  const next = (): number => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x;
    return (s0 + s1) >>> 0;
  };
  return {
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = next() & 0xff;
      return out;
    },
  };
}
