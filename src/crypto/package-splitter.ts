// Cuts a byte stream into whole DARE packages, whatever the input chunking.
// Zero-copy when a package lies inside one chunk; otherwise staged.
import { Dare, packageBytesOf } from './format.ts';
import { copyBytes } from '../util/copy.ts';

const empty = new Uint8Array(0);

export class PackageSplitter {
  // Two staging buffers, swapped when one completes: a push completes at most
  // one staged package (the first), and its trailing bytes go to the other.
  // Allocated on first need: chunks that hold whole packages never stage, and
  // 128 KiB of fresh zeroed memory per stream is a real cost for small objects.
  private stage = empty;
  private spare = empty;
  private stageBytes = 0;

  /**
   * Returns the packages completed by `chunk`, in order: views into `chunk` or
   * into the one staging buffer, so they are valid only until the next push.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const rest = chunk.length - offset;
      if (this.stageBytes === 0 && rest >= Dare.aadBytes) {
        const n = packageBytesOf(chunk.subarray(offset));
        if (rest >= n) {
          out.push(chunk.subarray(offset, offset + n));
          offset += n;
          continue;
        }
      }
      if (this.stage.length === 0) this.stage = new Uint8Array(Dare.packageBytesMax);
      const need = this.stageBytes >= Dare.aadBytes ? packageBytesOf(this.stage) : Dare.aadBytes;
      const take = Math.min(need - this.stageBytes, rest);
      copyBytes(this.stage, chunk.subarray(offset, offset + take), this.stageBytes);
      this.stageBytes += take;
      offset += take;
      if (this.stageBytes >= Dare.aadBytes && this.stageBytes === packageBytesOf(this.stage)) {
        out.push(this.stage.subarray(0, this.stageBytes));
        // The completed package stays valid until the next push: stage into the other buffer.
        [this.stage, this.spare] = [this.spare, this.stage];
        this.stageBytes = 0;
      }
    }
    return out;
  }

  /** Bytes of an incomplete package held back (non-zero at end of input means a cut package). */
  get pendingBytes(): number {
    return this.stageBytes;
  }
}
