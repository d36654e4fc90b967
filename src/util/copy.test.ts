import { describe, expect, test } from 'bun:test';
import { ptr } from 'bun:ffi';
import { aliasedCopy, copyBytes } from './copy.ts';

/** The offset in `backing` that lies `distance` bytes past the start of `src`, modulo 4 KiB. */
function offsetAt(backing: Uint8Array, src: Uint8Array, distance: number): number {
  return (((distance - (ptr(backing) - ptr(src))) % 4096) + 4096) % 4096;
}

describe('copyBytes', () => {
  const src = new Uint8Array(70_001);
  for (let i = 0; i < src.length; i++) src[i] = (i * 31 + 7) & 0xff;

  test('recognises the slow window and copies exactly inside and outside it', () => {
    for (const distance of [0, 1, 8, 24, 31, 32, 64, 2048]) {
      const backing = new Uint8Array(src.length + 8192);
      const offset = offsetAt(backing, src, distance);
      const target = backing.subarray(offset, offset + src.length);
      expect(aliasedCopy(target, src)).toBe(distance > 0 && distance < 32);
      copyBytes(backing, src, offset);
      expect(Buffer.compare(target, src)).toBe(0);
      // Nothing around the target was touched.
      expect(backing.subarray(0, offset).every((b) => b === 0)).toBe(true);
      expect(backing.subarray(offset + src.length).every((b) => b === 0)).toBe(true);
    }
  });

  test('small copies, empty copies and sub-views', () => {
    const dst = new Uint8Array(5000);
    copyBytes(dst, src.subarray(10, 20), 3);
    expect([...dst.subarray(3, 13)]).toEqual([...src.subarray(10, 20)]);
    copyBytes(dst, new Uint8Array(0), 5000);
    const view = src.subarray(1234, 1234 + 4500);
    copyBytes(dst, view, 500);
    expect(Buffer.compare(dst.subarray(500), view)).toBe(0);
    expect(() => copyBytes(dst, view, 501)).toThrow(RangeError);
  });
});
