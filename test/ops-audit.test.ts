// The audit log against the real server: rotation under a small size limit loses
// no event, no secret reaches the audit log or the server's output, and
// `cairn audit report` summarizes what happened.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startServer, type StartedServer } from './helpers/server.ts';
import { run, sdkClient } from './helpers/clients.ts';
import { signRequest } from '../src/s3/sigv4/index.ts';
import { systemClock } from '../src/util/clock.ts';

const masterKeyB64 = Buffer.alloc(32, 0x5a).toString('base64');
const ssecKey = Buffer.alloc(32, 0x3c);
const ssecKeyB64 = ssecKey.toString('base64');
const auditMaxBytes = 4096;
const putCount = 60;

let server: StartedServer;
let s3: S3Client;
let auditDir: string;
let output = '';

interface Line {
  v: number;
  kind: string;
  requestId: string;
  operation: string;
  key?: string;
  status: number;
  errorCode?: string;
}

function auditFiles(): string[] {
  return readdirSync(auditDir).filter((n) => n.startsWith('audit')).sort();
}

function auditText(): string {
  return auditFiles().map((n) => {
    const raw = readFileSync(join(auditDir, n));
    return n.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  }).join('');
}

async function adminPut(path: string, body: unknown): Promise<Response> {
  const text = JSON.stringify(body);
  const signed = signRequest({ method: 'PUT', url: `${server.endpoint}/cairn/admin/v1${path}`, body: text }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
  return fetch(signed.url, { method: 'PUT', headers: signed.headers, body: text });
}

beforeAll(async () => {
  server = await startServer({
    env: {
      CAIRN_AUDIT_DIR: 'audit', // relative to the server's working directory (its temp dir)
      CAIRN_AUDIT_MAX_BYTES: String(auditMaxBytes),
      CAIRN_AUDIT_GZIP: 'on',
      CAIRN_AUDIT_RETAIN: '1000',
      CAIRN_AUDIT_FSYNC: 'always',
      CAIRN_KMS_BACKEND: 'local',
      CAIRN_KMS_SECRET_KEY: `audit-test:${masterKeyB64}`,
      CAIRN_LOG_LEVEL: 'debug',
      CAIRN_SSE_C_ALLOW_INSECURE: 'on', // so the SSE-C key is really used, not refused up front
    },
  });
  auditDir = join(server.dir, 'audit');
  s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'audited' }));
  for (let i = 0; i < putCount; i++) await s3.send(new PutObjectCommand({ Bucket: 'audited', Key: `obj/${i}`, Body: `body ${i}` }));
  await s3.send(new GetObjectCommand({ Bucket: 'audited', Key: 'obj/1' }));
  await s3.send(new PutObjectCommand({ Bucket: 'audited', Key: 'sse-s3', Body: 'a', ServerSideEncryption: 'AES256' }));
  await s3.send(new PutObjectCommand({ Bucket: 'audited', Key: 'sse-kms', Body: 'b', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'audit-key' }));
  // A multipart SSE-S3 object: its completion is the write the report must count as encrypted.
  const mp = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'audited', Key: 'sse-s3-multipart', ServerSideEncryption: 'AES256' }));
  const part = await s3.send(new UploadPartCommand({ Bucket: 'audited', Key: 'sse-s3-multipart', UploadId: mp.UploadId, PartNumber: 1, Body: 'one part' }));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'audited', Key: 'sse-s3-multipart', UploadId: mp.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
  // SSE-C write and read: the customer key must not be logged anywhere.
  const ssec = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: ssecKeyB64, SSECustomerKeyMD5: createHash('md5').update(ssecKey).digest('base64') };
  await s3.send(new PutObjectCommand({ Bucket: 'audited', Key: 'ssec', Body: 'secret body', ...ssec }));
  const back = await s3.send(new GetObjectCommand({ Bucket: 'audited', Key: 'ssec', ...ssec }));
  expect(await back.Body?.transformToString()).toBe('secret body');
  const intruder = sdkClient(server, { secretKey: 'wrong-secret-key-123' });
  await intruder.send(new GetObjectCommand({ Bucket: 'audited', Key: 'obj/1' })).catch(() => undefined);
  intruder.destroy();
  expect((await adminPut('/bucket/audited/bandwidth', { bytesPerSec: 1_000_000 })).status).toBe(200);
  s3.destroy();
  expect(await server.stop({ keepDir: true })).toBe(0); // graceful stop drains the audit queue
  output = server.output();
}, 120_000);

