// The wasm SIMD GF(2^8) kernel: generates the WAT text (rs-kernel.wat.ts),
// compiles it with wabt once per process and implements GfKernel on top.
// Memory is sized once and never grown, so views into it stay valid: a slab pool
// hands out block buffers that the kernel reads and writes in place (zero copy);
// buffers from the JS heap go through a scratch area instead.
import wabtInit from 'wabt';
import { assert } from '../util/assert.ts';
import type { GfKernel } from './erasure.ts';
import { gfMul, mulTable } from './gf256.ts';
import { kernelStepBytes, rsKernelWat, type SwizzleOp } from './rs-kernel.wat.ts';
import { copyBytes } from '../util/copy.ts';

const vectorsPerStep = 4;
const stepBytes = kernelStepBytes(vectorsPerStep);
const pageBytes = 65536;
const tablesBytes = 64 * 1024;
const scratchBytes = 6 * 1024 * 1024;
export const slabBytes = 1024 * 1024 + 64 * 1024;
const slabCount = 24;
/** Tables, scratch area and slabs, in whole wasm pages. */
const memoryPages = Math.ceil((tablesBytes + scratchBytes + slabCount * slabBytes) / pageBytes);

interface KernelExports {
  memory: WebAssembly.Memory;
  mul: (tables: number, rows: number, cols: number, input: number, inStride: number, output: number, outStride: number, len: number) => void;
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** SIMD, relaxed SIMD (pshufb) and threads (for the shared memory). */
const kernelFeatures = { simd: true, relaxed_simd: true, threads: true };

async function compileVariant(swizzle: SwizzleOp): Promise<WebAssembly.Module> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat('rs-kernel.wat', rsKernelWat(swizzle, vectorsPerStep, memoryPages), kernelFeatures);
  try {
    // wabt's validate takes the features too (its typings omit the argument): without them it refuses shared memory.
    (parsed as unknown as { validate(features: typeof kernelFeatures): void }).validate(kernelFeatures);
    const { buffer } = parsed.toBinary({});
    return await WebAssembly.compile(buffer.slice().buffer);
  } finally {
    parsed.destroy();
  }
}

/** Compiles the kernel (once per process); relaxed SIMD when the engine has it. */
export function compileKernelModule(): Promise<WebAssembly.Module> {
  compiled ??= compileVariant('i8x16.relaxed_swizzle').catch(() => compileVariant('i8x16.swizzle'));
  return compiled;
}

function nibbleTables(coefs: Uint8Array): Uint8Array {
  const out = new Uint8Array(coefs.length * 32);
  for (let i = 0; i < coefs.length; i++) {
    const c = coefs[i]!;
    for (let x = 0; x < 16; x++) {
      out[i * 32 + x] = gfMul(c, x);
      out[i * 32 + 16 + x] = gfMul(c, x << 4);
    }
  }
  return out;
}

/** Common stride of views laid out at equal distances in `buffer`, or null. */
function uniformStride(views: readonly Uint8Array[], buffer: ArrayBufferLike): number | null {
  const first = views[0]!;
  if (first.buffer !== buffer) return null;
  const stride = views.length > 1 ? views[1]!.byteOffset - first.byteOffset : 0;
  for (let i = 1; i < views.length; i++) {
    const v = views[i]!;
    if (v.buffer !== buffer || v.byteOffset - first.byteOffset !== i * stride) return null;
  }
  return stride;
}

export class WasmKernel implements GfKernel {
  readonly name = 'wasm-simd';
  private readonly tableCache = new Map<string, Uint8Array>();
  private readonly mem: Uint8Array;
  private readonly scratchAt = tablesBytes;
  private readonly slabsAt = tablesBytes + scratchBytes;
  private readonly freeSlabs: number[] = [];

