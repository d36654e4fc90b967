import { afterAll, describe, expect, test } from 'bun:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../util/clock.ts';
import { adminCall, AdminCallError, CliError, loadCliConfig, resolveTarget } from './admin-client.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const noTls = { endpoint: undefined, insecure: false, caFile: undefined };
const creds = { CAIRN_ROOT_USER: 'unit-root', CAIRN_ROOT_PASSWORD: 'unit-root-secret', CAIRN_KMS_BACKEND: 'none' };

describe('resolveTarget', () => {
  test('the endpoint comes from CAIRN_ADDRESS; wildcard hosts are reached on loopback; TLS means https', async () => {
    expect((await resolveTarget(loadCliConfig({ ...creds, CAIRN_ADDRESS: ':9100' }), noTls)).endpoint).toBe('http://127.0.0.1:9100');
    expect((await resolveTarget(loadCliConfig({ ...creds, CAIRN_ADDRESS: '[::]:9100' }), noTls)).endpoint).toBe('http://[::1]:9100');
    expect((await resolveTarget(loadCliConfig({ ...creds, CAIRN_ADDRESS: 'node1.local:9100' }), noTls)).endpoint).toBe('http://node1.local:9100');
    const tls = loadCliConfig({ ...creds, CAIRN_ADDRESS: '127.0.0.1:9443', CAIRN_TLS_CERT: '/c.pem', CAIRN_TLS_KEY: '/k.pem' });
    expect((await resolveTarget(tls, noTls)).endpoint).toBe('https://127.0.0.1:9443');
    expect((await resolveTarget(tls, { ...noTls, endpoint: 'http://10.0.0.1:9000/ignored/path' })).endpoint).toBe('http://10.0.0.1:9000');
    expect((await resolveTarget(tls, { ...noTls, insecure: true })).tls).toEqual({ rejectUnauthorized: false });
  });

  test('bad endpoints, port 0 and bad configuration are usage errors (exit 2)', async () => {
    const config = loadCliConfig({ ...creds, CAIRN_ADDRESS: '127.0.0.1:0' });
    await expect(resolveTarget(config, noTls)).rejects.toThrow('--endpoint');
    await expect(resolveTarget(config, { ...noTls, endpoint: 'not a url' })).rejects.toBeInstanceOf(CliError);
    await expect(resolveTarget(config, { ...noTls, endpoint: 'http://127.0.0.1:1', caFile: '/no/such/ca.pem' })).rejects.toThrow('--ca-file');
    expect(() => loadCliConfig({ CAIRN_ADDRESS: 'nonsense' })).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  test('without CAIRN_ROOT_USER the generated root credentials file in the state directory is used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-creds-'));
    dirs.push(dir);
    const env = { CAIRN_DRIVES: `${dir}/d1,${dir}/d2`, CAIRN_ADDRESS: ':9000', CAIRN_KMS_BACKEND: 'none' };
    await expect(resolveTarget(loadCliConfig(env), noTls)).rejects.toThrow('CAIRN_ROOT_USER');
    await mkdir(join(dir, '.cairn'), { recursive: true });
    await writeFile(join(dir, '.cairn', 'root-credentials.json'), '{"accessKey":"CAIRNGENERATED01","secretKey":"generated-secret-0123456789"}\n');
    const target = await resolveTarget(loadCliConfig(env), noTls);
    expect(target.credentials).toEqual({ accessKey: 'CAIRNGENERATED01', secretKey: 'generated-secret-0123456789' });
    await writeFile(join(dir, '.cairn', 'root-credentials.json'), 'garbage-secret');
    const error = await resolveTarget(loadCliConfig(env), noTls).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).not.toContain('garbage-secret');
  });
});

describe('adminCall', () => {
  test('waits out a short 429 SlowDown and retries; gives up after a few tries with the server message', async () => {
    let calls = 0;
    let slowDowns = 1;
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: () => {
        calls++;
        if (slowDowns-- > 0) return Response.json({ code: 'SlowDown', message: 'too many configuration changes' }, { status: 429, headers: { 'retry-after': '0' } });
        return Response.json({ ok: true });
      },
    });
    try {
      const target = { endpoint: `http://127.0.0.1:${server.port}`, credentials: { accessKey: 'unit-root', secretKey: 'unit-root-secret' }, region: 'us-east-1', tls: undefined };
      expect(await adminCall(target, fixedClock(Date.now()), 'POST', 'kms/keys/k1/rotate')).toEqual({ ok: true });
      expect(calls).toBe(2);
      slowDowns = 100;
      calls = 0;
      const error = await adminCall(target, fixedClock(Date.now()), 'POST', 'kms/keys/k1/rotate').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdminCallError);
      expect((error as AdminCallError).code).toBe('SlowDown');
      expect(calls).toBe(4);
    } finally {
      void server.stop(true);
    }
  });
});
