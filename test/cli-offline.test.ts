// `--offline`: with the server stopped, the admin verbs open its drives and KMS
// directly (rotate, rewrap, heal, key list); they refuse while a server answers on
// the address, and refuse drives that hold no deployment.
import { expect, test } from 'bun:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, localDataKeyVersions, runCli } from './helpers/cli.ts';
import { sdkClient } from './helpers/clients.ts';
import { startServer } from './helpers/server.ts';
import { markedBody, masterKeyEnv } from './helpers/sse.ts';

const slowMs = 120_000;
const kmsEnv = { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv, CAIRN_KMS_AUTO_CREATE: 'on', CAIRN_KMS_DEFAULT_KEY: 'offline-s3' };

test('rotate, rewrap and heal with --offline while the server is stopped', async () => {
  let server = await startServer({ env: kmsEnv });
  let s3 = sdkClient(server);
  const bodies = new Map<string, Uint8Array>();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'offline' }));
    for (let i = 0; i < 4; i++) {
      const body = markedBody(10_000 + i * 40_000, `offline-${i}`, i + 1);
      bodies.set(`o${i}`, body);
      const sse = i % 2 === 0 ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: 'offline-kms' } : { ServerSideEncryption: 'AES256' as const };
      await s3.send(new PutObjectCommand({ Bucket: 'offline', Key: `o${i}`, Body: body, ...sse }));
    }
    const env = cliEnv(server, kmsEnv);
    const refused = await runCli(['kms', 'key', 'list', '--offline'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stop the server first');

    await server.stop({ keepDir: true });
    const down = await runCli(['kms', 'key', 'list'], env);
    expect(down.stderr).toContain('--offline');
    const rotated = await runCli(['kms', 'key', 'rotate', 'offline-kms', '--offline'], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('to version 2');
    expect((await runCli(['kms', 'key', 'rotate', 'offline-s3', '--offline'], env)).code).toBe(0);
    const listed = await runCli(['kms', 'key', 'list', '--offline'], env);
    expect(listed.stdout.split('\n')).toEqual(expect.arrayContaining(['offline-kms', 'offline-s3']));
    const rewrap = await runCli(['rewrap', '--offline'], env);
    expect(rewrap.code).toBe(0);
    expect(rewrap.stdout).toContain('4 scanned, 4 re-sealed, 0 skipped, 0 failed');
    expect([...(await localDataKeyVersions(server.drives[0]!)).values()]).toEqual([2, 2, 2, 2]);
    const heal = await runCli(['heal', 'offline', '--offline'], env);
    expect(heal.code).toBe(0);
    expect(heal.stdout).toContain('heal done');
    expect((await runCli(['rewrap', '--offline', '--detach'], env)).code).toBe(2);
    const noDrives = await runCli(['kms', 'key', 'list', '--offline'], { ...env, CAIRN_DRIVES: join(tmpdir(), 'cairn-offline-none-{1...2}') });
    expect(noDrives.code).toBe(2);
    expect(noDrives.stderr).toContain('no Cairn drives');

    server = await startServer({ env: kmsEnv, dir: server.dir });
    s3.destroy();
    s3 = sdkClient(server);
    for (const [key, body] of bodies) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'offline', Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(body))).toBe(true);
    }
    const status = await runCli(['kms', 'key', 'status', 'offline-kms', '--json'], cliEnv(server, kmsEnv));
    expect((JSON.parse(status.stdout) as { latestVersion: number }).latestVersion).toBe(2);
  } finally {
    s3.destroy();
    await server.stop();
  }
}, slowMs);
