// Test helpers: feed bytes in chosen chunk sizes, collect output and errors.
import type { Random } from '../../util/random.ts';

export function pattern(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + 7) % 256;
  return out;
}

/** Splits `data` into chunks whose sizes cycle through `sizes`. */
export function chunked(data: Uint8Array, sizes: readonly number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (offset >= data.length) return ctrl.close();
      const n = Math.max(1, sizes[i++ % sizes.length]!);
      ctrl.enqueue(data.slice(offset, offset + n));
      offset += n;
    },
  });
}

export interface Collected {
  bytes: Uint8Array;
  error: unknown;
}

/** Reads a stream to the end or to its error, keeping what was emitted before the error. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Collected> {
  const parts: Uint8Array[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) parts.push(chunk.slice());
  } catch (e) {
    error = e;
  }
  return { bytes: new Uint8Array(Buffer.concat(parts)), error };
}

export async function pipe(data: Uint8Array, t: ReadableWritablePair<Uint8Array, Uint8Array>, sizes: readonly number[] = [1 << 20]): Promise<Collected> {
  return collect(chunked(data, sizes).pipeThrough(t));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** A Random that returns the given byte strings in order (for known-answer tests). */
export function scriptedRandom(...outputs: Uint8Array[]): Random {
  let i = 0;
  return {
    bytes(length: number): Uint8Array {
      const next = outputs[i++];
      if (next === undefined || next.length !== length) throw new Error(`scriptedRandom: unexpected request of ${length} bytes`);
      return next.slice();
    },
  };
}
