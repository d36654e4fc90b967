// Builds and opens single DARE 2.0 packages with an engine key. Pure per
// package; the streams own the sequencing state.
import { assert } from '../util/assert.ts';
import type { AeadKey } from './engine.ts';
import { Dare, packageAad, packageIv, writeHeader } from './format.ts';
import type { Slab } from './slab.ts';

/** A value now, or later: the node engine answers synchronously, so a batch needs no microtask per package. */
export type Maybe<T> = T | Promise<T>;

/** Resolves every value, awaiting only when some are promises. */
export function settleAll<T>(values: Maybe<T>[]): Maybe<T[]> {
  return values.some((v) => v instanceof Promise) ? Promise.all(values) : (values as T[]);
}

/**
 * Seals `payload` as package `sequence` of the stream with base nonce `nonce`.
 * Returns the package as pieces (header, then ciphertext and tag) to emit in order.
 */
export function sealPackage(key: AeadKey, nonce: Uint8Array, sequence: number, payload: Uint8Array, final: boolean, header: Uint8Array): Maybe<Uint8Array[]> {
  assert(header.length === Dare.headerBytes, 'dare: header size');
  writeHeader(header, 0, payload.length, nonce, final);
  const finish = (pieces: readonly Uint8Array[]): Uint8Array[] => {
    let sealedBytes = 0;
    for (const p of pieces) sealedBytes += p.length;
    assert(sealedBytes === payload.length + Dare.tagBytes, 'dare: sealed size');
    return [header, ...pieces];
  };
  const pieces = key.seal(packageIv(header, sequence), packageAad(header), payload);
  return pieces instanceof Promise ? pieces.then(finish) : finish(pieces);
}

/** Opens a whole package as number `sequence`; null when it does not authenticate. Header checks are the caller's. */
export function openPackage(key: AeadKey, pkg: Uint8Array, sequence: number): Maybe<Uint8Array | null> {
  assert(pkg.length >= Dare.packageBytesMin, 'dare: package too short');
  return key.open(packageIv(pkg, sequence), packageAad(pkg), pkg.subarray(Dare.headerBytes));
}

/** Seals a group of packages concurrently (headers carved from `slab`); pieces come back in stream order. */
export async function sealBatch(
  key: AeadKey, nonce: Uint8Array, firstSequence: number, payloads: readonly Uint8Array[], lastIsFinal: boolean, slab: Slab,
): Promise<Uint8Array[]> {
  const lastIndex = payloads.length - 1;
  const packages = settleAll(payloads.map((p, i) => sealPackage(key, nonce, firstSequence + i, p, lastIsFinal && i === lastIndex, slab.take(Dare.headerBytes))));
  return (packages instanceof Promise ? await packages : packages).flat();
}
