// VaultKms behaviour that only Vault has: auth lifecycles, namespaces, mount
// paths, retries, timeouts and refusal of non-derived keys. Real HTTP against
// the Vault double; the token clock is injected so TTL tests are deterministic.
import { codeOf } from './testing/errors.ts';
import { afterEach, describe, expect, test } from 'bun:test';
import { fixedClock } from '../util/clock.ts';
import { startVaultDouble, vaultKmsFor } from './testing/kms-backends.ts';
import type { VaultDouble } from './testing/vault-double.ts';
import { KmsError } from './types.ts';

const ctx = { 'bucket/key': 'b/k' };
const doubles: VaultDouble[] = [];
afterEach(() => {
  for (const d of doubles.splice(0)) d.stop();
});

function start(options: Parameters<typeof startVaultDouble>[0] = {}): VaultDouble {
  const double = startVaultDouble(options);
  doubles.push(double);
  return double;
}

describe('VaultKms auth', () => {
  test('token auth looks the token up once and renews it before expiry', async () => {
    const clock = fixedClock(1_900_000_000_000);
    const double = start({ clock });
    const token = double.issueToken({ ttlS: 300, renewable: true });
    const kms = vaultKmsFor(double, { auth: { kind: 'token', token }, clock, autoCreate: true });
    await kms.generateDataKey('k1', ctx);
    await kms.generateDataKey('k1', ctx);
    expect(double.countRequests('auth/token/lookup-self')).toBe(1);
    expect(double.countRequests('auth/token/renew-self')).toBe(0);
    clock.advanceMs(250_000); // past 2/3 of the TTL
    await kms.generateDataKey('k1', ctx);
    expect(double.countRequests('auth/token/renew-self')).toBe(1);
    clock.advanceMs(200_000); // beyond the original expiry: only the renewal keeps it alive
    await kms.generateDataKey('k1', ctx);
    expect(double.requests.filter((r) => r.status === 403)).toEqual([]);
  });

  test('AppRole logs in once, re-logs in after a 403, and renews its token', async () => {
    const clock = fixedClock(1_900_000_000_000);
    const double = start({ clock });
    double.addAppRole('role-1', 'secret-1', 600);
    const kms = vaultKmsFor(double, { auth: { kind: 'approle', roleId: 'role-1', secretId: 'secret-1' }, clock, autoCreate: true });
    await kms.generateDataKey('k1', ctx);
    await kms.generateDataKey('k1', ctx);
    expect(double.countRequests('auth/approle/login')).toBe(1);
    double.inject({ pathPrefix: 'transit/datakey', status: 403, times: 1 });
    await kms.generateDataKey('k1', ctx);
    expect(double.countRequests('auth/approle/login')).toBe(2);
    clock.advanceMs(500_000);
    await kms.generateDataKey('k1', ctx);
    expect(double.countRequests('auth/token/renew-self')).toBe(1);
    expect(double.countRequests('auth/approle/login')).toBe(2);
  });

  test('an AppRole token past its max TTL leads to a fresh login', async () => {
    const clock = fixedClock(1_900_000_000_000);
    const double = start({ clock });
    double.addAppRole('role-1', 'secret-1', 60, 60);
    const kms = vaultKmsFor(double, { auth: { kind: 'approle', roleId: 'role-1', secretId: 'secret-1' }, clock, autoCreate: true });
    await kms.generateDataKey('k1', ctx);
    clock.advanceMs(61_000);
    await kms.generateDataKey('k1', ctx);
    expect(double.countRequests('auth/approle/login')).toBe(2);
  });

  test('bad AppRole credentials and a revoked static token are PermissionDenied, without retries', async () => {
    const double = start();
    double.addAppRole('role-1', 'secret-1', 600);
    const bad = vaultKmsFor(double, { auth: { kind: 'approle', roleId: 'role-1', secretId: 'wrong' } });
    const error = await bad.listKeys().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsError);
    expect((error as KmsError).code).toBe('PermissionDenied');
    expect((error as Error).message).not.toContain('wrong');
    expect(double.countRequests('auth/approle/login')).toBe(1);

    const token = double.issueToken({ ttlS: 0, renewable: false });
    const kms = vaultKmsFor(double, { auth: { kind: 'token', token } });
    await kms.listKeys();
    double.revokeToken(token);
    expect(await codeOf(kms.listKeys())).toBe('PermissionDenied');
    expect(double.requests.filter((r) => r.path.startsWith('transit/keys') && r.status === 403).length).toBe(1);
  });
});

