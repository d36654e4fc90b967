// LocalKms specifics beyond the shared contract: sealing of the keystore,
// persistence, master key mismatch, auto-create and store failures.
import { codeOf } from './testing/errors.ts';
import { describe, expect, test } from 'bun:test';
import { fixedClock } from '../util/clock.ts';
import { LocalKms } from './local.ts';
import type { MasterKey } from './master-key.ts';
import { memoryKeystoreStore } from './testing/memory-store.ts';

const masterKey: MasterKey = { name: 'test-master', key: new Uint8Array(32).fill(3) };
const ctx = { 'bucket/key': 'b/k' };

describe('LocalKms', () => {
  test('keystore is sealed: no key material or names in the stored bytes', async () => {
    const store = memoryKeystoreStore();
    const kms = await LocalKms.open({ masterKey, store, autoCreate: false });
    await kms.createKey('secret-name-xyz');
    const stored = Buffer.from(store.bytes ?? new Uint8Array());
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.includes(Buffer.from('secret-name-xyz'))).toBe(false);
    expect(stored.includes(Buffer.from('material'))).toBe(false);
  });

  test('keys persist across instances and a data key decrypts in a new instance', async () => {
    const store = memoryKeystoreStore();
    const first = await LocalKms.open({ masterKey, store, autoCreate: false });
    await first.createKey('k1');
    const dataKey = await first.generateDataKey('k1', ctx);
    const second = await LocalKms.open({ masterKey, store, autoCreate: false });
    expect(await second.listKeys()).toEqual(['k1']);
    expect(Buffer.from(await second.decrypt('k1', dataKey.ciphertext, ctx)).equals(Buffer.from(dataKey.plaintext))).toBe(true);
  });

  test('a wrong master key fails to open, and the message names no key material', async () => {
    const store = memoryKeystoreStore();
    const kms = await LocalKms.open({ masterKey, store, autoCreate: false });
    await kms.createKey('k1');
    const otherKey = { name: 'test-master', key: new Uint8Array(32).fill(4) };
    await expect(LocalKms.open({ masterKey: otherKey, store, autoCreate: false })).rejects.toThrow(/master key does not open it/);
    const otherName = { name: 'other', key: masterKey.key };
    await expect(LocalKms.open({ masterKey: otherName, store, autoCreate: false })).rejects.toThrow(/sealed by master key "test-master"/);
  });

  test('autoCreate creates on generate but never on decrypt', async () => {
    const store = memoryKeystoreStore();
    const kms = await LocalKms.open({ masterKey, store, autoCreate: true });
    const dataKey = await kms.generateDataKey('auto', ctx);
    expect(dataKey.keyVersion).toBe(1);
    expect(await kms.listKeys()).toEqual(['auto']);
    expect(await codeOf(kms.decrypt('other', dataKey.ciphertext, ctx))).toBe('KeyNotFound');
    expect(await kms.listKeys()).toEqual(['auto']);
  });

  test('a key created by another instance is found after a miss', async () => {
    const store = memoryKeystoreStore();
    const clock = fixedClock(1_000_000);
    const server = await LocalKms.open({ masterKey, store, autoCreate: false, clock });
    const cli = await LocalKms.open({ masterKey, store, autoCreate: false, clock });
    await cli.createKey('from-cli');
    clock.advanceMs(5_000);
    expect((await server.generateDataKey('from-cli', ctx)).keyVersion).toBe(1);
  });

  test('store failures map to Unavailable and leave memory unchanged', async () => {
    const store = memoryKeystoreStore();
    const kms = await LocalKms.open({ masterKey, store, autoCreate: false });
    await kms.createKey('k1');
    store.failWrites = true;
    expect(await codeOf(kms.rotateKey('k1'))).toBe('Unavailable');
    store.failWrites = false;
    expect((await kms.keyStatus('k1')).latestVersion).toBe(1);
    store.failReads = true;
    expect((await kms.health()).online).toBe(false);
  });

  test('concurrent rotations are serialised', async () => {
    const store = memoryKeystoreStore();
    const kms = await LocalKms.open({ masterKey, store, autoCreate: false });
    await kms.createKey('k1');
    await Promise.all([kms.rotateKey('k1'), kms.rotateKey('k1'), kms.rotateKey('k1')]);
    expect((await kms.keyStatus('k1')).latestVersion).toBe(4);
  });

  test('a flipped ciphertext byte never decrypts', async () => {
    const kms = await LocalKms.open({ masterKey, store: memoryKeystoreStore(), autoCreate: true });
    const dataKey = await kms.generateDataKey('k1', ctx);
    for (let i = 0; i < dataKey.ciphertext.length; i++) {
      const tampered = dataKey.ciphertext.slice();
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      expect(['DecryptFailed', 'ContextMismatch', 'KeyNotFound', 'InvalidKeyId']).toContain(await codeOf(kms.decrypt('k1', tampered, ctx)));
    }
  });
});

describe('keystore format', () => {
  test('a sealed but malformed document is a DecryptFailed, and tampering is detected', async () => {
    const { sealKeystore, openKeystore } = await import('./keystore.ts');
    const { seededRandom } = await import('../util/random.ts');
    const sealed = sealKeystore(new Map(), masterKey, seededRandom(3));
    expect(openKeystore(sealed, masterKey).size).toBe(0);
    const flipped = sealed.slice();
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(() => openKeystore(flipped, masterKey)).toThrow(/does not open/);
    const header = sealed.slice();
    header[3] = 9;
    expect(() => openKeystore(header, masterKey)).toThrow(/unknown format version 9/);
  });
});
