// Key rotation and rewrap end to end: the real server with the local KMS and with the
// Vault double, keys rotated with the `cairn kms key rotate` verb, `cairn rewrap` run as
// a child process, objects read back byte-exact afterwards; with Vault, raising
// min_decryption_version works after the rewrap and breaks reads without it; and a
// rewrap cut short by a KMS outage and a server restart resumes from its checkpoint.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { VaultDouble } from '../src/kms/testing/vault-double.ts';
import { cliEnv, localDataKeyVersions, runCli, type CliResult } from './helpers/cli.ts';
import { sdkClient } from './helpers/clients.ts';
import { startServer, type StartedServer } from './helpers/server.ts';
import { customerKey, markedBody, masterKeyEnv, md5Hex, sdkSseC } from './helpers/sse.ts';

// Each test starts servers and runs the CLI as child processes; 2 shared cores make that slow.
const slowMs = 120_000;

type Sse = { kind: 'none' } | { kind: 'sse-s3' } | { kind: 'sse-kms'; keyId: string } | { kind: 'sse-c' };
const cKey = customerKey(7);

function sseFields(sse: Sse): Record<string, string> {
  switch (sse.kind) {
    case 'none': return {};
    case 'sse-s3': return { ServerSideEncryption: 'AES256' };
    case 'sse-kms': return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: sse.keyId };
    case 'sse-c': return sdkSseC(cKey);
  }
}

interface Written { bucket: string; key: string; body: Uint8Array; sse: Sse }

async function put(s3: S3Client, bucket: string, key: string, sse: Sse, sizeBytes: number, seed: number): Promise<Written> {
  const body = markedBody(sizeBytes, `rewrap-${seed}`, seed);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...sseFields(sse) }));
  return { bucket, key, body, sse };
}

async function putMultipart(s3: S3Client, bucket: string, key: string, keyId: string): Promise<Written> {
  const body = markedBody(5 * 1024 * 1024 + 70_000, 'rewrap-mp', 99);
  const sse = { kind: 'sse-kms', keyId } as const;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...sseFields(sse) }));
  const cut = 5 * 1024 * 1024;
  const parts = [];
  for (const [i, slice] of [body.subarray(0, cut), body.subarray(cut)].entries()) {
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: slice }));
    parts.push({ ETag, PartNumber: i + 1 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  return { bucket, key, body, sse };
}

async function read(s3: S3Client, w: Written): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: w.bucket, Key: w.key, ...(w.sse.kind === 'sse-c' ? sdkSseC(cKey) : {}) }));
  return out.Body!.transformToByteArray();
}

async function expectAllReadable(s3: S3Client, objects: readonly Written[]): Promise<void> {
  for (const w of objects) expect(Buffer.from(await read(s3, w)).equals(Buffer.from(w.body))).toBe(true);
}

