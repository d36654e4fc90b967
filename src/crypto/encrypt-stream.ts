// Plaintext -> DARE 2.0 package stream, for any input chunking. Memory stays at
// one staging payload plus the packages of the chunk being processed.
import { assert } from '../util/assert.ts';
import { cryptoRandom, type Random } from '../util/random.ts';
import { defaultEngine, type AeadKey, type PackageCipher } from './engine.ts';
import { Dare } from './format.ts';
import { sealBatch } from './seal-package.ts';
import { Slab } from './slab.ts';
import { wipe } from './wipe.ts';
import { copyBytes } from '../util/copy.ts';

export interface EncryptOptions {
  engine?: PackageCipher;
  /** Packages sealed concurrently; defaults to the engine's measured best. */
  batchPackages?: number;
  /** 12-byte base nonce. Random by default; fixed only for known-answer vectors. */
  nonce?: Uint8Array;
  random?: Random;
  /**
   * The input chunks are handed over: nothing reads them after this stage, so a
   * payload that lies inside one chunk is encrypted in place and emitted as a view
   * (no fresh buffer per package). Off by default: callers' buffers are left unchanged.
   */
  reuseInput?: boolean;
}

/** Encrypts with `objectKey` (32 bytes). The key is copied at once: callers may wipe theirs on return. */
export function encryptStream(objectKey: Uint8Array, opts: EncryptOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const engine = opts.engine ?? defaultEngine;
  const batchPackages = opts.batchPackages ?? engine.batchPackages;
  const nonce = opts.nonce?.slice() ?? (opts.random ?? cryptoRandom).bytes(Dare.nonceBytes);
  assert(nonce.length === Dare.nonceBytes && batchPackages >= 1, 'encryptStream: bad options');
  const raw = objectKey.slice();
  let key: AeadKey | undefined;
  // Allocated on first need (a fresh zeroed 64 KiB per stream costs small objects).
  let stage = new Uint8Array(0);
  let stageBytes = 0;
  let sequence = 0;
  const slab = new Slab();
  /** Only views into the caller's chunk, never the staging buffer (it is reused). */
  const inPlace = (payload: Uint8Array): boolean => opts.reuseInput === true && payload.buffer !== stage.buffer;

  const emit = async (payloads: Uint8Array[], final: boolean, ctrl: TransformStreamDefaultController<Uint8Array>): Promise<void> => {
    assert(key !== undefined, 'encryptStream: key not imported');
    for (let i = 0; i < payloads.length; i += batchPackages) {
      const group = payloads.slice(i, i + batchPackages);
      assert(sequence + group.length <= Dare.sequenceCount, 'encryptStream: stream too long');
      const isLast = final && i + group.length === payloads.length;
      for (const piece of await sealBatch(key, nonce, sequence, group, isLast, slab, inPlace)) ctrl.enqueue(piece);
      sequence += group.length;
    }
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    async start() {
      try { key = await engine.importKey(raw); } finally { wipe(raw); }
    },
    async transform(chunk, ctrl) {
      // A full payload is sealed only once a later byte proves it is not the final one.
      const full: Uint8Array[] = [];
      let offset = 0;
      if (stageBytes > 0) {
        offset = Math.min(Dare.payloadBytesMax - stageBytes, chunk.length);
        copyBytes(stage, chunk.subarray(0, offset), stageBytes);
        stageBytes += offset;
        if (offset === chunk.length) return;
        full.push(stage);
      }
      while (chunk.length - offset > Dare.payloadBytesMax) {
        full.push(chunk.subarray(offset, offset + Dare.payloadBytesMax)); // zero-copy
        offset += Dare.payloadBytesMax;
      }
      await emit(full, false, ctrl);
      // The stage is free again only now that its payload is sealed.
      if (offset < chunk.length && stage.length === 0) stage = new Uint8Array(Dare.payloadBytesMax);
      copyBytes(stage, chunk.subarray(offset), 0);
      stageBytes = chunk.length - offset;
    },
    async flush(ctrl) {
      // An empty plaintext is an empty stream, as in sio.
      if (stageBytes > 0) await emit([stage.subarray(0, stageBytes)], true, ctrl);
      stage.fill(0);
    },
  });
}
