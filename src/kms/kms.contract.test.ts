// One contract, every backend: LocalKms and VaultKms (over HTTP against the
// Vault double) must behave the same through the Kms interface.
import { codeOf } from './testing/errors.ts';
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { localBackend, vaultBackend, type BackendFactory, type BackendHandle } from './testing/kms-backends.ts';
import type { Kms } from './types.ts';

const ctx = { 'bucket/key': 'photos/cat.jpg' };

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function contract(factory: BackendFactory): void {
  describe(`Kms contract: ${factory.name}`, () => {
    let handle: BackendHandle;
    let kms: Kms;
    beforeEach(async () => {
      handle = await factory.open({ autoCreate: false });
      kms = handle.kms;
      await kms.createKey('k1');
    });
    afterEach(() => handle.close());

    test('round trip: a data key decrypts to the same 32 bytes, and keys differ', async () => {
      expect(kms.backend).toBe(factory.name);
      const a = await kms.generateDataKey('k1', ctx);
      const b = await kms.generateDataKey('k1', ctx);
      expect(a.plaintext.length).toBe(32);
      expect(a.keyVersion).toBe(1);
      expect(same(a.plaintext, b.plaintext)).toBe(false);
      expect(same(await kms.decrypt('k1', a.ciphertext, ctx), a.plaintext)).toBe(true);
      expect(Buffer.from(a.ciphertext).includes(Buffer.from(a.plaintext))).toBe(false);
    });

    test('context binding: any other context fails; key order does not matter', async () => {
      const multi = { 'bucket/key': 'b/k', tenant: 't1' };
      const dataKey = await kms.generateDataKey('k1', multi);
      expect(same(await kms.decrypt('k1', dataKey.ciphertext, { tenant: 't1', 'bucket/key': 'b/k' }), dataKey.plaintext)).toBe(true);
      expect(await codeOf(kms.decrypt('k1', dataKey.ciphertext, { 'bucket/key': 'b/k' }))).toBe('ContextMismatch');
      expect(await codeOf(kms.decrypt('k1', dataKey.ciphertext, { ...multi, tenant: 't2' }))).toBe('ContextMismatch');
      expect(await codeOf(kms.decrypt('k1', dataKey.ciphertext, {}))).toBe('ContextMismatch');
    });

    test('unknown keys, bad key ids and bad contexts are typed errors', async () => {
      const dataKey = await kms.generateDataKey('k1', ctx);
      expect(await codeOf(kms.generateDataKey('nope', ctx))).toBe('KeyNotFound');
      expect(await codeOf(kms.decrypt('nope', dataKey.ciphertext, ctx))).toBe('KeyNotFound');
      expect(await codeOf(kms.keyStatus('nope'))).toBe('KeyNotFound');
      expect(await codeOf(kms.rotateKey('nope'))).toBe('KeyNotFound');
      expect(await codeOf(kms.generateDataKey('bad/id', ctx))).toBe('InvalidKeyId');
      expect(await codeOf(kms.generateDataKey('k1', { a: 1 } as unknown as Record<string, string>))).toBe('InvalidContext');
      expect(await codeOf(kms.decrypt('k1', new TextEncoder().encode('garbage'), ctx))).toBe('DecryptFailed');
      expect(await kms.listKeys()).toEqual(['k1']);
    });

    test('create, list and status', async () => {
      expect(await codeOf(kms.createKey('k1'))).toBe('KeyExists');
      await kms.createKey('a-key');
      expect(await kms.listKeys()).toEqual(['a-key', 'k1']);
      const status = await kms.keyStatus('k1');
      expect(status).toMatchObject({ keyId: 'k1', latestVersion: 1, minDecryptionVersion: 1, ok: true });
      expect(status.createdMs).toBeGreaterThan(0);
      expect((await kms.health()).online).toBe(true);
    });

    test('rotate: new data keys use the new version and old ones still decrypt', async () => {
      const old = await kms.generateDataKey('k1', ctx);
      const status = await kms.rotateKey('k1');
      expect(status).toMatchObject({ latestVersion: 2, minDecryptionVersion: 1, ok: true });
      const fresh = await kms.generateDataKey('k1', ctx);
      expect(fresh.keyVersion).toBe(2);
      expect(same(await kms.decrypt('k1', old.ciphertext, ctx), old.plaintext)).toBe(true);
      expect(same(await kms.decrypt('k1', fresh.ciphertext, ctx), fresh.plaintext)).toBe(true);
    });

    test('rewrap moves to the newest version; raising min decryption version then locks out the old ciphertext', async () => {
      const old = await kms.generateDataKey('k1', ctx);
      await kms.rotateKey('k1');
      expect(await codeOf(kms.rewrap('k1', old.ciphertext, { 'bucket/key': 'other' }))).toBe('ContextMismatch');
      const rewrapped = await kms.rewrap('k1', old.ciphertext, ctx);
      expect(same(rewrapped, old.ciphertext)).toBe(false);
      expect(same(await kms.decrypt('k1', rewrapped, ctx), old.plaintext)).toBe(true);
      const setMin = kms.setMinDecryptionVersion?.bind(kms);
      if (setMin === undefined) throw new Error('backend lacks setMinDecryptionVersion');
      expect(await codeOf(setMin('k1', 3))).toBe('InvalidKeyId');
      expect(await setMin('k1', 2)).toMatchObject({ latestVersion: 2, minDecryptionVersion: 2, ok: true });
      expect(same(await kms.decrypt('k1', rewrapped, ctx), old.plaintext)).toBe(true);
      expect(await codeOf(kms.decrypt('k1', old.ciphertext, ctx))).toBe('DecryptFailed');
      expect(await codeOf(kms.rewrap('k1', old.ciphertext, ctx))).toBe('DecryptFailed');
    });

    test('autoCreate creates a missing key on generateDataKey only', async () => {
      const auto = await factory.open({ autoCreate: true });
      try {
        const dataKey = await auto.kms.generateDataKey('fresh', ctx);
        expect(dataKey.keyVersion).toBe(1);
        expect(await auto.kms.listKeys()).toEqual(['fresh']);
        expect(same(await auto.kms.decrypt('fresh', dataKey.ciphertext, ctx), dataKey.plaintext)).toBe(true);
        expect(await codeOf(auto.kms.decrypt('other', dataKey.ciphertext, ctx))).toBe('KeyNotFound');
      } finally {
        auto.close();
      }
    });
  });
}

contract(localBackend);
contract(vaultBackend);
