import { expect, test } from 'bun:test';
import { seededRandom } from '../util/random.ts';
import { Erasure, tsKernel } from './erasure.ts';
import { gfInv, gfMul, invert, systematicCauchy } from './gf256.ts';
import { WasmKernel } from './rs-wasm.ts';

const rnd = seededRandom(42);
const randInt = (n: number): number => (rnd.bytes(4).reduce((a, x) => a * 256 + x, 0) >>> 0) % n;

test('GF(2^8) field laws', () => {
  for (let a = 1; a < 256; a++) expect(gfMul(a, gfInv(a))).toBe(1);
  expect(gfMul(0x53, 0xca)).toBe(gfMul(0xca, 0x53));
  const m = systematicCauchy(4, 2);
  const sub = { rows: 4, cols: 4, data: m.data.slice(8, 24) };
  const inv = invert(sub);
  // sub * inv == I
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
    let acc = 0;
    for (let j = 0; j < 4; j++) acc ^= gfMul(sub.data[r * 4 + j]!, inv.data[j * 4 + c]!);
    expect(acc).toBe(r === c ? 1 : 0);
  }
});

test('wasm kernel equals the TypeScript reference on random matrices and lengths', async () => {
  const wasm = await WasmKernel.create();
  for (let trial = 0; trial < 60; trial++) {
    const rows = 1 + randInt(6);
    const cols = 1 + randInt(12);
    const len = trial < 10 ? trial * 7 + 1 : 1 + randInt(5000);
    const coefs = rnd.bytes(rows * cols);
    const inputs = Array.from({ length: cols }, () => rnd.bytes(len));
    const want = Array.from({ length: rows }, () => new Uint8Array(len));
    const got = Array.from({ length: rows }, () => new Uint8Array(len).fill(0xee));
    tsKernel.mulMatrix(coefs, inputs, want, len);
    wasm.mulMatrix(coefs, inputs, got, len);
    expect(got).toEqual(want);
    // In place: inputs and outputs inside kernel memory at a common stride, as the encoder lays them out.
    const stride = len + 8 + randInt(40);
    const inBuf = wasm.alloc(cols * stride)!;
    const outBuf = wasm.alloc(rows * stride)!;
    const inViews = inputs.map((x, c) => { inBuf.set(x, c * stride); return inBuf.subarray(c * stride, c * stride + len); });
    const outViews = want.map((_, r) => outBuf.subarray(r * stride, r * stride + len));
    outBuf.fill(0xaa);
    wasm.mulMatrix(coefs, inViews, outViews, len);
    expect(outViews.map((v) => v.slice())).toEqual(want);
    // Bytes between output rows are untouched.
    for (let r = 0; r + 1 < rows; r++) expect(outBuf.subarray(r * stride + len, (r + 1) * stride).every((x) => x === 0xaa)).toBe(true);
    wasm.free(inBuf);
    wasm.free(outBuf);
  }
});

test('any K of K+M shards rebuild the data (both kernels)', async () => {
  const wasm = await WasmKernel.create();
  for (const kernel of [tsKernel, wasm]) {
    for (const [k, m] of [[1, 1], [2, 2], [4, 2], [3, 3], [12, 4]] as const) {
      const e = new Erasure(k, m, kernel);
      const len = 1000 + randInt(100);
      const data = Array.from({ length: k }, () => rnd.bytes(len));
      const parity = Array.from({ length: m }, () => new Uint8Array(len));
      e.encode(data, parity, len);
      const all = [...data, ...parity];
      for (let trial = 0; trial < 10; trial++) {
        const lost = new Set<number>();
        while (lost.size < m) lost.add(randInt(k + m));
        const shards = all.map((s, i) => (lost.has(i) ? null : s));
        const want = [...lost];
        const out = want.map(() => new Uint8Array(len));
        e.reconstruct(shards, len, want, out);
        want.forEach((idx, i) => expect(Array.from(out[i]!)).toEqual(Array.from(all[idx]!)));
      }
    }
  }
});
