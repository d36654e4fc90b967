// One-package DARE 2.0 seal/open for small secrets (object keys, ETags):
// the same format as object data, so one audited code path covers both.
import { assert } from '../util/assert.ts';
import type { Random } from '../util/random.ts';
import { defaultEngine } from './engine.ts';
import { Dare, readHeader } from './format.ts';
import { openPackage, sealPackage } from './seal-package.ts';

/** Seals 1..64 KiB of `plain` under `key` as one final package with a random nonce. */
export async function sealBuffer(key: Uint8Array, plain: Uint8Array, random: Random): Promise<Uint8Array> {
  assert(plain.length >= 1 && plain.length <= Dare.payloadBytesMax, 'sealBuffer: size');
  const aead = await defaultEngine.importKey(key);
  const pieces = await sealPackage(aead, random.bytes(Dare.nonceBytes), 0, plain, true, new Uint8Array(Dare.headerBytes));
  return new Uint8Array(Buffer.concat(pieces));
}

/** Opens a sealBuffer result; null when it is malformed or does not authenticate. */
export async function openBuffer(key: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | null> {
  if (sealed.length < Dare.packageBytesMin || sealed.length > Dare.packageBytesMax) return null;
  const header = readHeader(sealed);
  const wellFormed = header.version === Dare.version && header.cipher === Dare.cipherAes256Gcm && header.final
    && header.payloadBytes + Dare.overheadBytes === sealed.length;
  if (!wellFormed) return null;
  const aead = await defaultEngine.importKey(key);
  return openPackage(aead, sealed, 0);
}
