// LocalKms: named, versioned 256-bit keys in a keystore sealed by the master
// key and persisted through an injected store (the server backs it with the
// drives' quorum-replicated system documents). Data keys are sealed with
// AES-256-GCM under the newest key version, bound to the canonical context.
import { roundTripOk } from './probe.ts';
import { assert } from '../util/assert.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { cryptoRandom, type Random } from '../util/random.ts';
import { aeadKeyBytes, aeadNonceBytes, aeadOpen, aeadSeal } from './aead.ts';
import { encodeContext } from './context.ts';
import { validateKeyId } from './key-id.ts';
import { keystoreKeysMax, keyVersionsMax, openKeystore, sealKeystore, type KeyRecord, type Keystore } from './keystore.ts';
import { dataKeyBytes, decodeLocalCiphertext, encodeLocalCiphertext, localHeader } from './local-format.ts';
import type { MasterKey } from './master-key.ts';
import { KmsError, type DataKey, type EncryptionContext, type Kms, type KeyStatus, type KmsHealth } from './types.ts';

/** Where the sealed keystore lives; e.g. ObjectStore.readSystem/writeSystem("kms/keystore"). */
export interface KeystoreStore {
  read(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<void>;
}

export interface LocalKmsOptions {
  masterKey: MasterKey;
  store: KeystoreStore;
  /** Create unknown keys on generateDataKey (CAIRN_KMS_AUTO_CREATE). */
  autoCreate: boolean;
  clock?: Clock;
  random?: Random;
  /** A lookup miss re-reads the store (keys created by another process) at most this often. */
  reloadIntervalMsMin?: number;
}


export class LocalKms implements Kms {
  readonly backend = 'local' as const;
  private keystore: Keystore = new Map();
  private mutationChain: Promise<unknown> = Promise.resolve();
  private lastReloadMs = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly reloadIntervalMsMin: number;

  private constructor(private readonly options: LocalKmsOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.reloadIntervalMsMin = options.reloadIntervalMsMin ?? 1000;
  }

  /** Loads the keystore (an absent one is empty) and fails fast on a wrong master key. */
  static async open(options: LocalKmsOptions): Promise<LocalKms> {
    const kms = new LocalKms(options);
    await kms.reload();
    return kms;
  }

  async generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey> {
    validateKeyId(keyId);
    const aadContext = encodeContext(context);
    let record = await this.lookup(keyId);
    if (record === undefined && this.options.autoCreate) record = await this.createIfMissing(keyId);
    if (record === undefined) throw new KmsError('KeyNotFound', `KMS key ${keyId} not found`);
    return this.seal(keyId, record, this.random.bytes(dataKeyBytes), aadContext);
  }

  async decrypt(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    validateKeyId(keyId);
    const aadContext = encodeContext(context);
    return this.open(keyId, ciphertext, aadContext);
  }

  async rewrap(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    validateKeyId(keyId);
    const aadContext = encodeContext(context);
    const plaintext = await this.open(keyId, ciphertext, aadContext);
    try {
      const record = await this.requireKey(keyId);
      return this.seal(keyId, record, plaintext, aadContext).ciphertext;
    } finally {
      plaintext.fill(0);
    }
  }

  async createKey(keyId: string): Promise<void> {
    validateKeyId(keyId);
    await this.mutate((keystore) => {
      if (keystore.has(keyId)) throw new KmsError('KeyExists', `KMS key ${keyId} already exists`);
      if (keystore.size >= keystoreKeysMax) throw new KmsError('InvalidKeyId', `the keystore holds at most ${keystoreKeysMax} keys`);
      return new Map(keystore).set(keyId, this.newKeyRecord());
    });
  }

  async listKeys(): Promise<string[]> {
    await this.reload();
    return [...this.keystore.keys()].sort();
  }

  async keyStatus(keyId: string): Promise<KeyStatus> {
    validateKeyId(keyId);
    const record = await this.requireKey(keyId);
    const ok = await roundTripOk(this, keyId);
    return statusOf(keyId, record, ok);
  }

  async rotateKey(keyId: string): Promise<KeyStatus> {
    validateKeyId(keyId);
    const next = await this.mutate((keystore) => {
      const record = keystore.get(keyId);
      if (record === undefined) throw new KmsError('KeyNotFound', `KMS key ${keyId} not found`);
      if (record.versions.length >= keyVersionsMax) throw new KmsError('InvalidKeyId', `KMS key ${keyId} has reached ${keyVersionsMax} versions`);
      const versions = [...record.versions, { createdMs: this.clock.nowMs(), material: this.random.bytes(aeadKeyBytes) }];
      return new Map(keystore).set(keyId, { ...record, versions });
    });
    const status = await this.keyStatus(keyId);
    if (status.latestVersion < must(next.get(keyId)).versions.length) throw new KmsError('Unavailable', 'KMS keystore changed during rotation');
    return status;
  }

  async setMinDecryptionVersion(keyId: string, version: number): Promise<KeyStatus> {
    validateKeyId(keyId);
    await this.mutate((keystore) => {
      const record = keystore.get(keyId);
      if (record === undefined) throw new KmsError('KeyNotFound', `KMS key ${keyId} not found`);
      if (!Number.isInteger(version) || version < 1 || version > record.versions.length) {
        throw new KmsError('InvalidKeyId', `min decryption version must be between 1 and ${record.versions.length}`);
      }
      return new Map(keystore).set(keyId, { ...record, minDecryptionVersion: version });
    });
    return this.keyStatus(keyId);
  }

