// SSE-C and transport security, the aws CLI's encryption flags, and a server without
// a KMS. Over plain HTTP a customer key is refused (400 InvalidRequest); served over
// TLS from CAIRN_TLS_CERT/KEY (a self-signed certificate made by `openssl req`) it works
// with the AWS SDK and the aws CLI. Without a KMS, SSE-S3/SSE-KMS answer 501.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type StartedServer } from './helpers/server.ts';
import { awsCliPath, awsEnv, errorOf, run, sdkClient } from './helpers/clients.ts';
import { customerKey, markedBody, masterKeyEnv, md5Hex, sdkCopySourceSseC, sdkSseC, selfSignedCert } from './helpers/sse.ts';

const aws = awsCliPath();
const keyA = customerKey(5);
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-sse-tls-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('plain HTTP with the local KMS', () => {
  let server: StartedServer;
  let s3: S3Client;
  beforeAll(async () => {
    server = await startServer({ env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv } });
    s3 = sdkClient(server);
    await s3.send(new CreateBucketCommand({ Bucket: 'plain-http' }));
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  test('a customer key over plain HTTP is refused on put, get and copy, and nothing is stored', async () => {
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: 'plain-http', Key: 'c', Body: 'secret', ...sdkSseC(keyA) })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'plain-http', Key: 'c' })))).toEqual({ code: 'NotFound', status: 404 });
    await s3.send(new PutObjectCommand({ Bucket: 'plain-http', Key: 'p', Body: 'plain' }));
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: 'plain-http', Key: 'p', ...sdkSseC(keyA) })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect(await errorOf(s3.send(new CopyObjectCommand({ Bucket: 'plain-http', Key: 'q', CopySource: 'plain-http/p', ...sdkCopySourceSseC(keyA) })))).toEqual({ code: 'InvalidRequest', status: 400 });
  });

  test.skipIf(aws === undefined)('aws CLI: --sse AES256 and --sse aws:kms --sse-kms-key-id', async () => {
    const file = join(work, 'cli-body');
    const body = markedBody(3 * 1024 * 1024, 'CLI-MARKER');
    await writeFile(file, body);
    const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => run([aws ?? 'aws', '--endpoint-url', server.endpoint, ...args], awsEnv(server, work), work);
    for (const [key, flags, want] of [['s3-obj', ['--sse', 'AES256'], 'AES256'], ['kms-obj', ['--sse', 'aws:kms', '--sse-kms-key-id', 'cli-key'], 'aws:kms']] as const) {
      const up = await cli(['s3', 'cp', file, `s3://plain-http/${key}`, ...flags]);
      expect(up.code).toBe(0);
      const head = await cli(['s3api', 'head-object', '--bucket', 'plain-http', '--key', key]);
      expect(head.code).toBe(0);
      const meta = JSON.parse(head.stdout) as { ServerSideEncryption?: string; SSEKMSKeyId?: string; ContentLength?: number };
      expect([meta.ServerSideEncryption, meta.ContentLength]).toEqual([want, body.length]);
      if (want === 'aws:kms') expect(meta.SSEKMSKeyId).toBe('cli-key');
      const down = await cli(['s3', 'cp', `s3://plain-http/${key}`, join(work, `${key}.out`)]);
      expect(down.code).toBe(0);
      expect(md5Hex(await readFile(join(work, `${key}.out`)))).toBe(md5Hex(body));
    }
  }, 60_000);
});

describe('TLS without a KMS', () => {
  let server: StartedServer;
  let s3: S3Client;
  let certFile: string;
  beforeAll(async () => {
    const cert = await selfSignedCert(work);
    certFile = cert.certFile;
    server = await startServer({ env: { CAIRN_KMS_BACKEND: 'none', CAIRN_TLS_CERT: cert.certFile, CAIRN_TLS_KEY: cert.keyFile } });
    expect(server.endpoint.startsWith('https://')).toBe(true);
    const ca = await readFile(cert.certFile, 'utf8');
    s3 = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca }) }),
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'over-tls' }));
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  test('SSE-C works over HTTPS with the SDK: put, get, range, head, wrong key 403', async () => {
    const body = markedBody(200_000, 'TLS-MARKER');
    const put = await s3.send(new PutObjectCommand({ Bucket: 'over-tls', Key: 'c', Body: body, ...sdkSseC(keyA) }));
    expect([put.SSECustomerAlgorithm, put.SSECustomerKeyMD5]).toEqual(['AES256', keyA.md5B64]);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'over-tls', Key: 'c', ...sdkSseC(keyA) }));
    expect(md5Hex(await got.Body!.transformToByteArray())).toBe(md5Hex(body));
    const r = await s3.send(new GetObjectCommand({ Bucket: 'over-tls', Key: 'c', Range: 'bytes=65530-65541', ...sdkSseC(keyA) }));
    expect(Buffer.from(await r.Body!.transformToByteArray()).equals(Buffer.from(body.subarray(65530, 65542)))).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'over-tls', Key: 'c', ...sdkSseC(keyA) }));
    expect(head.ContentLength).toBe(body.length);
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: 'over-tls', Key: 'c', ...sdkSseC(customerKey(6)) })))).toEqual({ code: 'AccessDenied', status: 403 });
  });

  test('without a KMS, SSE-S3 and SSE-KMS answer 501 NotImplemented, bucket default too', async () => {
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: 'over-tls', Key: 's3', Body: 'x', ServerSideEncryption: 'AES256' })))).toEqual({ code: 'NotImplemented', status: 501 });
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: 'over-tls', Key: 'kms', Body: 'x', ServerSideEncryption: 'aws:kms' })))).toEqual({ code: 'NotImplemented', status: 501 });
    expect(await errorOf(s3.send(new PutBucketEncryptionCommand({ Bucket: 'over-tls', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } })))).toEqual({ code: 'NotImplemented', status: 501 });
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'over-tls', Key: 's3' })))).toEqual({ code: 'NotFound', status: 404 });
  });

  test.skipIf(aws === undefined)('aws CLI: --sse-c AES256 --sse-c-key over HTTPS', async () => {
    const file = join(work, 'tls-body');
    const keyFile = join(work, 'customer.key');
    const body = markedBody(9 * 1024 * 1024, 'CLI-TLS-MARKER');
    await writeFile(file, body);
    await writeFile(keyFile, keyA.key);
    const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => run([aws ?? 'aws', '--endpoint-url', server.endpoint, '--ca-bundle', certFile, ...args], awsEnv(server, work), work);
    // 9 MiB: the CLI uploads it in parts, each carrying the key.
    const up = await cli(['s3', 'cp', file, 's3://over-tls/cli-c', '--sse-c', 'AES256', '--sse-c-key', `fileb://${keyFile}`]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const without = await cli(['s3', 'cp', 's3://over-tls/cli-c', join(work, 'nokey.out')]);
    expect(without.code).not.toBe(0);
    const down = await cli(['s3', 'cp', 's3://over-tls/cli-c', join(work, 'cli-c.out'), '--sse-c', 'AES256', '--sse-c-key', `fileb://${keyFile}`]);
    expect(down.code).toBe(0);
    expect(md5Hex(await readFile(join(work, 'cli-c.out')))).toBe(md5Hex(body));
  }, 60_000);
});
