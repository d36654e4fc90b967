// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all ones),
// slicing-by-8 over two 32-bit halves so no BigInt touches the data path.
import { assert } from '../../util/assert.ts';

const polyHi = 0x9a6c9329;
const polyLo = 0xac4bc9b5;
const sliceCount = 8;

function buildTables(): { lo: Uint32Array; hi: Uint32Array } {
  const lo = new Uint32Array(256 * sliceCount);
  const hi = new Uint32Array(256 * sliceCount);
  for (let i = 0; i < 256; i++) {
    let l = i;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const carry = l & 1;
      l = ((l >>> 1) | (h << 31)) >>> 0;
      h = h >>> 1;
      if (carry) { l = (l ^ polyLo) >>> 0; h = (h ^ polyHi) >>> 0; }
    }
    lo[i] = l;
    hi[i] = h;
  }
  for (let s = 1; s < sliceCount; s++) {
    for (let i = 0; i < 256; i++) {
      const pl = lo[(s - 1) * 256 + i]!;
      const ph = hi[(s - 1) * 256 + i]!;
      const idx = pl & 0xff;
      lo[s * 256 + i] = (((pl >>> 8) | (ph << 24)) ^ lo[idx]!) >>> 0;
      hi[s * 256 + i] = ((ph >>> 8) ^ hi[idx]!) >>> 0;
    }
  }
  return { lo, hi };
}

const tables = buildTables();
assert(tables.lo[128] !== 0 || tables.hi[128] !== 0, 'crc64nvme table self-check');

/** Running CRC-64/NVME state as two unsigned 32-bit halves (finalised form). */
export interface Crc64State { hi: number; lo: number }

export function crc64nvmeInit(): Crc64State {
  return { hi: 0, lo: 0 };
}

/** Continues the finalised CRC in `state` over `data`, in place. */
export function crc64nvmeUpdate(state: Crc64State, data: Uint8Array): void {
  const tl = tables.lo;
  const th = tables.hi;
  let l = ~state.lo >>> 0;
  let h = ~state.hi >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const a = (l ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    const b = (h ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0;
    const i7 = 7 * 256 + (a & 0xff);
    const i6 = 6 * 256 + ((a >>> 8) & 0xff);
    const i5 = 5 * 256 + ((a >>> 16) & 0xff);
    const i4 = 4 * 256 + (a >>> 24);
    const i3 = 3 * 256 + (b & 0xff);
    const i2 = 2 * 256 + ((b >>> 8) & 0xff);
    const i1 = 256 + ((b >>> 16) & 0xff);
    const i0 = b >>> 24;
    l = tl[i7]! ^ tl[i6]! ^ tl[i5]! ^ tl[i4]! ^ tl[i3]! ^ tl[i2]! ^ tl[i1]! ^ tl[i0]!;
    h = th[i7]! ^ th[i6]! ^ th[i5]! ^ th[i4]! ^ th[i3]! ^ th[i2]! ^ th[i1]! ^ th[i0]!;
  }
  for (; i < n; i++) {
    const idx = (l ^ data[i]!) & 0xff;
    l = (((l >>> 8) | (h << 24)) ^ tl[idx]!) >>> 0;
    h = ((h >>> 8) ^ th[idx]!) >>> 0;
  }
  state.lo = ~l >>> 0;
  state.hi = ~h >>> 0;
}

/** Big-endian 8-byte encoding, the form S3 base64-encodes. */
export function crc64nvmeBytes(state: Crc64State): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, state.hi);
  view.setUint32(4, state.lo);
  return out;
}