  private constructor(private readonly exports: KernelExports) {
    const memory = exports.memory;
    assert(memory.buffer.byteLength >= this.slabsAt + slabCount * slabBytes, 'kernel memory holds the slabs');
    this.mem = new Uint8Array(memory.buffer);
    for (let i = slabCount - 1; i >= 0; i--) this.freeSlabs.push(i);
  }

  static async create(): Promise<WasmKernel> {
    const instance = await WebAssembly.instantiate(await compileKernelModule(), {});
    return new WasmKernel(instance.exports as unknown as KernelExports);
  }

  /** A buffer inside kernel memory (encoded in place), or null when none is free. */
  alloc(bytes: number): Uint8Array | null {
    if (bytes > slabBytes) return null;
    const slab = this.freeSlabs.pop();
    if (slab === undefined) return null;
    const at = this.slabsAt + slab * slabBytes;
    return this.mem.subarray(at, at + bytes);
  }

  free(view: Uint8Array): void {
    if (view.buffer !== this.mem.buffer) return;
    const slab = (view.byteOffset - this.slabsAt) / slabBytes;
    assert(Number.isInteger(slab) && slab >= 0 && slab < slabCount && !this.freeSlabs.includes(slab), 'free of a kernel slab');
    this.freeSlabs.push(slab);
  }

  private tablesFor(coefs: Uint8Array): Uint8Array {
    const key = coefs.join(',');
    let t = this.tableCache.get(key);
    if (t === undefined) {
      t = nibbleTables(coefs);
      if (this.tableCache.size > 512) this.tableCache.clear();
      this.tableCache.set(key, t);
    }
    return t;
  }

  mulMatrix(coefs: Uint8Array, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], lengthBytes: number): void {
    const rows = outputs.length;
    const cols = inputs.length;
    assert(coefs.length === rows * cols, 'coefficient count');
    if (rows === 0 || lengthBytes === 0) return;
    const tables = this.tablesFor(coefs);
    assert(tables.length <= tablesBytes, 'tables fit');
    this.mem.set(tables, 0);
    const inStride = uniformStride(inputs, this.mem.buffer);
    const outStride = uniformStride(outputs, this.mem.buffer);
    if (inStride !== null && outStride !== null) {
      const mainBytes = lengthBytes - (lengthBytes % stepBytes);
      if (mainBytes > 0) this.exports.mul(0, rows, cols, inputs[0]!.byteOffset, inStride, outputs[0]!.byteOffset, outStride, mainBytes);
      tail(coefs, inputs, outputs, mainBytes, lengthBytes);
      return;
    }
    const len = Math.ceil(lengthBytes / stepBytes) * stepBytes;
    if ((cols + rows) * len > scratchBytes) {
      tail(coefs, inputs, outputs, 0, lengthBytes);
      return;
    }
    const inAt = this.scratchAt;
    const outAt = inAt + cols * len;
    for (let c = 0; c < cols; c++) {
      const at = inAt + c * len;
      copyBytes(this.mem, inputs[c]!.subarray(0, lengthBytes), at);
      if (len > lengthBytes) this.mem.fill(0, at + lengthBytes, at + len);
    }
    this.exports.mul(0, rows, cols, inAt, len, outAt, len, len);
    for (let r = 0; r < rows; r++) copyBytes(outputs[r]!, this.mem.subarray(outAt + r * len, outAt + r * len + lengthBytes));
  }
}

/** Bytes [from, to) by table lookup: the few tail bytes past the last whole kernel step. */
function tail(coefs: Uint8Array, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], from: number, to: number): void {
  if (from >= to) return;
  const cols = inputs.length;
  for (let r = 0; r < outputs.length; r++) {
    const out = outputs[r]!;
    out.fill(0, from, to);
    for (let c = 0; c < cols; c++) {
      const table = mulTable(coefs[r * cols + c]!);
      const input = inputs[c]!;
      for (let i = from; i < to; i++) out[i] = out[i]! ^ table[input[i]!]!;
    }
  }
}
