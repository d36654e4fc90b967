// Bucket default encryption through the admin API and the S3 API share one setting,
// read through the config cache: a write on either side shows at once on the other
// and applies to the next PUT. KMS keys are managed through the admin API.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CreateBucketCommand, DeleteBucketEncryptionCommand, GetBucketEncryptionCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type StartedServer } from './helpers/server.ts';
import { sdkClient } from './helpers/clients.ts';
import { adminCall } from './helpers/admin.ts';

let server: StartedServer;
let s3: S3Client;

beforeAll(async () => {
  server = await startServer({ env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: `enc-test:${Buffer.alloc(32, 4).toString('base64')}`, CAIRN_KMS_AUTO_CREATE: 'off' } });
  s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'enc' }));
});
afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return adminCall(server, method, path, body);
}

describe('bucket encryption across the admin and S3 APIs', () => {
  test('KMS keys through the admin API', async () => {
    expect((await admin('POST', '/kms/keys/app-key')).status).toBe(201);
    // Auto-create is off, so SSE-S3's default key must exist too.
    expect((await admin('POST', '/kms/keys/cairn-default')).status).toBe(201);
    expect((await admin('POST', '/kms/keys/app-key')).status).toBe(409);
    expect(((await (await admin('GET', '/kms/keys')).json()) as { keys: string[] }).keys).toContain('app-key');
    const rotated = (await (await admin('POST', '/kms/keys/app-key/rotate')).json()) as { latestVersion: number };
    expect(rotated.latestVersion).toBe(2);
  });

  test('admin PUT applies to the next S3 PUT and shows in S3 GetBucketEncryption', async () => {
    const put = await admin('PUT', '/bucket/enc/encryption', { algorithm: 'aws:kms', kmsKeyId: 'app-key' });
    expect(put.status).toBe(200);
    const viaS3 = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'enc' }));
    const rule = viaS3.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    expect(rule).toMatchObject({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'app-key' });
    await s3.send(new PutObjectCommand({ Bucket: 'enc', Key: 'by-default', Body: 'x' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'enc', Key: 'by-default' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toContain('app-key');
    // A missing key is refused (auto-create is off).
    expect((await admin('PUT', '/bucket/enc/encryption', { algorithm: 'aws:kms', kmsKeyId: 'no-such-key' })).status).toBe(400);
  });

  test('S3 PutBucketEncryption and DeleteBucketEncryption show at once through the admin API', async () => {
    await s3.send(new PutBucketEncryptionCommand({ Bucket: 'enc', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }));
    expect(await (await admin('GET', '/bucket/enc/encryption')).json()).toEqual({ algorithm: 'AES256' });
    await s3.send(new PutObjectCommand({ Bucket: 'enc', Key: 's3-default', Body: 'y' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'enc', Key: 's3-default' }))).ServerSideEncryption).toBe('AES256');
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: 'enc' }));
    expect((await admin('GET', '/bucket/enc/encryption')).status).toBe(404);
    await s3.send(new PutObjectCommand({ Bucket: 'enc', Key: 'plain', Body: 'z' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'enc', Key: 'plain' }))).ServerSideEncryption).toBeUndefined();
  });

  test('admin DELETE removes the default; the change is audited as config (metrics count it)', async () => {
    expect((await admin('PUT', '/bucket/enc/encryption', { algorithm: 'AES256' })).status).toBe(200);
    expect((await admin('DELETE', '/bucket/enc/encryption')).status).toBe(204);
    await expect(s3.send(new GetBucketEncryptionCommand({ Bucket: 'enc' }))).rejects.toThrow();
    const metrics = await (await fetch(`${server.endpoint}/cairn/metrics`)).text();
    expect(metrics).toContain('cairn_admin_requests_total{operation="bucket.encryption.delete",status="204"} 1\n');
    expect(metrics).toMatch(/cairn_config_cache_hits_total [1-9]\d*\n/);
  });
});
