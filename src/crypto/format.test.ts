import { describe, expect, test } from 'bun:test';
import { Dare, baseNonceOf, packageIv, readHeader, writeHeader } from './format.ts';

describe('DARE 2.0 layout', () => {
  test('constants derive from each other', () => {
    expect(Dare.packageBytesMax).toBe(16 + 65536 + 16);
    expect(Dare.overheadBytes).toBe(32);
    expect(Object.isFrozen(Dare)).toBe(true);
  });

  test('header round-trips length, final flag and nonce', () => {
    const nonce = new Uint8Array(12).fill(0xff);
    const h = new Uint8Array(16);
    writeHeader(h, 0, 65536, nonce, false);
    expect([...h.subarray(0, 4)]).toEqual([0x20, 0x00, 0xff, 0xff]);
    expect(readHeader(h)).toEqual({ version: 0x20, cipher: 0, payloadBytes: 65536, final: false });
    expect(h[4]).toBe(0x7f); // the flag bit is cleared even when the random nonce had it set
    writeHeader(h, 0, 1, nonce, true);
    expect(readHeader(h)).toEqual({ version: 0x20, cipher: 0, payloadBytes: 1, final: true });
    expect([...baseNonceOf(h)]).toEqual([0x7f, ...new Array(11).fill(0xff)]);
  });

  test('IV is the header nonce with its last u32 (LE) XORed with the sequence', () => {
    const h = new Uint8Array(16);
    writeHeader(h, 0, 10, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x20, 0x30, 0x40]), false);
    expect([...packageIv(h, 0)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x20, 0x30, 0x40]);
    expect([...packageIv(h, 0x01020304)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0x14, 0x23, 0x32, 0x41]);
    expect([...packageIv(h, 0xffffffff).subarray(8)]).toEqual([0xef, 0xdf, 0xcf, 0xbf]);
  });

  test('payload sizes outside 1..64 KiB are bugs', () => {
    const h = new Uint8Array(16);
    expect(() => writeHeader(h, 0, 0, new Uint8Array(12), true)).toThrow();
    expect(() => writeHeader(h, 0, 65537, new Uint8Array(12), true)).toThrow();
  });
});
