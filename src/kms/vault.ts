// VaultKms: the Kms contract over Vault's Transit engine. Keys are created
// with derived=true so every data key is bound to the canonical encryption
// context; existing keys that are not derived are refused, since Vault would
// otherwise silently ignore the context.
import { roundTripOk } from './probe.ts';
import { encodeContextBase64 } from './context.ts';
import { validateKeyId } from './key-id.ts';
import { KmsError, type DataKey, type EncryptionContext, type Kms, type KeyStatus, type KmsErrorCode, type KmsHealth } from './types.ts';
import { numberField, objectField, VaultHttp, vaultErrors, type Json, type VaultHttpOptions, type VaultResponse } from './vault-http.ts';

export interface VaultKmsOptions extends VaultHttpOptions {
  /** Transit mount path. Default "transit". */
  mountPath?: string;
  /** Create unknown keys (derived aes256-gcm96) on generateDataKey. */
  autoCreate: boolean;
}

const ciphertextBytesMax = 4096;

export class VaultKms implements Kms {
  readonly backend = 'vault' as const;
  private readonly http: VaultHttp;
  private readonly mount: string;
  /** Keys already checked to be derived; bounded by the number of keys in use. */
  private readonly derivedKeys = new Set<string>();

  constructor(private readonly options: VaultKmsOptions) {
    this.http = new VaultHttp(options);
    this.mount = (options.mountPath ?? 'transit').replace(/^\/+|\/+$/g, '');
    if (!/^[A-Za-z0-9._/-]+$/.test(this.mount)) throw new KmsError('Unavailable', 'invalid Vault transit mount path');
  }

  async generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey> {
    validateKeyId(keyId);
    const body = { context: encodeContextBase64(context), bits: 256 };
    await this.ensureDerived(keyId, this.options.autoCreate);
    const data = await this.post(`datakey/plaintext/${keyId}`, body, 'KeyNotFound').catch((error: unknown) => {
      if (error instanceof KmsError && error.code === 'KeyNotFound') this.derivedKeys.delete(keyId); // deleted in Vault
      throw error;
    });
    const plaintext = decodeBase64Field(data, 'plaintext');
    if (plaintext.length !== 32) throw new KmsError('Unavailable', 'Vault returned a data key of the wrong size');
    const ciphertext = stringField(data, 'ciphertext');
    return { plaintext, ciphertext: new TextEncoder().encode(ciphertext), keyVersion: versionOf(ciphertext) };
  }

  async decrypt(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    validateKeyId(keyId);
    const body = { ciphertext: ciphertextText(ciphertext), context: encodeContextBase64(context) };
    const data = await this.post(`decrypt/${keyId}`, body, 'DecryptFailed');
    return decodeBase64Field(data, 'plaintext');
  }

  async rewrap(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    validateKeyId(keyId);
    const body = { ciphertext: ciphertextText(ciphertext), context: encodeContextBase64(context) };
    const data = await this.post(`rewrap/${keyId}`, body, 'DecryptFailed');
    return new TextEncoder().encode(stringField(data, 'ciphertext'));
  }

  async createKey(keyId: string): Promise<void> {
    validateKeyId(keyId);
    if ((await this.readKey(keyId)) !== undefined) throw new KmsError('KeyExists', `KMS key ${keyId} already exists`);
    await this.createDerived(keyId);
  }

  async listKeys(): Promise<string[]> {
    const response = await this.http.call({ method: 'GET', path: `${this.mount}/keys?list=true`, retry: true });
    if (response.status === 404) return [];
    const keys = objectField(expectOk(response, 'Unavailable'), 'data')['keys'];
    if (!Array.isArray(keys)) throw new KmsError('Unavailable', 'Vault key list malformed');
    return keys.filter((k): k is string => typeof k === 'string').sort();
  }

  async keyStatus(keyId: string): Promise<KeyStatus> {
    validateKeyId(keyId);
    const data = await this.readKey(keyId);
    if (data === undefined) throw new KmsError('KeyNotFound', `KMS key ${keyId} not found`);
    const ok = await roundTripOk(this, keyId);
    return statusFrom(keyId, data, ok);
  }

  async rotateKey(keyId: string): Promise<KeyStatus> {
    validateKeyId(keyId);
    // Not retried: a lost response after a successful rotate would add a second version.
    const response = await this.http.call({ method: 'POST', path: `${this.mount}/keys/${keyId}/rotate`, body: {}, retry: false });
    expectOk(response, 'KeyNotFound');
    return this.keyStatus(keyId);
  }

  async setMinDecryptionVersion(keyId: string, version: number): Promise<KeyStatus> {
    validateKeyId(keyId);
    if (!Number.isInteger(version) || version < 1) throw new KmsError('InvalidKeyId', 'min decryption version must be a positive integer');
    await this.write(`keys/${keyId}/config`, { min_decryption_version: version }, 'InvalidKeyId');
    return this.keyStatus(keyId);
  }