  async health(): Promise<KmsHealth> {
    const startMs = this.clock.nowMs();
    try {
      await this.reload();
      return { backend: 'local', online: true, detail: `${this.keystore.size} keys`, latencyMs: this.clock.nowMs() - startMs };
    } catch (error) {
      return { backend: 'local', online: false, detail: error instanceof Error ? error.message : 'keystore unreadable' };
    }
  }

  private seal(keyId: string, record: KeyRecord, plaintext: Uint8Array, aadContext: Uint8Array): DataKey {
    const keyVersion = record.versions.length;
    const header = localHeader(keyId, keyVersion);
    const nonce = this.random.bytes(aeadNonceBytes);
    const sealed = aeadSeal(must(record.versions[keyVersion - 1]).material, nonce, plaintext, concat(header, aadContext));
    return { plaintext, ciphertext: encodeLocalCiphertext(header, nonce, sealed), keyVersion };
  }

  private async open(keyId: string, ciphertext: Uint8Array, aadContext: Uint8Array): Promise<Uint8Array> {
    let record = await this.requireKey(keyId);
    const parsed = decodeLocalCiphertext(ciphertext);
    if (parsed.keyId !== keyId) throw new KmsError('DecryptFailed', `ciphertext was sealed by another KMS key, not ${keyId}`);
    if (parsed.keyVersion > record.versions.length) record = await this.requireKey(keyId, true);
    if (parsed.keyVersion > record.versions.length) throw new KmsError('DecryptFailed', `KMS key ${keyId} has no version ${parsed.keyVersion}`);
    if (parsed.keyVersion < record.minDecryptionVersion) {
      throw new KmsError('DecryptFailed', `KMS key ${keyId} version ${parsed.keyVersion} is below the minimum decryption version`);
    }
    const material = must(record.versions[parsed.keyVersion - 1]).material;
    const plaintext = aeadOpen(material, parsed.nonce, parsed.sealed, concat(parsed.header, aadContext));
    if (plaintext === null) throw new KmsError('ContextMismatch', 'data key does not open: wrong encryption context or corrupted ciphertext');
    return plaintext;
  }

  private async requireKey(keyId: string, forceReload = false): Promise<KeyRecord> {
    const record = forceReload ? (await this.reload(), this.keystore.get(keyId)) : await this.lookup(keyId);
    if (record === undefined) throw new KmsError('KeyNotFound', `KMS key ${keyId} not found`);
    return record;
  }

  /** In-memory first; a miss re-reads the store, rate-limited, to see keys made elsewhere. */
  private async lookup(keyId: string): Promise<KeyRecord | undefined> {
    const cached = this.keystore.get(keyId);
    if (cached !== undefined) return cached;
    if (this.clock.nowMs() - this.lastReloadMs < this.reloadIntervalMsMin) return undefined;
    await this.reload();
    return this.keystore.get(keyId);
  }

  private async createIfMissing(keyId: string): Promise<KeyRecord> {
    const next = await this.mutate((keystore) => (keystore.has(keyId) ? keystore : new Map(keystore).set(keyId, this.newKeyRecord())));
    return must(next.get(keyId));
  }

  private newKeyRecord(): KeyRecord {
    const nowMs = this.clock.nowMs();
    return { createdMs: nowMs, minDecryptionVersion: 1, versions: [{ createdMs: nowMs, material: this.random.bytes(aeadKeyBytes) }] };
  }

  private async reload(): Promise<void> {
    let bytes: Uint8Array | null;
    try {
      bytes = await this.options.store.read();
    } catch (error) {
      throw new KmsError('Unavailable', `KMS keystore cannot be read: ${error instanceof Error ? error.message : 'error'}`);
    }
    this.keystore = bytes === null ? new Map() : openKeystore(bytes, this.options.masterKey);
    this.lastReloadMs = this.clock.nowMs();
  }

  /** Serialised read-modify-write: re-read, apply, seal, persist, then publish in memory. */
  private mutate(change: (keystore: Keystore) => Keystore): Promise<Keystore> {
    const run = async (): Promise<Keystore> => {
      await this.reload();
      const next = change(this.keystore);
      if (next === this.keystore) return next;
      try {
        await this.options.store.write(sealKeystore(next, this.options.masterKey, this.random));
      } catch (error) {
        throw new KmsError('Unavailable', `KMS keystore cannot be written: ${error instanceof Error ? error.message : 'error'}`);
      }
      this.keystore = next;
      return next;
    };
    const result = this.mutationChain.then(run, run);
    this.mutationChain = result.catch(() => undefined);
    return result;
  }
}

function statusOf(keyId: string, record: KeyRecord, ok: boolean): KeyStatus {
  return { keyId, latestVersion: record.versions.length, minDecryptionVersion: record.minDecryptionVersion, createdMs: record.createdMs, ok };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Keystore invariants (versions never empty, a published key stays) make a miss a bug. */
function must<T>(value: T | undefined): T {
  assert(value !== undefined, 'KMS keystore invariant');
  return value;
}
