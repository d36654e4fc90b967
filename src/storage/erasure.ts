// Reed-Solomon erasure coding over GF(2^8): K data + M parity shards per block.
// The byte crunching sits behind GfKernel so the wasm SIMD kernel and the
// plain TypeScript reference are interchangeable (and testable against each other).
import { assert } from '../util/assert.ts';
import { gfMul, invert, mulTable, systematicCauchy, type Matrix } from './gf256.ts';

export interface GfKernel {
  readonly name: string;
  /** outputs[r] = XOR over c of coefs[r * inputs.length + c] * inputs[c], for the first lengthBytes bytes. */
  mulMatrix(coefs: Uint8Array, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], lengthBytes: number): void;
  /** Optional buffers the kernel can work on in place; null when none is free. */
  alloc?(bytes: number): Uint8Array | null;
  free?(view: Uint8Array): void;
}

/** Reference kernel: one 256-entry product table per coefficient. */
export const tsKernel: GfKernel = {
  name: 'ts-reference',
  mulMatrix(coefs, inputs, outputs, lengthBytes) {
    const cols = inputs.length;
    for (let r = 0; r < outputs.length; r++) {
      const out = outputs[r]!;
      out.fill(0, 0, lengthBytes);
      for (let c = 0; c < cols; c++) {
        const coef = coefs[r * cols + c]!;
        if (coef === 0) continue;
        const input = inputs[c]!;
        if (coef === 1) {
          for (let i = 0; i < lengthBytes; i++) out[i] = out[i]! ^ input[i]!;
          continue;
        }
        const table = mulTable(coef);
        for (let i = 0; i < lengthBytes; i++) out[i] = out[i]! ^ table[input[i]!]!;
      }
    }
  },
};

export class Erasure {
  readonly dataShards: number;
  readonly parityShards: number;
  private readonly generator: Matrix;
  private readonly parityRows: Uint8Array;
  private readonly decodeCache = new Map<string, Uint8Array>();

  constructor(dataShards: number, parityShards: number, private readonly kernel: GfKernel) {
    this.dataShards = dataShards;
    this.parityShards = parityShards;
    this.generator = systematicCauchy(dataShards, parityShards);
    this.parityRows = this.generator.data.slice(dataShards * dataShards);
  }

  /** A buffer in the kernel's own memory (encoded in place, no copies), or null when none is free. */
  kernelBuffer(bytes: number): Uint8Array | null {
    return this.kernel.alloc?.(bytes) ?? null;
  }

  /** Gives a kernelBuffer back. */
  freeBuffer(view: Uint8Array): void {
    this.kernel.free?.(view);
  }

  get totalShards(): number {
    return this.dataShards + this.parityShards;
  }

  get kernelName(): string {
    return this.kernel.name;
  }

  /** Bytes of each shard for a block of blockBytes. */
  shardSize(blockBytes: number): number {
    return Math.ceil(blockBytes / this.dataShards);
  }

  encode(data: readonly Uint8Array[], parity: readonly Uint8Array[], shardBytes: number): void {
    assert(data.length === this.dataShards && parity.length === this.parityShards, 'encode shard counts');
    if (this.parityShards === 0) return;
    this.kernel.mulMatrix(this.parityRows, data, parity, shardBytes);
  }

  /**
   * Rebuilds the shards at `want` (indices into 0..K+M-1) from any K present shards.
   * `shards[i]` is null when missing; rebuilt shards are written into `out` (same order as want).
   */
  reconstruct(shards: readonly (Uint8Array | null)[], shardBytes: number, want: readonly number[], out: readonly Uint8Array[]): void {
    assert(shards.length === this.totalShards, 'reconstruct shard count');
    const present: number[] = [];
    for (let i = 0; i < shards.length && present.length < this.dataShards; i++) if (shards[i] !== null) present.push(i);
    assert(present.length === this.dataShards, 'not enough shards to reconstruct');
    const decode = this.decodeMatrix(present);
    const inputs = present.map((i) => shards[i]!);
    const k = this.dataShards;
    const coefs = new Uint8Array(want.length * k);
    want.forEach((w, row) => {
      // Row of the generator for shard w, times the inverse of the present rows.
      for (let c = 0; c < k; c++) {
        let acc = 0;
        for (let j = 0; j < k; j++) {
          const g = this.generator.data[w * k + j]!;
          if (g !== 0) acc ^= gfMul(g, decode[j * k + c]!);
        }
        coefs[row * k + c] = acc;
      }
    });
    this.kernel.mulMatrix(coefs, inputs, out, shardBytes);
  }

  private decodeMatrix(present: readonly number[]): Uint8Array {
    const cacheKey = present.join(',');
    const cached = this.decodeCache.get(cacheKey);
    if (cached) return cached;
    const k = this.dataShards;
    const sub = new Uint8Array(k * k);
    present.forEach((row, i) => sub.set(this.generator.data.subarray(row * k, row * k + k), i * k));
    const inv = invert({ rows: k, cols: k, data: sub }).data;
    if (this.decodeCache.size > 256) this.decodeCache.clear();
    this.decodeCache.set(cacheKey, inv);
    return inv;
  }
}
