// Carves package headers (and tags of in-place packages) from shared buffers instead of one 16-byte
// ArrayBuffer each. A slab holds only headers and tags of the one stream (public bytes)
// and zeros, so a consumer reading a chunk's whole `.buffer` sees nothing else.
import { assert } from '../util/assert.ts';

export class Slab {
  private buffer = new Uint8Array(0);
  private offset = 0;

  constructor(private readonly slabBytes: number = 16 * 1024) {}

  take(bytes: number): Uint8Array {
    assert(bytes >= 0 && bytes <= this.slabBytes, 'slab: request too large');
    if (this.offset + bytes > this.buffer.length) {
      this.buffer = new Uint8Array(this.slabBytes);
      this.offset = 0;
    }
    const out = this.buffer.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    return out;
  }
}
