// Frozen binary format v1 of a data key sealed by the local KMS:
//   "C" | 0x01 | u8 keyIdLen | keyId | u32be keyVersion | nonce(12) | AES-256-GCM(32-byte key) | tag(16)
// AAD = header (everything before the nonce) | canonical context, so neither the
// key id, the version nor the context can be swapped without failing to open.
import { assert } from '../util/assert.ts';
import { aeadNonceBytes, aeadTagBytes } from './aead.ts';
import { KmsError } from './types.ts';

const magicByte = 0x43; // "C"
const formatVersion = 0x01;
export const dataKeyBytes = 32;
const sealedKeyBytes = dataKeyBytes + aeadTagBytes;

export interface LocalCiphertext {
  keyId: string;
  keyVersion: number;
  /** Bytes authenticated as AAD (before the context is appended). */
  header: Uint8Array;
  nonce: Uint8Array;
  sealed: Uint8Array;
}

export function localHeader(keyId: string, keyVersion: number): Uint8Array {
  const id = new TextEncoder().encode(keyId);
  assert(id.length >= 1 && id.length <= 255, 'key id length');
  assert(Number.isInteger(keyVersion) && keyVersion >= 1 && keyVersion <= 0xffffffff, 'key version range');
  const header = new Uint8Array(3 + id.length + 4);
  header[0] = magicByte;
  header[1] = formatVersion;
  header[2] = id.length;
  header.set(id, 3);
  new DataView(header.buffer).setUint32(3 + id.length, keyVersion, false);
  return header;
}

export function encodeLocalCiphertext(header: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array {
  assert(nonce.length === aeadNonceBytes && sealed.length === sealedKeyBytes, 'local ciphertext parts');
  const out = new Uint8Array(header.length + nonce.length + sealed.length);
  out.set(header, 0);
  out.set(nonce, header.length);
  out.set(sealed, header.length + nonce.length);
  return out;
}

export function decodeLocalCiphertext(bytes: Uint8Array): LocalCiphertext {
  const bad = (): KmsError => new KmsError('DecryptFailed', 'not a local KMS ciphertext (bad format)');
  if (bytes.length < 3 || bytes[0] !== magicByte) throw bad();
  if (bytes[1] !== formatVersion) throw new KmsError('DecryptFailed', `unknown local KMS ciphertext version ${bytes[1]}`);
  const idBytes = bytes[2] ?? 0;
  const headerBytes = 3 + idBytes + 4;
  if (idBytes === 0 || bytes.length !== headerBytes + aeadNonceBytes + sealedKeyBytes) throw bad();
  const header = bytes.subarray(0, headerBytes);
  const keyVersion = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(3 + idBytes, false);
  return {
    keyId: new TextDecoder().decode(bytes.subarray(3, 3 + idBytes)),
    keyVersion,
    header,
    nonce: bytes.subarray(headerBytes, headerBytes + aeadNonceBytes),
    sealed: bytes.subarray(headerBytes + aeadNonceBytes),
  };
}