  async health(): Promise<KmsHealth> {
    const startMs = performance.now();
    const sys = await this.http.sysHealth();
    if (!sys.ok) return { backend: 'vault', online: false, detail: `Vault not ready: ${sys.detail}` };
    try {
      await this.http.authenticate();
    } catch (error) {
      return { backend: 'vault', online: false, detail: error instanceof Error ? error.message : 'authentication failed' };
    }
    return { backend: 'vault', online: true, detail: sys.detail, latencyMs: performance.now() - startMs };
  }

  private async post(path: string, body: Json, fallback: KmsErrorCode): Promise<Json> {
    const response = await this.http.call({ method: 'POST', path: `${this.mount}/${path}`, body, retry: true });
    return objectField(expectOk(response, fallback), 'data');
  }

  /** Key writes answer 204 on older Vault versions and 200 with the key on newer ones. */
  private async write(path: string, body: Json, fallback: KmsErrorCode): Promise<void> {
    const response = await this.http.call({ method: 'POST', path: `${this.mount}/${path}`, body, retry: true });
    expectOk(response, fallback);
  }

  private async readKey(keyId: string): Promise<Json | undefined> {
    const response = await this.http.call({ method: 'GET', path: `${this.mount}/keys/${keyId}`, retry: true });
    if (response.status === 404) return undefined;
    return objectField(expectOk(response, 'Unavailable'), 'data');
  }

  private async createDerived(keyId: string): Promise<void> {
    await this.write(`keys/${keyId}`, { type: 'aes256-gcm96', derived: true }, 'InvalidKeyId');
    this.derivedKeys.add(keyId);
  }

  /** One key read per key per process: refuses non-derived keys, creates missing ones if allowed. */
  private async ensureDerived(keyId: string, create: boolean): Promise<void> {
    if (this.derivedKeys.has(keyId)) return;
    const data = await this.readKey(keyId);
    if (data === undefined && create) return this.createDerived(keyId);
    if (data === undefined) throw new KmsError('KeyNotFound', `KMS key ${keyId} not found`);
    if (data['derived'] !== true) {
      throw new KmsError('InvalidKeyId', `Vault key ${keyId} is not a derived key; create it with derived=true so data keys are bound to their context`);
    }
    this.derivedKeys.add(keyId);
  }
}

/** Maps a Vault 4xx to a KmsError by its documented messages; returns 2xx bodies. */
function expectOk(response: VaultResponse, fallback: KmsErrorCode): Json {
  if (response.status >= 200 && response.status < 300) return response.body;
  const message = vaultErrors(response.body);
  throw new KmsError(classify(response.status, message, fallback), `Vault: ${message}`);
}

function classify(status: number, message: string, fallback: KmsErrorCode): KmsErrorCode {
  if (status === 404 || /not found|no such key/i.test(message)) return 'KeyNotFound';
  if (/message authentication failed/i.test(message)) return 'ContextMismatch';
  if (/missing 'context'|decode context/i.test(message)) return 'InvalidContext';
  if (/disallowed by policy|invalid key version|invalid ciphertext|ciphertext/i.test(message)) return 'DecryptFailed';
  return fallback;
}

function statusFrom(keyId: string, data: Json, ok: boolean): KeyStatus {
  const versions = data['keys'];
  const created = typeof versions === 'object' && versions !== null ? (versions as Json)['1'] : undefined;
  const latest = numberField(data, 'latest_version') || Object.keys(versions ?? {}).length;
  return {
    keyId,
    latestVersion: latest,
    minDecryptionVersion: Math.max(1, numberField(data, 'min_decryption_version')),
    createdMs: typeof created === 'number' ? created * 1000 : 0,
    ok,
  };
}

function ciphertextText(ciphertext: Uint8Array): string {
  if (ciphertext.length > ciphertextBytesMax) throw new KmsError('DecryptFailed', 'Vault ciphertext too long');
  const text = new TextDecoder().decode(ciphertext);
  if (!/^vault:v\d+:[A-Za-z0-9+/=]+$/.test(text)) throw new KmsError('DecryptFailed', 'not a Vault transit ciphertext');
  return text;
}

function versionOf(ciphertext: string): number {
  const match = /^vault:v(\d+):/.exec(ciphertext);
  if (match === null) throw new KmsError('Unavailable', 'Vault returned a ciphertext without a version prefix');
  return Number(match[1]);
}

function stringField(data: Json, name: string): string {
  const value = data[name];
  if (typeof value !== 'string') throw new KmsError('Unavailable', `Vault response lacks "${name}"`);
  return value;
}

function decodeBase64Field(data: Json, name: string): Uint8Array {
  return new Uint8Array(Buffer.from(stringField(data, name), 'base64'));
}
