// SSE-S3 and SSE-KMS with the Vault Transit backend, against the Vault double over
// real HTTP: objects round-trip; while Vault fails (5xx, or not reachable at all)
// encrypted PUT and GET answer 503 and no byte of the object reaches the drives;
// a server whose Vault is down at start still starts and reports not-ready.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type StartedServer } from './helpers/server.ts';
import { errorOf, sdkClient } from './helpers/clients.ts';
import { customerKey, filesContaining, markedBody, md5Hex, sdkSseC } from './helpers/sse.ts';
import { VaultDouble } from '../src/kms/testing/vault-double.ts';

let vault: VaultDouble;
let server: StartedServer;
let s3: S3Client;
const bucket = 'vault-bucket';
const marker = 'VAULT-DOWN-MARKER-7f3a';

function vaultEnv(endpoint: string, token: string): Record<string, string> {
  return {
    CAIRN_KMS_BACKEND: 'vault', CAIRN_KMS_VAULT_ENDPOINT: endpoint, CAIRN_KMS_VAULT_TOKEN: token,
    CAIRN_KMS_AUTO_CREATE: 'on', CAIRN_KMS_VAULT_RETRIES: '1', CAIRN_KMS_VAULT_TIMEOUT: '2s', CAIRN_SSE_C_ALLOW_INSECURE: 'on',
  };
}

beforeAll(async () => {
  vault = new VaultDouble();
  server = await startServer({ env: vaultEnv(vault.url, vault.rootToken) });
  // The SDK's own retries would hide nothing but cost time: one attempt.
  s3 = sdkClient(server);
  s3.config.maxAttempts = async () => 1;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  vault?.stop();
});

test('SSE-KMS and SSE-S3 objects round-trip through Vault Transit', async () => {
  const body = markedBody(400_000, 'VAULT-OK');
  for (const [key, fields] of [['kms', { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: 'vault-app' }], ['s3', { ServerSideEncryption: 'AES256' as const }]] as const) {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...fields }));
    expect(put.ServerSideEncryption).toBe(fields.ServerSideEncryption);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=1000-300000' }));
    expect(md5Hex(await got.Body!.transformToByteArray())).toBe(md5Hex(body.subarray(1000, 300_001)));
  }
  expect(vault.countRequests('transit/datakey/plaintext/vault-app')).toBeGreaterThan(0);
  expect(vault.countRequests('transit/decrypt/')).toBeGreaterThan(0);
});

test('Vault answering 5xx: encrypted PUT and GET get 503, nothing is written; plain and SSE-C still work', async () => {
  vault.inject({ pathPrefix: 'transit/', status: 503, times: 1000 });
  try {
    const body = markedBody(300_000, marker);
    for (const fields of [{ ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: 'vault-app' }, { ServerSideEncryption: 'AES256' as const }]) {
      expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'down', Body: body, ...fields })))).toEqual({ code: 'KMSUnavailable', status: 503 });
    }
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'down' })))).toEqual({ code: 'NotFound', status: 404 });
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'kms' })))).toEqual({ code: 'KMSUnavailable', status: 503 });
    expect(await filesContaining(server.drives, [new TextEncoder().encode(marker)])).toEqual([]);
    const k = customerKey(9);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c-while-down', Body: 'fine', ...sdkSseC(k) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain-while-down', Body: 'fine' }));
  } finally {
    vault.clearFaults();
  }
  const again = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'kms' }));
  expect((await again.Body!.transformToByteArray()).length).toBe(400_000);
});

test('Vault unreachable: 503 and nothing written; a server started with Vault down still starts and reports not-ready', async () => {
  vault.stop();
  const body = markedBody(300_000, marker);
  expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'gone', Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'vault-app' })))).toEqual({ code: 'KMSUnavailable', status: 503 });
  expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'gone' })))).toEqual({ code: 'NotFound', status: 404 });
  expect(await filesContaining(server.drives, [new TextEncoder().encode(marker)])).toEqual([]);

  const second = await startServer({ env: vaultEnv(vault.url, 'hvs.unused'), driveCount: 1 });
  try {
    const ready = await fetch(`${second.endpoint}/cairn/health/ready`);
    expect(ready.status).toBe(503);
    const report = (await ready.json()) as { components: { kms: { status: string; backend?: string } } };
    expect(report.components.kms).toMatchObject({ status: 'fail', backend: 'vault' });
    expect((await fetch(`${second.endpoint}/cairn/health/live`)).status).toBe(200);
  } finally {
    await second.stop();
  }
}, 60_000);
