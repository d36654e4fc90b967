// SSE-S3 ETags are the plaintext MD5 everywhere (PUT, listings, HEAD, GET), opened under
// the server-wide metadata key without a KMS call per object; HEAD needs no KMS at all,
// so it works while Vault is down (GET then answers 503). rclone `check`, which compares
// listing ETags with local MD5s, passes on a bucket with default AES256 encryption and
// fails when a file differs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutBucketEncryptionCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type StartedServer } from './helpers/server.ts';
import { errorOf, rcloneEnv, run, sdkClient } from './helpers/clients.ts';
import { markedBody, md5Hex } from './helpers/sse.ts';
import { VaultDouble } from '../src/kms/testing/vault-double.ts';

let vault: VaultDouble;
let server: StartedServer;
let s3: S3Client;
let work: string;
const bucket = 'etag-bucket';
const rclone = Bun.which('rclone');

function vaultEnv(): Record<string, string> {
  return {
    CAIRN_KMS_BACKEND: 'vault', CAIRN_KMS_VAULT_ENDPOINT: vault.url, CAIRN_KMS_VAULT_TOKEN: vault.rootToken,
    CAIRN_KMS_AUTO_CREATE: 'on', CAIRN_KMS_VAULT_RETRIES: '1', CAIRN_KMS_VAULT_TIMEOUT: '2s',
  };
}

function connect(): void {
  s3?.destroy();
  s3 = sdkClient(server);
  s3.config.maxAttempts = async () => 1;
}

async function listedEtags(prefix: string): Promise<Map<string, string>> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return new Map((out.Contents ?? []).map((c) => [c.Key ?? '', (c.ETag ?? '').replace(/"/g, '')]));
}

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '');

beforeAll(async () => {
  vault = new VaultDouble();
  work = await mkdtemp(join(tmpdir(), 'cairn-etag-'));
  server = await startServer({ env: vaultEnv() });
  connect();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  vault?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

const s3Body = markedBody(300_000, 'ETAG-S3');
const kmsBody = markedBody(200_000, 'ETAG-KMS');

test('SSE-S3 single-part: ListObjectsV2 ETag = HEAD ETag = GET ETag = PUT ETag = MD5', async () => {
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'enc/s3', Body: s3Body, ServerSideEncryption: 'AES256' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'enc/kms', Body: kmsBody, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'vault-app' }));
  const md5 = md5Hex(s3Body);
  expect(unquote(put.ETag)).toBe(md5);
  expect((await listedEtags('enc/')).get('enc/s3')).toBe(md5);
  expect(unquote((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc/s3' }))).ETag)).toBe(md5);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'enc/s3' }));
  expect(unquote(got.ETag)).toBe(md5);
  expect(md5Hex(await got.Body!.transformToByteArray())).toBe(md5);
  // SSE-KMS ETags are not the MD5 (as in AWS), but listing and HEAD agree.
  const kmsHead = unquote((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc/kms' }))).ETag);
  expect(kmsHead).not.toBe(md5Hex(kmsBody));
  expect((await listedEtags('enc/')).get('enc/kms')).toBe(kmsHead);
});

test('listing and HEAD make no KMS call per object', async () => {
  const before = vault.countRequests('transit/');
  await listedEtags('enc/');
  await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc/s3' }));
  await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc/kms' }));
  expect(vault.countRequests('transit/')).toBe(before);
  await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'enc/kms' }))).Body!.transformToByteArray();
  expect(vault.countRequests('transit/')).toBeGreaterThan(before);
});

test('Vault down: HEAD of SSE-S3 and SSE-KMS objects succeeds, listing shows the MD5, GET answers 503', async () => {
  vault.inject({ pathPrefix: 'transit/', status: 503, times: 10_000 });
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc/s3' }));
    expect(unquote(head.ETag)).toBe(md5Hex(s3Body));
    expect(head.ServerSideEncryption).toBe('AES256');
    expect(head.ContentLength).toBe(s3Body.length);
    const kms = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc/kms' }));
    expect(kms.ServerSideEncryption).toBe('aws:kms');
    expect(kms.SSEKMSKeyId).toBe('vault-app');
    expect((await listedEtags('enc/')).get('enc/s3')).toBe(md5Hex(s3Body));
    for (const key of ['enc/s3', 'enc/kms']) {
      expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))).toEqual({ code: 'KMSUnavailable', status: 503 });
      expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=0-9' })))).toEqual({ code: 'KMSUnavailable', status: 503 });
    }
  } finally {
    vault.clearFaults();
  }
});

test('Vault down since start: listing and HEAD fall back to the stored ETag, then show the MD5 once Vault is back', async () => {
  await server.stop({ keepDir: true });
  vault.inject({ pathPrefix: 'transit/', status: 503, times: 10_000 });
  try {
    server = await startServer({ env: vaultEnv(), dir: server.dir });
    connect();
    const listed = (await listedEtags('enc/')).get('enc/s3');
    expect(listed).toMatch(/^[0-9a-f]{32}$/);
    expect(listed).not.toBe(md5Hex(s3Body));
    expect(unquote((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'enc/s3' }))).ETag)).toBe(listed!);
  } finally {
    vault.clearFaults();
  }
  // A failure is retried after a short pause (bounded polling, no timing assertion).
  let shown: string | undefined;
  for (let i = 0; i < 40 && shown !== md5Hex(s3Body); i++) {
    await Bun.sleep(250);
    shown = (await listedEtags('enc/')).get('enc/s3');
  }
  expect(shown).toBe(md5Hex(s3Body));
}, 60_000);

describe.skipIf(rclone === null)('rclone on a bucket with default AES256 encryption', () => {
  const rc = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => run([rclone ?? 'rclone', ...args], rcloneEnv(server, work), work);

  test('check passes for the uploaded tree and fails when a file differs', async () => {
    const dest = 'aes-default';
    await s3.send(new CreateBucketCommand({ Bucket: dest }));
    await s3.send(new PutBucketEncryptionCommand({ Bucket: dest, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } }));
    const src = join(work, 'tree');
    const files: Record<string, string> = { 'a.txt': 'alpha', 'd/b.txt': 'bravo', 'd/e/c.bin': 'C'.repeat(1_500_000) };
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(join(src, rel, '..'), { recursive: true });
      await writeFile(join(src, rel), content);
    }
    const copied = await rc(['copy', src, `cairn:${dest}`]);
    expect(copied.code, copied.stderr).toBe(0);
    const head = await s3.send(new HeadObjectCommand({ Bucket: dest, Key: 'd/b.txt' }));
    expect(head.ServerSideEncryption).toBe('AES256');
    const same = await rc(['check', src, `cairn:${dest}`]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toContain('3 matching files');
    // Same size, other bytes: only the hash can tell, so this fails only if ETags are compared.
    await writeFile(join(src, 'd/b.txt'), 'BRAVO');
    const differs = await rc(['check', src, `cairn:${dest}`]);
    expect(differs.code).not.toBe(0);
    expect(differs.stderr).toContain('1 differences found');
  }, 120_000);
});
