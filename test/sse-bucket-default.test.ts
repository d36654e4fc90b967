// Bucket default encryption: S3 Put/Get/DeleteBucketEncryption and the admin API
// share one bucket setting, read through the config cache (every write invalidates).
// The default applies to writes without SSE headers; a request's own headers win.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import {
  CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketEncryptionCommand, GetBucketEncryptionCommand, HeadObjectCommand,
  PutBucketEncryptionCommand, PutObjectCommand, S3Client, type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import { startServer, type StartedServer } from './helpers/server.ts';
import { errorOf, sdkClient } from './helpers/clients.ts';
import { customerKey, masterKeyEnv, sdkSseC } from './helpers/sse.ts';
import { adminCall } from './helpers/admin.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'default-enc';

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return adminCall(server, method, path, body);
}

async function putAndHead(key: string, fields: Record<string, unknown> = {}): Promise<{ sse: string | undefined; keyId: string | undefined; bucketKey: boolean | undefined }> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'data', ...fields }));
  const sseC = 'SSECustomerKey' in fields ? fields : {};
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...sseC }));
  return { sse: head.ServerSideEncryption ?? head.SSECustomerAlgorithm, keyId: head.SSEKMSKeyId, bucketKey: head.BucketKeyEnabled };
}

const putRules = (Rules: ServerSideEncryptionRule[]) => new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules } });

beforeAll(async () => {
  server = await startServer({ env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv, CAIRN_KMS_AUTO_CREATE: 'off', CAIRN_SSE_C_ALLOW_INSECURE: 'on' } });
  s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const keyId of ['cairn-default', 'bucket-key']) expect((await admin('POST', `/kms/keys/${keyId}`)).status).toBe(201);
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

test('no configuration: 404 ServerSideEncryptionConfigurationNotFoundError on S3 and admin; objects stay plain', async () => {
  expect(await errorOf(s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))).toEqual({ code: 'ServerSideEncryptionConfigurationNotFoundError', status: 404 });
  expect((await admin('GET', `/bucket/${bucket}/encryption`)).status).toBe(404);
  expect((await putAndHead('plain')).sse).toBeUndefined();
});

test('S3 AES256 default: applied to put, multipart and copy without headers; request headers win', async () => {
  await s3.send(putRules([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]));
  const got = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
  expect(got.ServerSideEncryptionConfiguration?.Rules?.map((r) => r.ApplyServerSideEncryptionByDefault)).toEqual([{ SSEAlgorithm: 'AES256' }]);
  expect(await (await admin('GET', `/bucket/${bucket}/encryption`)).json()).toEqual({ algorithm: 'AES256' });

  expect((await putAndHead('by-default')).sse).toBe('AES256');
  expect(await putAndHead('own-kms', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'bucket-key' })).toEqual({ sse: 'aws:kms', keyId: 'bucket-key', bucketKey: undefined });
  expect((await putAndHead('own-c', sdkSseC(customerKey(3)))).sse).toBe('AES256'); // SSECustomerAlgorithm
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp' }));
  expect(created.ServerSideEncryption).toBe('AES256');
  const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copied', CopySource: `${bucket}/plain` }));
  expect(copied.ServerSideEncryption).toBe('AES256');
});

test('S3 aws:kms default with a key id and bucket key; admin sees the same setting', async () => {
  await s3.send(putRules([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'bucket-key' }, BucketKeyEnabled: true }]));
  const got = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
  expect(got.ServerSideEncryptionConfiguration?.Rules).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'bucket-key' }, BucketKeyEnabled: true }]);
  expect(await (await admin('GET', `/bucket/${bucket}/encryption`)).json()).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'bucket-key', bucketKeyEnabled: true });
  expect(await putAndHead('kms-default')).toEqual({ sse: 'aws:kms', keyId: 'bucket-key', bucketKey: true });
});

test('admin writes are seen by S3 at once (cache invalidated), and S3 deletes by admin', async () => {
  expect((await admin('PUT', `/bucket/${bucket}/encryption`, { algorithm: 'AES256' })).status).toBe(200);
  expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
  expect((await putAndHead('after-admin-put')).sse).toBe('AES256');
  expect((await admin('DELETE', `/bucket/${bucket}/encryption`)).status).toBe(204);
  expect(await errorOf(s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))).toEqual({ code: 'ServerSideEncryptionConfigurationNotFoundError', status: 404 });
  expect((await putAndHead('after-admin-delete')).sse).toBeUndefined();
  await s3.send(putRules([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]));
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
  expect((await admin('GET', `/bucket/${bucket}/encryption`)).status).toBe(404);
  expect((await putAndHead('after-s3-delete')).sse).toBeUndefined();
});

test('invalid configurations are refused and change nothing', async () => {
  await s3.send(putRules([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]));
  const two = [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } }, { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const } }];
  expect(await errorOf(s3.send(putRules(two)))).toEqual({ code: 'MalformedXML', status: 400 });
  expect(await errorOf(s3.send(putRules([])))).toEqual({ code: 'MalformedXML', status: 400 });
  expect(await errorOf(s3.send(putRules([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256', KMSMasterKeyID: 'bucket-key' } }])))).toEqual({ code: 'InvalidArgument', status: 400 });
  expect(await errorOf(s3.send(putRules([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'no-such-key' } }])))).toEqual({ code: 'KMS.NotFoundException', status: 400 });
  expect(await errorOf(s3.send(putRules([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse' } }])))).toEqual({ code: 'MalformedXML', status: 400 });
  expect(await (await admin('GET', `/bucket/${bucket}/encryption`)).json()).toEqual({ algorithm: 'AES256' });
  expect(await errorOf(s3.send(new GetBucketEncryptionCommand({ Bucket: 'no-such-bucket' })))).toEqual({ code: 'NoSuchBucket', status: 404 });
});
