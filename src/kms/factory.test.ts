import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import { cryptoRandom } from '../util/random.ts';
import { buildKms, type KmsFactoryDeps } from './factory.ts';
import { memoryKeystoreStore } from './testing/memory-store.ts';
import { startVaultDouble } from './testing/kms-backends.ts';

const dir = mkdtempSync(join(tmpdir(), 'cairn-kms-factory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const events: string[] = [];
const deps = (): KmsFactoryDeps => ({
  keystoreStore: memoryKeystoreStore(),
  generatedKeyDir: join(dir, 'sys'),
  sink: { record: (e) => { events.push(`${e.backend}:${e.operation}`); } },
  random: cryptoRandom,
  clock: systemClock,
  logger: silentLogger,
});
const secretKey = `prod:${Buffer.alloc(32, 5).toString('base64')}`;
const ctx = { 'bucket/key': 'b/k' };

describe('buildKms', () => {
  test('none builds nothing', async () => {
    expect(await buildKms({ backend: 'none' }, deps())).toEqual({ kms: undefined, defaultKeyId: undefined, warning: undefined });
  });

  test('local with a configured key: metered, no warning', async () => {
    const built = await buildKms({ backend: 'local', secretKey, secretKeyFile: undefined, autoCreate: true, defaultKeyId: 'd1' }, deps());
    expect(built.warning).toBeUndefined();
    expect(built.defaultKeyId).toBe('d1');
    await built.kms?.generateDataKey('d1', ctx);
    expect(events).toContain('local:generateDataKey');
  });

  test('local without a key generates one and warns where it is', async () => {
    const built = await buildKms({ backend: 'local', secretKey: undefined, secretKeyFile: undefined, autoCreate: true, defaultKeyId: 'd1' }, deps());
    expect(built.warning).toContain(join(dir, 'sys'));
    expect(built.kms?.backend).toBe('local');
  });

  test('vault with a token', async () => {
    const double = startVaultDouble();
    try {
      const built = await buildKms({
        backend: 'vault', endpoint: double.url, mount: 'transit', namespace: undefined, token: double.rootToken,
        appRoleId: undefined, appRoleSecretId: undefined, autoCreate: true, defaultKeyId: 'd1', timeoutMs: 1000, retriesMax: 1,
      }, deps());
      const dataKey = await built.kms?.generateDataKey('d1', ctx);
      expect(dataKey?.keyVersion).toBe(1);
      expect(events).toContain('vault:generateDataKey');
    } finally {
      double.stop();
    }
  });
});
