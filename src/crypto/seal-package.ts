// Builds and opens single DARE 2.0 packages with an engine key. Pure per
// package; the streams own the sequencing state.
import { assert } from '../util/assert.ts';
import type { AeadKey } from './engine.ts';
import { Dare, packageAad, packageIv, writeHeader } from './format.ts';
import type { Slab } from './slab.ts';
import { releaseOwned } from './open-in-place.ts';
import { copyBytes } from '../util/copy.ts';

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

/**
 * Seals `payload` in place: its bytes become the ciphertext, and the package is
 * emitted as [header, payload (now ciphertext), tag]; header and tag come from `slab`.
 * The engine's own output is copied over the payload and freed at once, so no fresh
 * memory is touched per package (see open-in-place.ts for why that matters).
 */
export function sealPackageInPlace(key: AeadKey, nonce: Uint8Array, sequence: number, payload: Uint8Array, final: boolean, slab: Slab): Maybe<Uint8Array[]> {
  const header = slab.take(Dare.headerBytes);
  writeHeader(header, 0, payload.length, nonce, final);
  const finish = (pieces: readonly Uint8Array[]): Uint8Array[] => {
    const tag = slab.take(Dare.tagBytes);
    let at = 0;
    for (const p of pieces) {
      const intoPayload = Math.max(0, Math.min(p.length, payload.length - at));
      if (intoPayload > 0) copyBytes(payload, intoPayload === p.length ? p : p.subarray(0, intoPayload), at);
      if (intoPayload < p.length) copyBytes(tag, p.subarray(intoPayload), at + intoPayload - payload.length);
      at += p.length;
      releaseOwned(p);
    }
    assert(at === payload.length + Dare.tagBytes, 'dare: sealed size');
    return [header, payload, tag];
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
  /** Payloads that may be overwritten with their ciphertext (handed-over input). */
  inPlace: (payload: Uint8Array) => boolean = () => false,
): Promise<Uint8Array[]> {
  const lastIndex = payloads.length - 1;
  const packages = settleAll(payloads.map((p, i) => {
    const final = lastIsFinal && i === lastIndex;
    return inPlace(p) ? sealPackageInPlace(key, nonce, firstSequence + i, p, final, slab) : sealPackage(key, nonce, firstSequence + i, p, final, slab.take(Dare.headerBytes));
  }));
  return (packages instanceof Promise ? await packages : packages).flat();
}
