// The KMS contract shared by the local keystore and Vault Transit backends.

/** String->string map; always includes the object's "bucket/key" entry added by Cairn. */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface DataKey {
  /** 32 bytes; the caller zeroes it after use. */
  plaintext: Uint8Array;
  /** Opaque backend ciphertext, safe to store. */
  ciphertext: Uint8Array;
  /** The key version that sealed it, where the backend knows it. */
  keyVersion?: number;
}

export interface KeyStatus {
  keyId: string;
  /** Newest version. */
  latestVersion: number;
  minDecryptionVersion: number;
  createdMs: number;
  /** Round-trip of generate+decrypt succeeded. */
  ok: boolean;
}

export interface KmsHealth {
  backend: 'local' | 'vault';
  online: boolean;
  detail?: string;
  latencyMs?: number;
}

export type KmsErrorCode = 'KeyNotFound' | 'KeyExists' | 'ContextMismatch' | 'DecryptFailed' | 'Unavailable' | 'InvalidKeyId' | 'InvalidContext' | 'PermissionDenied';

export class KmsError extends Error {
  override name = 'KmsError';
  constructor(readonly code: KmsErrorCode, message?: string) {
    super(message ?? code);
  }
}

export interface Kms {
  readonly backend: 'local' | 'vault';
  generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey>;
  decrypt(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  /** Re-seal under the newest key version without exposing the plaintext to the caller. */
  rewrap(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  createKey(keyId: string): Promise<void>;
  listKeys(): Promise<string[]>;
  keyStatus(keyId: string): Promise<KeyStatus>;
  rotateKey(keyId: string): Promise<KeyStatus>;
  /**
   * Refuse to decrypt ciphertexts sealed by versions below `version` (Vault's
   * min_decryption_version). Raise it only after a rewrap. Optional so that
   * test fakes need not implement it; both real backends do.
   */
  setMinDecryptionVersion?(keyId: string, version: number): Promise<KeyStatus>;
  health(): Promise<KmsHealth>;
}
