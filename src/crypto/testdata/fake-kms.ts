// An in-memory Kms for crypto tests: versioned keys, data keys sealed with
// AES-256-GCM under the canonical context as AAD, rewrap, injectable outage.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KmsError, type DataKey, type EncryptionContext, type Kms, type KeyStatus } from '../../kms/types.ts';

const aadOf = (context: EncryptionContext): Buffer => {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(context).sort()) sorted[k] = context[k]!;
  return Buffer.from(JSON.stringify(sorted));
};

export interface FakeKms extends Kms {
  down: boolean;
  calls: string[];
}

export function fakeKms(keyIds: string[]): FakeKms {
  const keys = new Map<string, Buffer[]>(keyIds.map((id) => [id, [randomBytes(32)]]));
  const versionsOf = (id: string): Buffer[] => {
    const v = keys.get(id);
    if (v === undefined) throw new KmsError('KeyNotFound');
    return v;
  };
  const seal = (id: string, plain: Uint8Array, context: EncryptionContext): Uint8Array => {
    const versions = versionsOf(id);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', versions[versions.length - 1]!, iv);
    c.setAAD(aadOf(context));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return new Uint8Array(Buffer.concat([Buffer.from([versions.length]), iv, body, c.getAuthTag()]));
  };
  const open = (id: string, sealed: Uint8Array, context: EncryptionContext): Uint8Array => {
    const key = versionsOf(id)[sealed[0]! - 1];
    if (key === undefined) throw new KmsError('DecryptFailed');
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
    d.setAAD(aadOf(context));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    try {
      return new Uint8Array(Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]));
    } catch {
      throw new KmsError('DecryptFailed');
    }
  };
  const self: FakeKms = {
    backend: 'local',
    down: false,
    calls: [],
    async generateDataKey(keyId, context): Promise<DataKey> {
      self.calls.push(`generate ${keyId}`);
      if (self.down) throw new KmsError('Unavailable');
      const plaintext = new Uint8Array(randomBytes(32));
      return { plaintext, ciphertext: seal(keyId, plaintext, context), keyVersion: versionsOf(keyId).length };
    },
    async decrypt(keyId, ciphertext, context) {
      self.calls.push(`decrypt ${keyId}`);
      if (self.down) throw new KmsError('Unavailable');
      return open(keyId, ciphertext, context);
    },
    async rewrap(keyId, ciphertext, context) {
      self.calls.push(`rewrap ${keyId}`);
      if (self.down) throw new KmsError('Unavailable');
      return seal(keyId, open(keyId, ciphertext, context), context);
    },
    async createKey(keyId) { keys.set(keyId, [randomBytes(32)]); },
    async listKeys() { return [...keys.keys()]; },
    async keyStatus(keyId): Promise<KeyStatus> {
      return { keyId, latestVersion: versionsOf(keyId).length, minDecryptionVersion: 1, createdMs: 0, ok: true };
    },
    async rotateKey(keyId) {
      versionsOf(keyId).push(randomBytes(32));
      return self.keyStatus(keyId);
    },
    async health() { return { backend: 'local', online: !self.down }; },
  };
  return self;
}
