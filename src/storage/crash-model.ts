// Deterministic, self-identifying object bodies for the crash test: the parent
// can tell exactly which version of a key it reads back.
import { seededRandom } from '../util/random.ts';

export const crashKeys = ['k1', 'dir/k2', 'dir/k2/sub', 'dir/', 'z'.repeat(200)];

export function crashBody(key: string, version: number, multipart = false): Uint8Array {
  const seed = version * 131 + key.length;
  const rnd = seededRandom(seed);
  const size = multipart ? 5 * 1024 * 1024 + (rnd.bytes(2)[0]! << 8) : (rnd.bytes(3).reduce((a, x) => a * 256 + x, 0) % (3 * 1024 * 1024));
  const tile = rnd.bytes(4096);
  const out = new Uint8Array(size);
  for (let off = 0; off < size; off += tile.length) out.set(tile.subarray(0, Math.min(tile.length, size - off)), off);
  return out;
}
