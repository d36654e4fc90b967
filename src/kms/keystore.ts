// The local keystore document: named keys with versions, sealed as a whole by
// the master key. Frozen format v1:
//   magic "CKS" | 0x01 | u8 nameLen | masterKeyName | nonce(12) | AES-256-GCM(json) | tag(16)
// AAD = every byte before the sealed JSON, so the header cannot be swapped.
import { assert } from '../util/assert.ts';
import type { Random } from '../util/random.ts';
import { aeadNonceBytes, aeadOpen, aeadSeal, aeadTagBytes, aeadKeyBytes } from './aead.ts';
import { validateKeyId } from './key-id.ts';
import type { MasterKey } from './master-key.ts';
import { KmsError } from './types.ts';

const magic = [0x43, 0x4b, 0x53] as const; // "CKS"
const formatVersion = 1;
export const keystoreKeysMax = 10_000;
export const keyVersionsMax = 1_000;
export const keystoreBytesMax = 16 * 1024 * 1024;

export interface KeyVersionRecord {
  readonly createdMs: number;
  /** 32 bytes of key material. */
  readonly material: Uint8Array;
}

export interface KeyRecord {
  readonly createdMs: number;
  readonly minDecryptionVersion: number;
  /** versions[i] is version i + 1. Never empty. */
  readonly versions: readonly KeyVersionRecord[];
}

export type Keystore = ReadonlyMap<string, KeyRecord>;

interface KeystoreJson {
  format: 1;
  keys: Record<string, { createdMs: number; minDecryptionVersion: number; versions: { createdMs: number; material: string }[] }>;
}

export function sealKeystore(keystore: Keystore, masterKey: MasterKey, random: Random): Uint8Array {
  assert(keystore.size <= keystoreKeysMax, 'keystore key count');
  const json: KeystoreJson = { format: 1, keys: {} };
  for (const [keyId, record] of keystore) {
    json.keys[keyId] = {
      createdMs: record.createdMs,
      minDecryptionVersion: record.minDecryptionVersion,
      versions: record.versions.map((v) => ({ createdMs: v.createdMs, material: Buffer.from(v.material).toString('base64') })),
    };
  }
  const plaintext = new TextEncoder().encode(JSON.stringify(json));
  const header = keystoreHeader(masterKey.name, random.bytes(aeadNonceBytes));
  const sealed = aeadSeal(masterKey.key, header.subarray(header.length - aeadNonceBytes), plaintext, header);
  plaintext.fill(0);
  const out = new Uint8Array(header.length + sealed.length);
  out.set(header, 0);
  out.set(sealed, header.length);
  return out;
}

function keystoreHeader(masterKeyName: string, nonce: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode(masterKeyName);
  assert(name.length <= 255 && nonce.length === aeadNonceBytes, 'keystore header fields');
  const header = new Uint8Array(magic.length + 2 + name.length + aeadNonceBytes);
  header.set(magic, 0);
  header[3] = formatVersion;
  header[4] = name.length;
  header.set(name, 5);
  header.set(nonce, 5 + name.length);
  return header;
}

/** Opens and fully validates a sealed keystore. Errors never include key material. */
export function openKeystore(bytes: Uint8Array, masterKey: MasterKey): Keystore {
  const corrupt = (why: string): KmsError => new KmsError('DecryptFailed', `KMS keystore unreadable: ${why}`);
  if (bytes.length > keystoreBytesMax) throw corrupt('too large');
  if (bytes.length < 5 || bytes[0] !== magic[0] || bytes[1] !== magic[1] || bytes[2] !== magic[2]) throw corrupt('bad magic');
  if (bytes[3] !== formatVersion) throw corrupt(`unknown format version ${bytes[3]}`);
  const nameBytes = bytes[4] ?? 0;
  const headerBytes = 5 + nameBytes + aeadNonceBytes;
  if (bytes.length < headerBytes + aeadTagBytes) throw corrupt('truncated');
  const name = new TextDecoder().decode(bytes.subarray(5, 5 + nameBytes));
  if (name !== masterKey.name) {
    throw corrupt(`it is sealed by master key "${name}" but the configured master key is "${masterKey.name}"`);
  }
  const header = bytes.subarray(0, headerBytes);
  const plaintext = aeadOpen(masterKey.key, header.subarray(5 + nameBytes), bytes.subarray(headerBytes), header);
  if (plaintext === null) throw corrupt('the master key does not open it (wrong key or corrupted data)');
  try {
    return parseKeystoreJson(new TextDecoder().decode(plaintext));
  } catch (error) {
    if (error instanceof KmsError) throw error;
    throw new KmsError('DecryptFailed', 'KMS keystore invalid: malformed document'); // no parser text: it could quote key material
  } finally {
    plaintext.fill(0);
  }
}

function parseKeystoreJson(text: string): Keystore {
  const bad = (why: string): KmsError => new KmsError('DecryptFailed', `KMS keystore invalid: ${why}`);
  const json = JSON.parse(text) as Partial<KeystoreJson>;
  if (json.format !== 1 || typeof json.keys !== 'object' || json.keys === null) throw bad('format');
  const out = new Map<string, KeyRecord>();
  for (const [keyId, raw] of Object.entries(json.keys)) {
    if (!Array.isArray(raw.versions)) throw bad(`key ${keyId} versions`);
    validateKeyId(keyId);
    const versions = raw.versions.map((v) => ({ createdMs: v.createdMs, material: new Uint8Array(Buffer.from(v.material, 'base64')) }));
    if (versions.length < 1 || versions.length > keyVersionsMax) throw bad(`key ${keyId} version count`);
    if (versions.some((v) => v.material.length !== aeadKeyBytes || !Number.isFinite(v.createdMs))) throw bad(`key ${keyId} material`);
    const min = raw.minDecryptionVersion;
    if (!Number.isInteger(min) || min < 1 || min > versions.length) throw bad(`key ${keyId} min decryption version`);
    out.set(keyId, { createdMs: raw.createdMs, minDecryptionVersion: min, versions });
  }
  if (out.size > keystoreKeysMax) throw bad('too many keys');
  return out;
}
