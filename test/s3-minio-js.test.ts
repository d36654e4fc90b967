// The MinIO JavaScript SDK (npm "minio") against the real server: the calls a Node
// application makes, checked for exact results. The MinIO SDKs are stricter than AWS's
// about some status codes (PutBucketTagging must be 200), which is why they are here.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as Minio from 'minio';
import { startServer, type StartedServer } from './helpers/server.ts';
import { masterKeyEnv } from './helpers/sse.ts';

let server: StartedServer;
let mc: Minio.Client;
const bucket = 'minio-js-bucket';
const data = randomBytes(7 * 1024 * 1024 + 123);

beforeAll(async () => {
  server = await startServer({ env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv, CAIRN_SSE_C_ALLOW_INSECURE: 'on' } });
  const url = new URL(server.endpoint);
  mc = new Minio.Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: server.accessKey, secretKey: server.secretKey, region: server.region });
  await mc.makeBucket(bucket, server.region);
});

afterAll(async () => {
  await server?.stop();
});

async function bodyOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function names(stream: NodeJS.ReadableStream): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    stream.on('data', (o: { name?: string; prefix?: string }) => out.push(o.name ?? o.prefix ?? '?'));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

const md5Hex = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

test('buckets, objects with metadata, ranges, streams of unknown length (multipart) and files', async () => {
  expect(await mc.bucketExists(bucket)).toBe(true);
  expect((await mc.listBuckets()).map((b) => b.name)).toContain(bucket);
  const put = await mc.putObject(bucket, 'big', data, data.length, { 'Content-Type': 'application/x-test', 'X-Amz-Meta-Color': 'blue' });
  expect(put.etag).toMatch(/^[0-9a-f]{32}(-\d+)?$/);
  const stat = await mc.statObject(bucket, 'big');
  expect(stat.size).toBe(data.length);
  expect(stat.metaData).toMatchObject({ 'content-type': 'application/x-test', color: 'blue' });
  expect((await bodyOf(await mc.getObject(bucket, 'big'))).equals(data)).toBe(true);
  expect((await bodyOf(await mc.getPartialObject(bucket, 'big', 100, 50))).equals(data.subarray(100, 150))).toBe(true);
  const streamed = await mc.putObject(bucket, 'stream', Readable.from([data.subarray(0, 1000), data.subarray(1000, 9000)]));
  expect(streamed.etag).toBeString();
  expect((await bodyOf(await mc.getObject(bucket, 'stream'))).equals(data.subarray(0, 9000))).toBe(true);
  expect(await names(mc.listObjects(bucket, '', true))).toEqual(['big', 'stream']);
  await mc.putObject(bucket, 'dir/a', 'a');
  expect(await names(mc.listObjectsV2(bucket, '', false))).toEqual(['big', 'stream', 'dir/']);
});

test('copies, compose (UploadPartCopy), removes', async () => {
  await mc.copyObject(new Minio.CopySourceOptions({ Bucket: bucket, Object: 'big' }), new Minio.CopyDestinationOptions({ Bucket: bucket, Object: 'copy' }));
  expect(md5Hex(await bodyOf(await mc.getObject(bucket, 'copy')))).toBe(md5Hex(data));
  const fiveMiB = 5 * 1024 * 1024;
  await mc.composeObject(new Minio.CopyDestinationOptions({ Bucket: bucket, Object: 'composed' }), [
    new Minio.CopySourceOptions({ Bucket: bucket, Object: 'big', MatchRange: true, Start: 0, End: fiveMiB - 1 }),
    new Minio.CopySourceOptions({ Bucket: bucket, Object: 'stream' }),
  ]);
  const composed = await bodyOf(await mc.getObject(bucket, 'composed'));
  expect(md5Hex(composed)).toBe(md5Hex(Buffer.concat([data.subarray(0, fiveMiB), data.subarray(0, 9000)])));
  await mc.removeObjects(bucket, ['copy', 'composed']);
  await mc.removeObject(bucket, 'dir/a');
  expect(await names(mc.listObjects(bucket, '', true))).toEqual(['big', 'stream']);
});

test('presigned GET, PUT and POST policy, fetched without the SDK', async () => {
  const get = await fetch(await mc.presignedGetObject(bucket, 'big', 60));
  expect(get.status).toBe(200);
  expect(md5Hex(new Uint8Array(await get.arrayBuffer()))).toBe(md5Hex(data));
  expect((await fetch(await mc.presignedPutObject(bucket, 'presigned', 60), { method: 'PUT', body: 'hello' })).status).toBe(200);
  expect((await bodyOf(await mc.getObject(bucket, 'presigned'))).toString()).toBe('hello');
  const policy = mc.newPostPolicy();
  policy.setBucket(bucket);
  policy.setKey('posted');
  policy.setExpires(new Date(Date.now() + 60_000));
  policy.setContentLengthRange(1, 1000);
  const { postURL, formData } = await mc.presignedPostPolicy(policy);
  const form = new FormData();
  for (const [k, v] of Object.entries(formData)) form.append(k, v);
  form.append('file', new Blob(['posted body']));
  expect((await fetch(postURL, { method: 'POST', body: form })).status).toBe(204);
  expect((await bodyOf(await mc.getObject(bucket, 'posted'))).toString()).toBe('posted body');
});

test('object and bucket tags', async () => {
  await mc.setObjectTagging(bucket, 'big', { a: 'one', b: 'two' });
  expect(await mc.getObjectTagging(bucket, 'big')).toEqual([{ Key: 'a', Value: 'one' }, { Key: 'b', Value: 'two' }]);
  await mc.setBucketTagging(bucket, { team: 'edge' });
  expect(await mc.getBucketTagging(bucket)).toEqual([{ Key: 'team', Value: 'edge' }]);
  await mc.removeBucketTagging(bucket);
  await mc.removeObjectTagging(bucket, 'big', { versionId: '' });
  expect(await mc.getObjectTagging(bucket, 'big')).toEqual([]);
});

test('bucket default encryption and SSE-C', async () => {
  await mc.setBucketEncryption(bucket, { Rule: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
  const config = await mc.getBucketEncryption(bucket);
  expect(JSON.stringify(config)).toContain('AES256');
  await mc.putObject(bucket, 'encrypted', 'by default');
  expect((await bodyOf(await mc.getObject(bucket, 'encrypted'))).toString()).toBe('by default');
  await mc.removeBucketEncryption(bucket);
  const key = Buffer.alloc(32, 7);
  const sseC = {
    'X-Amz-Server-Side-Encryption-Customer-Algorithm': 'AES256',
    'X-Amz-Server-Side-Encryption-Customer-Key': key.toString('base64'),
    'X-Amz-Server-Side-Encryption-Customer-Key-Md5': createHash('md5').update(key).digest('base64'),
  };
  await mc.putObject(bucket, 'customer', Buffer.from('customer secret'), 15, sseC);
  const got = await mc.getObject(bucket, 'customer', { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: sseC['X-Amz-Server-Side-Encryption-Customer-Key-Md5'] });
  expect((await bodyOf(got)).toString()).toBe('customer secret');
  await expect(mc.getObject(bucket, 'customer')).rejects.toThrow();
});
