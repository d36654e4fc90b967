// Carves output buffers from 1 MiB slabs: one fresh 64 KiB ArrayBuffer per
// package costs more than the AES itself in Bun (measured ~2 GB/s vs ~10 GB/s).
// Slabs are zero-filled, so a consumer reading a chunk's whole `.buffer` sees
// only zeros or bytes this stream wrote, never stale heap memory.
import { assert } from '../util/assert.ts';

const slabBytes = 1 << 20;

export class Slab {
  private buffer = new Uint8Array(0);
  private offset = 0;

  take(bytes: number): Uint8Array {
    assert(bytes >= 0 && bytes <= slabBytes, 'slab: request too large');
    if (this.offset + bytes > this.buffer.length) {
      this.buffer = new Uint8Array(slabBytes);
      this.offset = 0;
    }
    const out = this.buffer.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    return out;
  }
}
