// Transit engine state of the Vault test double: keys, versions, derived-key
// contexts and the `vault:vN:` ciphertext format. Pure logic, no HTTP.
import { hkdfSync } from 'node:crypto';
import { aeadNonceBytes, aeadOpen, aeadSeal } from '../aead.ts';
import type { Random } from '../../util/random.ts';

export class TransitError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export const missingContextMessage =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key";

interface TransitKey {
  name: string;
  derived: boolean;
  versions: { key: Uint8Array; createdS: number }[];
  minDecryptionVersion: number;
  minEncryptionVersion: number;
  deletionAllowed: boolean;
}

/** Vault's KDF for derived keys (current key format): HKDF-SHA256, no salt, context as info. */
function deriveKey(key: Uint8Array, context: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), context, 32));
}

export class TransitState {
  private readonly keys = new Map<string, TransitKey>();
  constructor(private readonly random: Random, private readonly nowS: () => number) {}

  create(name: string, body: Record<string, unknown>): TransitKey {
    const existing = this.keys.get(name);
    if (existing !== undefined) return existing; // Vault upserts: creating an existing key changes nothing
    const type = body['type'] ?? 'aes256-gcm96';
    if (type !== 'aes256-gcm96') throw new TransitError(400, `unsupported key type in this double: ${String(type)}`);
    const key: TransitKey = {
      name,
      derived: body['derived'] === true || body['derived'] === 'true',
      versions: [{ key: this.random.bytes(32), createdS: this.nowS() }],
      minDecryptionVersion: 1,
      minEncryptionVersion: 0,
      deletionAllowed: false,
    };
    this.keys.set(name, key);
    return key;
  }

  get(name: string): TransitKey | undefined {
    return this.keys.get(name);
  }

  list(): string[] {
    return [...this.keys.keys()].sort();
  }

  rotate(name: string): TransitKey {
    const key = this.require(name, 'key not found');
    key.versions.push({ key: this.random.bytes(32), createdS: this.nowS() });
    return key;
  }

  configure(name: string, body: Record<string, unknown>): TransitKey {
    const key = this.require(name, 'no such key');
    const min = body['min_decryption_version'];
    if (min !== undefined) {
      if (typeof min !== 'number' || !Number.isInteger(min)) throw new TransitError(400, 'min_decryption_version must be an integer');
      if (min > key.versions.length) throw new TransitError(400, 'cannot set min decryption version to a value greater than the latest version');
      key.minDecryptionVersion = Math.max(1, min);
    }
    if (typeof body['deletion_allowed'] === 'boolean') key.deletionAllowed = body['deletion_allowed'];
    return key;
  }

  describe(key: TransitKey): Record<string, unknown> {
    const keys: Record<string, number> = {};
    key.versions.forEach((v, i) => { keys[String(i + 1)] = v.createdS; });
    return {
      type: 'aes256-gcm96', deletion_allowed: key.deletionAllowed, derived: key.derived, exportable: false,
      allow_plaintext_backup: false, keys, latest_version: key.versions.length,
      min_available_version: 0, min_decryption_version: key.minDecryptionVersion, min_encryption_version: key.minEncryptionVersion,
      name: key.name, supports_encryption: true, supports_decryption: true, supports_derivation: true,
      supports_signing: false, imported: false, kdf: key.derived ? 'hkdf_sha256' : undefined,
    };
  }

  encrypt(name: string, plaintext: Uint8Array, contextB64: unknown, keyVersion = 0): string {
    const key = this.require(name, 'encryption key not found');
    const version = keyVersion === 0 ? key.versions.length : keyVersion;
    if (version < key.minEncryptionVersion || version > key.versions.length) throw new TransitError(400, 'invalid key version');
    const material = this.material(key, version, contextB64);
    const nonce = this.random.bytes(aeadNonceBytes);
    const sealed = aeadSeal(material, nonce, plaintext, new Uint8Array(0));
    return `vault:v${version}:${Buffer.concat([nonce, sealed]).toString('base64')}`;
  }

  decrypt(name: string, ciphertext: unknown, contextB64: unknown): Uint8Array {
    const key = this.require(name, 'encryption key not found');
    if (typeof ciphertext !== 'string') throw new TransitError(400, 'missing ciphertext to decrypt');
    const match = /^vault:v(\d+):([A-Za-z0-9+/=]+)$/.exec(ciphertext);
    if (match === null) throw new TransitError(400, 'invalid ciphertext: no prefix');
    const version = Number(match[1]);
    if (version < key.minDecryptionVersion) throw new TransitError(400, 'ciphertext or signature version is disallowed by policy (too old)');
    if (version < 1 || version > key.versions.length) throw new TransitError(400, 'invalid key version');
    const raw = new Uint8Array(Buffer.from(match[2] ?? '', 'base64'));
    const material = this.material(key, version, contextB64);
    const opened = raw.length < aeadNonceBytes ? null : aeadOpen(material, raw.subarray(0, aeadNonceBytes), raw.subarray(aeadNonceBytes), new Uint8Array(0));
    if (opened === null) throw new TransitError(400, 'cipher: message authentication failed');
    return opened;
  }

  private material(key: TransitKey, version: number, contextB64: unknown): Uint8Array {
    const base = key.versions[version - 1];
    if (base === undefined) throw new TransitError(400, 'invalid key version');
    if (!key.derived) return base.key;
    if (typeof contextB64 !== 'string' || contextB64.length === 0) throw new TransitError(400, missingContextMessage);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(contextB64)) throw new TransitError(400, 'failed to base64-decode context');
    return deriveKey(base.key, new Uint8Array(Buffer.from(contextB64, 'base64')));
  }

  private require(name: string, message: string): TransitKey {
    const key = this.keys.get(name);
    if (key === undefined) throw new TransitError(400, message);
    return key;
  }
}
