// Builds and opens single DARE 2.0 packages with an engine key. Pure per
// package; the streams own the sequencing state.
import { assert } from '../util/assert.ts';
import type { AeadKey } from './engine.ts';
import type { Slab } from './slab.ts';
import { Dare, packageAad, packageIv, writeHeader } from './format.ts';

/** Seals `payload` as package `sequence` of the stream with base nonce `nonce`. */
export async function sealPackage(key: AeadKey, nonce: Uint8Array, sequence: number, payload: Uint8Array, final: boolean, pkg: Uint8Array): Promise<Uint8Array> {
  assert(pkg.length === Dare.overheadBytes + payload.length, 'dare: output size');
  writeHeader(pkg, 0, payload.length, nonce, final);
  await key.seal(packageIv(pkg, sequence), packageAad(pkg), payload, pkg.subarray(Dare.headerBytes));
  return pkg;
}

/** Opens a whole package as number `sequence`; null when it does not authenticate. Header checks are the caller's. */
export async function openPackage(key: AeadKey, pkg: Uint8Array, sequence: number): Promise<Uint8Array | null> {
  assert(pkg.length >= Dare.packageBytesMin, 'dare: package too short');
  return key.open(packageIv(pkg, sequence), packageAad(pkg), pkg.subarray(Dare.headerBytes));
}

/** Seals up to `batchPackages` packages at a time, concurrently, keeping order. */
export async function sealBatch(
  key: AeadKey, nonce: Uint8Array, firstSequence: number, payloads: readonly Uint8Array[], lastIsFinal: boolean, slab: Slab,
): Promise<Uint8Array[]> {
  const outs = payloads.map((p) => slab.take(p.length + Dare.overheadBytes));
  if (payloads.length === 1) return [await sealPackage(key, nonce, firstSequence, payloads[0]!, lastIsFinal, outs[0]!)];
  return Promise.all(payloads.map((p, i) => sealPackage(key, nonce, firstSequence + i, p, lastIsFinal && i === payloads.length - 1, outs[i]!)));
}
