// DARE 2.0 package layout (as documented by minio/sio): frozen constants plus
// the header and nonce helpers shared by both cipher engines and both streams.
//
//   package = header(16) | ciphertext(1..64 KiB) | tag(16)
//   header  = version 0x20 | cipher 0x00 | u16 LE (payload bytes - 1) | nonce(12)
//   nonce[0] & 0x80 marks the final package; the GCM IV is the header nonce with
//   its last 4 bytes (u32 LE) XORed with the package sequence number; AAD = header[0:4].
import { assert } from '../util/assert.ts';

const headerBytes = 16;
const tagBytes = 16;
const payloadBytesMax = 64 * 1024;
const nonceOffset = 4;
const nonceBytes = 12;

export const Dare = Object.freeze({
  version: 0x20,
  cipherAes256Gcm: 0x00,
  headerBytes,
  tagBytes,
  nonceOffset,
  nonceBytes,
  aadBytes: nonceOffset,
  keyBytes: 32,
  payloadBytesMax,
  packageBytesMax: headerBytes + payloadBytesMax + tagBytes,
  overheadBytes: headerBytes + tagBytes,
  /** The smallest well-formed package holds one payload byte. */
  packageBytesMin: headerBytes + 1 + tagBytes,
  finalFlag: 0x80,
  /** The sequence number is XORed into a u32, so a stream holds at most 2^32 packages. */
  sequenceCount: 2 ** 32,
});

// Load-time checks: the layout constants must agree with each other.
assert(Dare.nonceOffset + Dare.nonceBytes === Dare.headerBytes, 'dare: header = 4 + nonce');
assert(Dare.packageBytesMax === Dare.payloadBytesMax + Dare.overheadBytes, 'dare: package size');
assert(Dare.overheadBytes === 32, 'dare: 32 B overhead per package');
assert(Dare.payloadBytesMax - 1 === 0xffff, 'dare: payload length fits the u16 field');
assert(Number.isSafeInteger(Dare.sequenceCount * Dare.packageBytesMax), 'dare: sizes stay exact');

export interface PackageHeader {
  version: number;
  cipher: number;
  payloadBytes: number;
  final: boolean;
}

/** Writes a header into `out[offset..offset+16)`. `nonce` is the stream's 12-byte base nonce. */
export function writeHeader(out: Uint8Array, offset: number, payloadBytes: number, nonce: Uint8Array, final: boolean): void {
  assert(payloadBytes >= 1 && payloadBytes <= Dare.payloadBytesMax, 'dare: payload size out of range');
  assert(nonce.length === Dare.nonceBytes, 'dare: nonce size');
  const lengthField = payloadBytes - 1;
  out[offset] = Dare.version;
  out[offset + 1] = Dare.cipherAes256Gcm;
  out[offset + 2] = lengthField & 0xff;
  out[offset + 3] = lengthField >>> 8;
  out.set(nonce, offset + Dare.nonceOffset);
  const flagIndex = offset + Dare.nonceOffset;
  out[flagIndex] = final ? (out[flagIndex]! | Dare.finalFlag) : (out[flagIndex]! & ~Dare.finalFlag & 0xff);
}

/** Reads the fields of the header at the start of `pkg` (at least 16 bytes). */
export function readHeader(pkg: Uint8Array): PackageHeader {
  assert(pkg.length >= Dare.headerBytes, 'dare: short header');
  return {
    version: pkg[0]!,
    cipher: pkg[1]!,
    payloadBytes: (pkg[2]! | (pkg[3]! << 8)) + 1,
    final: (pkg[Dare.nonceOffset]! & Dare.finalFlag) !== 0,
  };
}

/** Total bytes of the package whose first 4 header bytes are at `pkg[0..4)`. */
export function packageBytesOf(pkg: Uint8Array): number {
  return (pkg[2]! | (pkg[3]! << 8)) + 1 + Dare.overheadBytes;
}

/** The GCM IV of package `sequence`: the header nonce with its last u32 (LE) XORed with the sequence. */
export function packageIv(header: Uint8Array, sequence: number): Uint8Array {
  assert(Number.isInteger(sequence) && sequence >= 0 && sequence < Dare.sequenceCount, 'dare: sequence out of range');
  // A copy, never a view: Buffer.prototype.slice returns a view, and stored packages often are Buffers.
  const iv = Uint8Array.prototype.slice.call(header, Dare.nonceOffset, Dare.headerBytes);
  const view = new DataView(iv.buffer, iv.byteOffset, iv.byteLength);
  view.setUint32(8, (view.getUint32(8, true) ^ sequence) >>> 0, true);
  return iv;
}

/** The authenticated header prefix: version, cipher and payload length. */
export function packageAad(header: Uint8Array): Uint8Array {
  return header.subarray(0, Dare.aadBytes);
}

/** The header nonce with the final flag cleared: equal across all packages of one stream. */
export function baseNonceOf(header: Uint8Array): Uint8Array {
  const nonce = Uint8Array.prototype.slice.call(header, Dare.nonceOffset, Dare.headerBytes); // a copy, as above
  nonce[0] = nonce[0]! & ~Dare.finalFlag & 0xff;
  return nonce;
}