afterAll(async () => {
  await rm(server.dir, { recursive: true, force: true });
});

describe('audit log', () => {
  test('rotates under a small size limit and loses nothing across rotations', () => {
    const files = auditFiles();
    const rotated = files.filter((n) => n !== 'audit.log');
    expect(rotated.length).toBeGreaterThanOrEqual(3);
    expect(rotated.every((n) => n.endsWith('.log.gz'))).toBe(true);
    for (const n of files.filter((f) => !f.endsWith('.gz'))) expect(statSync(join(auditDir, n)).size).toBeLessThanOrEqual(auditMaxBytes);
    const lines = auditText().trim().split('\n').map((l) => JSON.parse(l) as Line);
    const puts = lines.filter((l) => l.operation === 'PutObject' && l.status === 200 && l.key?.startsWith('obj/') === true);
    expect(new Set(puts.map((l) => l.key))).toEqual(new Set(Array.from({ length: putCount }, (_, i) => `obj/${i}`)));
    expect(puts.length).toBe(putCount);
    const s3Ids = lines.filter((l) => l.kind === 's3').map((l) => l.requestId);
    expect(new Set(s3Ids).size).toBe(s3Ids.length);
    expect(lines.every((l) => l.v === 1)).toBe(true);
    expect(lines.some((l) => l.kind === 'config' && l.operation === 'admin.bucket.bandwidth.put' && l.status === 200)).toBe(true);
    expect(lines.some((l) => l.status === 403 && l.errorCode === 'SignatureDoesNotMatch')).toBe(true);
  });

  test('no secret in the audit log or the server output', () => {
    const audit = auditText();
    expect(audit.length).toBeGreaterThan(0);
    expect(output.length).toBeGreaterThan(0);
    for (const secret of [server.secretKey, masterKeyB64, ssecKeyB64, 'wrong-secret-key-123']) {
      expect(audit.includes(secret)).toBe(false);
      expect(output.includes(secret)).toBe(false);
    }
  });

  test('cairn audit report summarizes writes, failed authentications and admin changes', async () => {
    const r = await run([process.execPath, join(import.meta.dir, '..', 'src', 'main.ts'), 'audit', 'report', '--since', '1h', '--dir', auditDir, '--json'], { PATH: process.env.PATH ?? '' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { files: number; objectsWritten: { total: number; plain: number; encrypted: number; byMode: Record<string, number> }; kmsKeysUsed: Record<string, number>; failedAuthentications: { total: number }; adminChanges: { total: number; listed: { operation: string }[] } };
    expect(s.files).toBe(auditFiles().length);
    expect(s.objectsWritten.total).toBeGreaterThanOrEqual(putCount);
    expect(s.objectsWritten.plain).toBeGreaterThanOrEqual(putCount);
    expect(s.objectsWritten.byMode['sse-s3']).toBe(2); // one PutObject, one CompleteMultipartUpload
    expect(s.objectsWritten.byMode['sse-kms']).toBe(1);
    expect(s.objectsWritten.byMode['sse-c']).toBe(1);
    expect(s.objectsWritten.encrypted).toBe(4);
    expect(s.kmsKeysUsed['audit-key']).toBe(1);
    expect(s.failedAuthentications.total).toBeGreaterThanOrEqual(1);
    expect(s.adminChanges.listed.map((c) => c.operation)).toContain('admin.bucket.bandwidth.put');
    const text = await run([process.execPath, join(import.meta.dir, '..', 'src', 'main.ts'), 'audit', 'report', '--since', '1h', '--dir', auditDir], { PATH: process.env.PATH ?? '' });
    expect(text.stdout).toContain('Objects written:');
    expect(text.stdout).toContain('Failed authentications:');
  });
});