function expectOk(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`cairn exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

function statusJson(r: CliResult): { latestVersion: number; minDecryptionVersion: number } {
  return JSON.parse(expectOk(r).stdout) as { latestVersion: number; minDecryptionVersion: number };
}

describe('rotate and rewrap with the local KMS', () => {
  let server: StartedServer;
  let s3: S3Client;
  let env: Record<string, string>;
  const kmsEnv = { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv, CAIRN_KMS_AUTO_CREATE: 'off', CAIRN_KMS_DEFAULT_KEY: 'sse-s3-key', CAIRN_SSE_C_ALLOW_INSECURE: 'on' };

  beforeAll(async () => {
    server = await startServer({ env: kmsEnv });
    s3 = sdkClient(server);
    env = cliEnv(server, kmsEnv);
  }, slowMs);
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  test('kms key verbs create, list, show and refuse a duplicate', async () => {
    expect(expectOk(await runCli(['kms', 'key', 'create', 'sse-s3-key'], env)).stdout).toContain('created KMS key sse-s3-key');
    expectOk(await runCli(['kms', 'key', 'create', 'app-key'], env));
    const again = await runCli(['kms', 'key', 'create', 'app-key'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('KMS.KeyExists');
    expect(expectOk(await runCli(['kms', 'key', 'list'], env)).stdout.split('\n')).toEqual(expect.arrayContaining(['app-key', 'sse-s3-key']));
    expect(statusJson(await runCli(['kms', 'key', 'status', 'app-key', '--json'], env)).latestVersion).toBe(1);
    const missing = await runCli(['kms', 'key', 'status', 'no-such-key'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('KMS.KeyNotFound');
    const invalid = await runCli(['kms', 'key', 'create', 'bad/name'], env);
    expect(invalid.code).toBe(2);
  }, slowMs);

  test('after rotate and rewrap every object reads back and its data key is sealed by the new version', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'local-rw' }));
    const objects: Written[] = [];
    for (let i = 0; i < 3; i++) objects.push(await put(s3, 'local-rw', `kms/${i}`, { kind: 'sse-kms', keyId: 'app-key' }, 1000 + i * 70_000, i + 1));
    for (let i = 0; i < 3; i++) objects.push(await put(s3, 'local-rw', `s3/${i}`, { kind: 'sse-s3' }, 2000 + i * 90_000, i + 10));
    objects.push(await putMultipart(s3, 'local-rw', 'kms/multipart', 'app-key'));
    const untouched = [await put(s3, 'local-rw', 'plain', { kind: 'none' }, 5000, 20), await put(s3, 'local-rw', 'customer', { kind: 'sse-c' }, 5000, 21)];
    const before = await localDataKeyVersions(server.drives[0]!);
    expect(before.size).toBe(7);
    expect([...before.values()].every((v) => v === 1)).toBe(true);

    const rotated = expectOk(await runCli(['kms', 'key', 'rotate', 'app-key'], env));
    expect(rotated.stdout).toContain('rotated KMS key app-key to version 2');
    expect(statusJson(await runCli(['kms', 'key', 'rotate', 'sse-s3-key', '--json'], env)).latestVersion).toBe(2);
    await expectAllReadable(s3, [...objects, ...untouched]); // old versions still decrypt

    const rewrap = expectOk(await runCli(['rewrap'], env));
    expect(rewrap.stdout).toContain('rewrap done (all buckets): 9 scanned, 7 re-sealed, 2 skipped, 0 failed');
    const after = await localDataKeyVersions(server.drives[0]!);
    expect(after.size).toBe(7);
    expect([...after.values()].every((v) => v === 2)).toBe(true);
    await expectAllReadable(s3, [...objects, ...untouched]);

    const status = expectOk(await runCli(['rewrap', '--status'], env));
    expect(status.stdout).toContain('rewrap done');
  }, slowMs);

  test('filters: --bucket and --key-id limit what is re-sealed', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'local-other' }));
    const objects = [await put(s3, 'local-other', 'a', { kind: 'sse-kms', keyId: 'app-key' }, 3000, 30), await put(s3, 'local-other', 'b', { kind: 'sse-s3' }, 3000, 31)];
    expectOk(await runCli(['kms', 'key', 'rotate', 'app-key'], env));
    const r = expectOk(await runCli(['rewrap', '--bucket', 'local-other', '--key-id', 'app-key'], env));
    expect(r.stdout).toContain('rewrap done (bucket local-other, KMS key app-key): 2 scanned, 1 re-sealed, 1 skipped, 0 failed');
    await expectAllReadable(s3, objects);
    const missing = await runCli(['rewrap', '--bucket', 'no-such-bucket'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NoSuchBucket');
  }, slowMs);
});

describe('rotate and rewrap with Vault Transit (double)', () => {
  let vault: VaultDouble;
  let server: StartedServer;
  let s3: S3Client;
  let env: Record<string, string>;
  let kmsEnv: Record<string, string>;

  beforeAll(async () => {
    vault = new VaultDouble();
    kmsEnv = {
      CAIRN_KMS_BACKEND: 'vault', CAIRN_KMS_VAULT_ENDPOINT: vault.url, CAIRN_KMS_VAULT_TOKEN: vault.rootToken,
      CAIRN_KMS_VAULT_RETRIES: '0', CAIRN_KMS_AUTO_CREATE: 'on', CAIRN_KMS_DEFAULT_KEY: 'vault-s3',
    };
    server = await startServer({ env: kmsEnv });
    s3 = sdkClient(server);
    env = cliEnv(server, kmsEnv);
  }, slowMs);
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    vault?.stop();
  });

  test('min_decryption_version can be raised after rotate + rewrap; objects not rewrapped then fail', async () => {
    expectOk(await runCli(['kms', 'key', 'create', 'vkey'], env));
    for (const b of ['vault-a', 'vault-b']) await s3.send(new CreateBucketCommand({ Bucket: b }));
    const inA: Written[] = [];
    const inB: Written[] = [];
    for (let i = 0; i < 3; i++) inA.push(await put(s3, 'vault-a', `k${i}`, { kind: 'sse-kms', keyId: 'vkey' }, 4000 + i * 50_000, 40 + i));
    inA.push(await put(s3, 'vault-a', 's3', { kind: 'sse-s3' }, 6000, 45));
    inA.push(await putMultipart(s3, 'vault-a', 'mp', 'vkey'));
    for (let i = 0; i < 3; i++) inB.push(await put(s3, 'vault-b', `k${i}`, { kind: 'sse-kms', keyId: 'vkey' }, 4000, 50 + i));

    expect(expectOk(await runCli(['kms', 'key', 'rotate', 'vkey'], env)).stdout).toContain('to version 2');
    expect(statusJson(await runCli(['kms', 'key', 'rotate', 'vault-s3', '--json'], env)).latestVersion).toBe(2);
    expect(expectOk(await runCli(['rewrap', '--bucket', 'vault-a'], env)).stdout).toContain('5 re-sealed, 0 skipped, 0 failed');

    vault.transit.configure('vkey', { min_decryption_version: 2 });
    vault.transit.configure('vault-s3', { min_decryption_version: 2 });
    expect(statusJson(await runCli(['kms', 'key', 'status', 'vkey', '--json'], env)).minDecryptionVersion).toBe(2);
    await expectAllReadable(s3, inA);
    // Not rewrapped: their data keys are sealed by version 1, which Vault now refuses.
    for (const w of inB) await expect(read(s3, w)).rejects.toThrow();
    // Vault's rewrap refuses those versions too, so a forgotten bucket cannot be rewrapped now either.
    const refused = await runCli(['rewrap', '--bucket', 'vault-b'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('3 failed');

    // Recovery: lower the minimum again, rewrap what was missed, then raise it for good.
    vault.transit.configure('vkey', { min_decryption_version: 1 });
    expect(expectOk(await runCli(['rewrap', '--key-id', 'vkey'], env)).stdout).toContain('rewrap done (all buckets, KMS key vkey)');
    vault.transit.configure('vkey', { min_decryption_version: 2 });
    await expectAllReadable(s3, [...inA, ...inB]);

    // The metadata key (it seals SSE-S3 ETags) was re-sealed by the rewrap too: a restarted
    // server, which must open it again, still lists the plaintext MD5 and writes SSE-S3.
    await server.stop({ keepDir: true });
    server = await startServer({ env: kmsEnv, dir: server.dir });
    s3.destroy();
    s3 = sdkClient(server);
    const sseS3 = inA.find((w) => w.key === 's3')!;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'vault-a', Prefix: 's3' }));
    expect(listed.Contents?.[0]?.ETag).toBe(`"${md5Hex(sseS3.body)}"`);
    await expectAllReadable(s3, [sseS3, await put(s3, 'vault-a', 's3-after', { kind: 'sse-s3' }, 3000, 46)]);
  }, slowMs);
});

describe('rewrap resumes after an interruption', () => {
  test('a Vault outage stops the job; after a server restart it continues from the checkpoint', async () => {
    const vault = new VaultDouble();
    const kmsEnv = { CAIRN_KMS_BACKEND: 'vault', CAIRN_KMS_VAULT_ENDPOINT: vault.url, CAIRN_KMS_VAULT_TOKEN: vault.rootToken, CAIRN_KMS_VAULT_RETRIES: '0', CAIRN_KMS_AUTO_CREATE: 'on' };
    let server = await startServer({ env: kmsEnv });
    let s3 = sdkClient(server);
    try {
      const objects: Written[] = [];
      // Walk order is bucket then key: every rk1 object comes before any rk2 object.
      for (const [bucket, keyId] of [['resume-a', 'rk1'], ['resume-b', 'rk2']] as const) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        for (let i = 0; i < 8; i++) objects.push(await put(s3, bucket, `o${i}`, { kind: 'sse-kms', keyId }, 2000, 60 + objects.length));
      }
      let env = cliEnv(server, kmsEnv);
      expectOk(await runCli(['kms', 'key', 'rotate', 'rk1'], env));
      expectOk(await runCli(['kms', 'key', 'rotate', 'rk2'], env));

      vault.inject({ pathPrefix: 'transit/rewrap/rk2', status: 503, times: 1_000 });
      const stopped = await runCli(['rewrap'], env);
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toContain('rewrap stopped (all buckets) after 8 scanned, 8 re-sealed');
      const rk1Calls = vault.countRequests('transit/rewrap/rk1');
      expect(rk1Calls).toBe(8);

      await server.stop({ keepDir: true });
      server = await startServer({ env: kmsEnv, dir: server.dir });
      s3.destroy();
      s3 = sdkClient(server);
      env = cliEnv(server, kmsEnv);
      const status = await runCli(['rewrap', '--status'], env);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain('rewrap stopped');

      vault.clearFaults();
      const resumed = expectOk(await runCli(['rewrap'], env));
      expect(resumed.stdout).toContain('rewrap done (all buckets): 16 scanned, 16 re-sealed, 0 skipped, 0 failed');
      expect(vault.countRequests('transit/rewrap/rk1')).toBe(rk1Calls); // the first bucket was not redone

      vault.transit.configure('rk1', { min_decryption_version: 2 });
      vault.transit.configure('rk2', { min_decryption_version: 2 });
      await expectAllReadable(s3, objects);
    } finally {
      s3.destroy();
      await server.stop();
      vault.stop();
    }
  }, slowMs);
});
