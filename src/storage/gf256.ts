// GF(2^8) arithmetic (polynomial 0x11d) and small matrix helpers for the
// Reed-Solomon code. Pure functions over tables built once at module load.
import { assert } from '../util/assert.ts';

const polynomial = 0x11d;
export const expTable = new Uint8Array(512);
export const logTable = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    expTable[i] = x;
    logTable[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= polynomial;
  }
  for (let i = 255; i < 512; i++) expTable[i] = expTable[i - 255]!;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return expTable[logTable[a]! + logTable[b]!]!;
}

export function gfInv(a: number): number {
  assert(a !== 0, 'gf inverse of zero');
  return expTable[255 - logTable[a]!]!;
}

/** 256-entry product table for one coefficient: row[x] = coef * x. */
export function mulTable(coef: number): Uint8Array {
  const row = new Uint8Array(256);
  for (let x = 0; x < 256; x++) row[x] = gfMul(coef, x);
  return row;
}

/** A matrix is rows of equal length, stored row-major. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Uint8Array;
}

export function matrixGet(m: Matrix, r: number, c: number): number {
  return m.data[r * m.cols + c]!;
}

/**
 * Systematic generator: identity on top, a Cauchy block below. Every square
 * submatrix of a Cauchy matrix is invertible, so any K rows of the result are.
 */
export function systematicCauchy(dataShards: number, parityShards: number): Matrix {
  assert(dataShards >= 1 && parityShards >= 0 && dataShards + parityShards <= 256, 'bad shard counts');
  const rows = dataShards + parityShards;
  const data = new Uint8Array(rows * dataShards);
  for (let r = 0; r < dataShards; r++) data[r * dataShards + r] = 1;
  for (let p = 0; p < parityShards; p++) {
    for (let c = 0; c < dataShards; c++) {
      data[(dataShards + p) * dataShards + c] = gfInv((dataShards + p) ^ c);
    }
  }
  return { rows, cols: dataShards, data };
}

/** Gauss-Jordan inversion of a square matrix; throws if singular (a bug for Cauchy rows). */
export function invert(m: Matrix): Matrix {
  assert(m.rows === m.cols, 'invert needs a square matrix');
  const n = m.rows;
  const work = new Uint8Array(n * 2 * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) work[r * 2 * n + c] = m.data[r * n + c]!;
    work[r * 2 * n + n + r] = 1;
  }
  const w = 2 * n;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && work[pivot * w + col] === 0) pivot++;
    assert(pivot < n, 'singular matrix');
    if (pivot !== col) {
      for (let c = 0; c < w; c++) {
        const t = work[col * w + c]!;
        work[col * w + c] = work[pivot * w + c]!;
        work[pivot * w + c] = t;
      }
    }
    const inv = gfInv(work[col * w + col]!);
    for (let c = 0; c < w; c++) work[col * w + c] = gfMul(work[col * w + c]!, inv);
    for (let r = 0; r < n; r++) {
      const f = work[r * w + col]!;
      if (r === col || f === 0) continue;
      for (let c = 0; c < w; c++) work[r * w + c] = work[r * w + c]! ^ gfMul(f, work[col * w + c]!);
    }
  }
  const out = new Uint8Array(n * n);
  for (let r = 0; r < n; r++) out.set(work.subarray(r * w + n, r * w + 2 * n), r * n);
  return { rows: n, cols: n, data: out };
}
