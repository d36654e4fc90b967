// Combining CRCs of consecutive byte runs into the CRC of their concatenation, without
// the bytes: crc(A || B) = crc(A) * x^(8 * len(B)) mod P  xor  crc(B). This holds for the
// three S3 CRCs as they are (reflected, init and xorout all ones: the init terms cancel),
// and gives a multipart upload its FULL_OBJECT checksum from the part checksums.
// Arithmetic is on reflected polynomials as BigInt (bit width-1 is x^0), as in zlib's
// crc32_combine; x^(8n) is built from cached squares, so a part costs a few products.
import type { ChecksumAlgorithm } from './checksum.ts';

export type CrcAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME';

interface CrcSpec {
  width: bigint;
  /** Reflected polynomial. */
  poly: bigint;
}

const specs: Record<CrcAlgorithm, CrcSpec> = {
  CRC32: { width: 32n, poly: 0xedb88320n },
  CRC32C: { width: 32n, poly: 0x82f63b78n },
  CRC64NVME: { width: 64n, poly: 0x9a6c9329ac4bc9b5n },
};

export function isCrcAlgorithm(a: ChecksumAlgorithm): a is CrcAlgorithm {
  return a === 'CRC32' || a === 'CRC32C' || a === 'CRC64NVME';
}

/** a * b mod P, both reflected. */
function mulmod(spec: CrcSpec, a: bigint, b: bigint): bigint {
  let m = 1n << (spec.width - 1n);
  let p = 0n;
  for (;;) {
    if ((a & m) !== 0n) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) return p;
    }
    m >>= 1n;
    if (m === 0n) return p;
    b = (b & 1n) !== 0n ? (b >> 1n) ^ spec.poly : b >> 1n;
  }
}

/** x^(2^k) mod P for k = 0, 1, ...: grown on demand. */
const squares = new Map<CrcAlgorithm, bigint[]>();

function xPow2k(algorithm: CrcAlgorithm, k: number): bigint {
  const spec = specs[algorithm];
  let table = squares.get(algorithm);
  if (table === undefined) {
    table = [1n << (spec.width - 2n)]; // x^1
    squares.set(algorithm, table);
  }
  while (table.length <= k) {
    const last = table[table.length - 1]!;
    table.push(mulmod(spec, last, last));
  }
  return table[k]!;
}

/** x^(8 * lengthBytes) mod P. */
function shiftOperator(algorithm: CrcAlgorithm, lengthBytes: number): bigint {
  const spec = specs[algorithm];
  let result = 1n << (spec.width - 1n); // x^0
  let e = BigInt(lengthBytes) * 8n;
  for (let k = 0; e > 0n; k++, e >>= 1n) if ((e & 1n) !== 0n) result = mulmod(spec, result, xPow2k(algorithm, k));
  return result;
}

export interface CrcRun {
  /** The run's CRC as S3 sends it: big-endian bytes. */
  crc: Uint8Array;
  lengthBytes: number;
}

function toBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function toBytes(v: bigint, widthBytes: number): Uint8Array {
  const out = new Uint8Array(widthBytes);
  for (let i = widthBytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The CRC of the runs' concatenation (big-endian bytes); the CRC of nothing when there are no runs. */
export function combineCrcs(algorithm: CrcAlgorithm, runs: readonly CrcRun[]): Uint8Array {
  const spec = specs[algorithm];
  const widthBytes = Number(spec.width / 8n);
  // Parts of a multipart upload mostly share one size: one operator per distinct length.
  const operators = new Map<number, bigint>();
  let crc = 0n; // the CRC of the empty string is 0 for all three
  for (const run of runs) {
    let op = operators.get(run.lengthBytes);
    if (op === undefined) {
      op = shiftOperator(algorithm, run.lengthBytes);
      operators.set(run.lengthBytes, op);
    }
    crc = mulmod(spec, op, crc) ^ toBigInt(run.crc);
  }
  return toBytes(crc, widthBytes);
}
