import { describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  test('defaults: :9000, four drives under ./data, local KMS', () => {
    const c = loadConfig({});
    expect(c.address).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(c.drives).toEqual([1, 2, 3, 4].map((i) => resolve(`./data/drive${i}`)));
    expect(c.parity).toBeUndefined();
    expect(c.stateDir).toBe(resolve('./data/.cairn'));
    expect(c.kms.backend).toBe('local');
    expect(c.metrics.auth).toBe('public');
    expect(Object.isFrozen(c) && Object.isFrozen(c.audit)).toBe(true);
  });

  test('expands {1...N} and comma lists', () => {
    const c = loadConfig({ CAIRN_DRIVES: '/d/a{1...3},/e', CAIRN_ADDRESS: '127.0.0.1:9100', CAIRN_PARITY: '2' });
    expect(c.drives).toEqual(['/d/a1', '/d/a2', '/d/a3', '/e']);
    expect(c.address).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(c.parity).toBe(2);
  });

  const bad: Array<[string, Record<string, string>]> = [
    ['CAIRN_ADDRESS', { CAIRN_ADDRESS: 'nonsense' }],
    ['CAIRN_PARITY', { CAIRN_DRIVES: '/a,/b', CAIRN_PARITY: '2' }],
    ['CAIRN_DRIVES', { CAIRN_DRIVES: '/d{1...17}' }],
    ['CAIRN_ROOT_PASSWORD', { CAIRN_ROOT_USER: 'admin' }],
    ['CAIRN_ROOT_PASSWORD', { CAIRN_ROOT_USER: 'admin', CAIRN_ROOT_PASSWORD: 'short' }],
    ['CAIRN_KMS_BACKEND', { CAIRN_KMS_BACKEND: 'aws' }],
    ['CAIRN_KMS_SECRET_KEY', { CAIRN_KMS_SECRET_KEY: 'k:AAAA' }],
    ['CAIRN_KMS_VAULT_ENDPOINT', { CAIRN_KMS_BACKEND: 'vault' }],
    ['CAIRN_TLS_KEY', { CAIRN_TLS_CERT: '/c.pem' }],
    ['CAIRN_SSE_C_ALLOW_INSECURE', { CAIRN_SSE_C_ALLOW_INSECURE: 'maybe' }],
    ['CAIRN_METRICS_TOKEN', { CAIRN_METRICS_AUTH: 'bearer' }],
    ['CAIRN_AUDIT_MAX_AGE', { CAIRN_AUDIT_MAX_AGE: '3 weeks' }],
    ['CAIRN_BANDWIDTH_MAX_BYTES_PER_SEC', { CAIRN_BANDWIDTH_MAX_BYTES_PER_SEC: '10XB' }],
  ];
  for (const [variable, env] of bad) {
    test(`a bad ${variable} names the variable`, () => {
      let err: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as ConfigError).message).toContain(variable);
    });
  }

  test('secrets never appear in messages', () => {
    const secret = 'k:' + Buffer.alloc(31, 7).toString('base64');
    try {
      loadConfig({ CAIRN_KMS_SECRET_KEY: secret });
      throw new Error('accepted');
    } catch (e) {
      expect(String(e)).not.toContain(Buffer.alloc(31, 7).toString('base64'));
    }
  });

  test('accepts a valid master key and vault with AppRole', () => {
    const key = 'main:' + Buffer.alloc(32, 1).toString('base64');
    expect(loadConfig({ CAIRN_KMS_SECRET_KEY: key }).kms.backend).toBe('local');
    const v = loadConfig({ CAIRN_KMS_BACKEND: 'vault', CAIRN_KMS_VAULT_ENDPOINT: 'http://127.0.0.1:8200/', CAIRN_KMS_VAULT_APPROLE_ID: 'r', CAIRN_KMS_VAULT_APPROLE_SECRET: 's' });
    expect(v.kms.backend === 'vault' && v.kms.endpoint).toBe('http://127.0.0.1:8200');
    const alias = loadConfig({ CAIRN_KMS_BACKEND: 'vault', CAIRN_KMS_VAULT_ADDR: 'https://v:8200', CAIRN_KMS_VAULT_TOKEN: 't', CAIRN_KMS_VAULT_KEY_NAME: 'objects' });
    expect(alias.kms.backend === 'vault' && [alias.kms.endpoint, alias.kms.defaultKeyId]).toEqual(['https://v:8200', 'objects']);
  });
});
