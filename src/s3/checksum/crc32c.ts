// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8 so bulk
// bodies run at hundreds of MB/s in plain TypeScript.
import { assert } from '../../util/assert.ts';

const polyReflected = 0x82f63b78;
const sliceCount = 8;

function buildTables(): Uint32Array {
  const t = new Uint32Array(256 * sliceCount);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polyReflected : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let s = 1; s < sliceCount; s++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(s - 1) * 256 + i]!;
      t[s * 256 + i] = ((prev >>> 8) ^ t[prev & 0xff]!) >>> 0;
    }
  }
  return t;
}

const table = buildTables();
assert(table[1] === 0xf26b8303, 'crc32c table self-check');

/** Continues a CRC-32C from `crc` (0 to start); returns the new finalised value. */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  const t = table;
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    c = t[7 * 256 + (lo & 0xff)]! ^ t[6 * 256 + ((lo >>> 8) & 0xff)]! ^ t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^ t[3 * 256 + (hi & 0xff)]! ^ t[2 * 256 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^ t[(hi >>> 24) & 0xff]!;
  }
  for (; i < n; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
