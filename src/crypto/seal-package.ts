// Builds and opens single DARE 2.0 packages with an engine key. Pure per
// package; the streams own the sequencing state.
import { assert } from '../util/assert.ts';
import type { AeadKey } from './engine.ts';
import { Dare, packageAad, packageIv, writeHeader } from './format.ts';
import type { Slab } from './slab.ts';

/**
 * Seals `payload` as package `sequence` of the stream with base nonce `nonce`.
 * Returns the package as pieces (header, then ciphertext and tag) to emit in order.
 */
export async function sealPackage(key: AeadKey, nonce: Uint8Array, sequence: number, payload: Uint8Array, final: boolean, header: Uint8Array): Promise<Uint8Array[]> {
  assert(header.length === Dare.headerBytes, 'dare: header size');
  writeHeader(header, 0, payload.length, nonce, final);
  const pieces = await key.seal(packageIv(header, sequence), packageAad(header), payload);
  let sealedBytes = 0;
  for (const p of pieces) sealedBytes += p.length;
  assert(sealedBytes === payload.length + Dare.tagBytes, 'dare: sealed size');
  return [header, ...pieces];
}

/** Opens a whole package as number `sequence`; null when it does not authenticate. Header checks are the caller's. */
export async function openPackage(key: AeadKey, pkg: Uint8Array, sequence: number): Promise<Uint8Array | null> {
  assert(pkg.length >= Dare.packageBytesMin, 'dare: package too short');
  return key.open(packageIv(pkg, sequence), packageAad(pkg), pkg.subarray(Dare.headerBytes));
}

/** Seals a group of packages concurrently (headers carved from `slab`); pieces come back in stream order. */
export async function sealBatch(
  key: AeadKey, nonce: Uint8Array, firstSequence: number, payloads: readonly Uint8Array[], lastIsFinal: boolean, slab: Slab,
): Promise<Uint8Array[]> {
  const lastIndex = payloads.length - 1;
  if (payloads.length === 1) return sealPackage(key, nonce, firstSequence, payloads[0]!, lastIsFinal, slab.take(Dare.headerBytes));
  const packages = await Promise.all(payloads.map((p, i) => sealPackage(key, nonce, firstSequence + i, p, lastIsFinal && i === lastIndex, slab.take(Dare.headerBytes))));
  return packages.flat();
}