describe('VaultKms failures', () => {
  test('retries 5xx with backoff, then succeeds', async () => {
    const double = start();
    const delays: number[] = [];
    const kms = vaultKmsFor(double, { autoCreate: true, retriesMax: 3, sleep: async (ms) => { delays.push(ms); } });
    await kms.createKey('k1');
    double.inject({ pathPrefix: 'transit/datakey', status: 503, times: 2 });
    await kms.generateDataKey('k1', ctx);
    expect(double.countRequests('transit/datakey')).toBe(3);
    expect(delays.length).toBe(2);
    expect(delays[1] ?? 0).toBeGreaterThanOrEqual((delays[0] ?? 0) * 0.9);
  });

  test('gives up after retriesMax with Unavailable', async () => {
    const double = start();
    const kms = vaultKmsFor(double, { retriesMax: 2 });
    await kms.createKey('k1');
    double.inject({ pathPrefix: 'transit/datakey', status: 500, times: 10 });
    expect(await codeOf(kms.generateDataKey('k1', ctx))).toBe('Unavailable');
    expect(double.countRequests('transit/datakey')).toBe(3);
  });

  test('never retries a 4xx', async () => {
    const double = start();
    const kms = vaultKmsFor(double, { retriesMax: 3 });
    await kms.createKey('k1');
    const dataKey = await kms.generateDataKey('k1', ctx);
    expect(await codeOf(kms.decrypt('k1', dataKey.ciphertext, { 'bucket/key': 'x' }))).toBe('ContextMismatch');
    double.inject({ pathPrefix: 'transit/decrypt', status: 400, times: 1 });
    expect(await codeOf(kms.decrypt('k1', dataKey.ciphertext, ctx))).toBe('DecryptFailed');
    expect(double.countRequests('transit/decrypt')).toBe(2);
  });

  test('a slow Vault times out as Unavailable after bounded attempts', async () => {
    const double = start();
    const kms = vaultKmsFor(double, { timeoutMs: 100, retriesMax: 1 });
    await kms.createKey('k1');
    double.inject({ pathPrefix: 'transit/datakey', delayMs: 400, times: 2 });
    const error = await kms.generateDataKey('k1', ctx).catch((e: unknown) => e);
    expect((error as KmsError).code).toBe('Unavailable');
    expect((error as Error).message).toContain('timed out');
    expect(double.countRequests('transit/datakey')).toBe(2);
  });

  test('Vault down: Unavailable, and health reports offline', async () => {
    const double = start();
    const kms = vaultKmsFor(double);
    await kms.createKey('k1');
    expect((await kms.health()).online).toBe(true);
    double.stop();
    expect(await codeOf(kms.generateDataKey('k1', ctx))).toBe('Unavailable');
    expect((await kms.health()).online).toBe(false);
  });

  test('rotate is not retried, so a lost answer cannot add two versions', async () => {
    const double = start();
    const kms = vaultKmsFor(double, { retriesMax: 3 });
    await kms.createKey('k1');
    double.inject({ pathPrefix: 'transit/keys/k1/rotate', status: 502, times: 1 });
    expect(await codeOf(kms.rotateKey('k1'))).toBe('Unavailable');
    expect(double.countRequests('transit/keys/k1/rotate')).toBe(1);
  });
});

describe('VaultKms Transit usage', () => {
  test('keys are created derived, ciphertexts carry the vault:vN: prefix, and the context is sent', async () => {
    const double = start();
    const kms = vaultKmsFor(double);
    await kms.createKey('k1');
    expect(double.transit.get('k1')?.derived).toBe(true);
    const dataKey = await kms.generateDataKey('k1', ctx);
    expect(new TextDecoder().decode(dataKey.ciphertext)).toMatch(/^vault:v1:/);
    const withoutContext = await fetch(`${double.url}/v1/transit/decrypt/k1`, {
      method: 'POST',
      headers: { 'x-vault-token': double.rootToken },
      body: JSON.stringify({ ciphertext: new TextDecoder().decode(dataKey.ciphertext) }),
    });
    expect(withoutContext.status).toBe(400);
    expect(((await withoutContext.json()) as { errors: string[] }).errors[0]).toContain("missing 'context'");
  });

  test('older Vault answers key writes with 204 and no body', async () => {
    const double = start({ emptyWriteResponses: true });
    const kms = vaultKmsFor(double);
    await kms.createKey('k1');
    const old = await kms.generateDataKey('k1', ctx);
    expect((await kms.rotateKey('k1')).latestVersion).toBe(2);
    const rewrapped = await kms.rewrap('k1', old.ciphertext, ctx);
    expect((await kms.setMinDecryptionVersion('k1', 2)).minDecryptionVersion).toBe(2);
    expect(Buffer.from(await kms.decrypt('k1', rewrapped, ctx)).equals(Buffer.from(old.plaintext))).toBe(true);
    expect(double.requests.filter((r) => r.status === 204).length).toBe(3);
  });

  test('a pre-existing non-derived key is refused', async () => {
    const double = start();
    double.transit.create('plain', {});
    const kms = vaultKmsFor(double);
    expect(await codeOf(kms.generateDataKey('plain', ctx))).toBe('InvalidKeyId');
  });

  test('namespace header and custom mount path', async () => {
    const double = start({ namespace: 'team-a', mountPath: 'kms-transit' });
    const kms = vaultKmsFor(double, { namespace: 'team-a', mountPath: 'kms-transit', autoCreate: true });
    const dataKey = await kms.generateDataKey('k1', ctx);
    expect(dataKey.keyVersion).toBe(1);
    expect(double.requests.filter((r) => r.path !== 'sys/health').every((r) => r.namespace === 'team-a')).toBe(true);
    expect(double.countRequests('kms-transit/datakey/plaintext/k1')).toBe(1);
    const wrongNamespace = vaultKmsFor(double, { mountPath: 'kms-transit' });
    expect(await codeOf(wrongNamespace.listKeys())).not.toBe('no error');
  });
});
