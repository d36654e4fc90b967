// Metrics, health and the admin API's front door against the real server process:
// promtool accepts /cairn/metrics, readiness flips to 503 when drives beyond the
// parity go away and back to 200 when they return, admin refuses the unsigned.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { rename } from 'node:fs/promises';
import { startServer, type StartedServer } from './helpers/server.ts';
import { sdkClient } from './helpers/clients.ts';
import { signRequest } from '../src/s3/sigv4/index.ts';
import { systemClock } from '../src/util/clock.ts';

let server: StartedServer;
let s3: S3Client;

beforeAll(async () => {
  server = await startServer({ driveCount: 4, env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: `metrics-test:${Buffer.alloc(32, 9).toString('base64')}` } });
  s3 = sdkClient(server);
});
afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

async function adminGet(path: string): Promise<Response> {
  const signed = signRequest({ method: 'GET', url: `${server.endpoint}/cairn/admin/v1${path}` }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
  return fetch(signed.url, { headers: signed.headers });
}

/** Polls until the readiness status is `want`; the drive monitor re-probes every 10 s. */
async function waitReady(want: number, timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${server.endpoint}/cairn/health/ready`);
    if (res.status === want || Date.now() > deadline) return res;
    await Bun.sleep(250);
  }
}

describe('metrics and health', () => {
  test('/cairn/metrics after real traffic passes promtool check metrics', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'metrics' }));
    await s3.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'a.txt', Body: 'hello metrics' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'metrics', Key: 'a.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello metrics');
    await expect(s3.send(new GetObjectCommand({ Bucket: 'metrics', Key: 'missing' }))).rejects.toThrow();
    await s3.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'sealed.txt', Body: 'encrypted at rest', ServerSideEncryption: 'AES256' }));
    const sealed = await s3.send(new GetObjectCommand({ Bucket: 'metrics', Key: 'sealed.txt' }));
    expect(await sealed.Body?.transformToString()).toBe('encrypted at rest');

    const res = await fetch(`${server.endpoint}/cairn/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('version=0.0.4');
    const text = await res.text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
    expect(text).toContain('cairn_s3_requests_total{operation="PutObject",status="200"} 2\n');
    expect(text).toContain('cairn_encryption_operations_total{mode="sse-s3",direction="encrypt"} 1\n');
    expect(text).toContain('cairn_encryption_operations_total{mode="sse-s3",direction="decrypt"} 1\n');
    expect(text).toContain('cairn_encryption_operations_total{mode="none",direction="encrypt"} 1\n');
    // At least the object's data key (the server may also generate keys of its own, e.g. for metadata).
    expect(text).toMatch(/cairn_kms_operations_total\{operation="generateDataKey",backend="local"\} [1-9]\d*\n/);
    expect(text).toMatch(/cairn_kms_operation_duration_seconds_count\{operation="decrypt",backend="local"\} [1-9]\d*\n/);
    expect(text).toContain('cairn_kms_up 1\n');
    expect(text).toContain('cairn_s3_requests_total{operation="GetObject",status="404"} 1\n');
    expect(text).toMatch(/cairn_s3_received_bytes_total\{operation="PutObject"\} \d+/);
    expect(text).toContain('cairn_drives_online 4\n');
    expect(text).toContain('cairn_drive_state{drive="0",state="online"} 1\n');
    expect(text).toContain('cairn_heal_queue_length 0\n');
    expect(text).toContain('cairn_s3_request_duration_seconds_bucket{operation="PutObject",le="+Inf"} 2\n');
  });

  test('live and ready answer on both path families', async () => {
    for (const path of ['/cairn/health/live', '/minio/health/live', '/cairn/health/ready', '/minio/health/ready']) {
      const res = await fetch(`${server.endpoint}${path}`);
      expect(res.status).toBe(200);
    }
    const body = (await (await fetch(`${server.endpoint}/cairn/health/ready`)).json()) as { status: string; components: { drives: { online: number; writeQuorum: number }; kms: { status: string } } };
    expect(body.status).toBe('ready');
    expect(body.components.drives).toMatchObject({ online: 4, writeQuorum: 3 });
    expect(body.components.kms.status).toBe('ok');
  });

  test('the admin API refuses unsigned and wrongly signed calls, and serves root', async () => {
    expect((await fetch(`${server.endpoint}/cairn/admin/v1/info`)).status).toBe(403);
    const bad = signRequest({ method: 'GET', url: `${server.endpoint}/cairn/admin/v1/info` }, { accessKey: server.accessKey, secretKey: 'not-the-secret' }, systemClock);
    expect((await fetch(bad.url, { headers: bad.headers })).status).toBe(403);
    const info = await adminGet('/info');
    expect(info.status).toBe(200);
    expect(((await info.json()) as { erasure: { dataShards: number } }).erasure.dataShards).toBe(2);
  });

  test('readiness turns 503 when drives beyond the parity go away, and 200 when they return', async () => {
    const gone = server.drives.slice(0, 2).map((d) => `${d}.gone`);
    await rename(server.drives[0]!, gone[0]!);
    await rename(server.drives[1]!, gone[1]!);
    try {
      // A write notices at once; otherwise the drive monitor does within its interval.
      await s3.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'after-loss', Body: 'x' })).catch(() => undefined);
      const down = await waitReady(503);
      expect(down.status).toBe(503);
      const body = (await down.json()) as { status: string; components: { drives: { status: string; online: number } } };
      expect(body.status).toBe('not-ready');
      expect(body.components.drives.status).toBe('fail');
      expect(body.components.drives.online).toBeLessThan(3);
      expect((await fetch(`${server.endpoint}/minio/health/ready`)).status).toBe(503);
      expect((await fetch(`${server.endpoint}/cairn/health/live`)).status).toBe(200);
      const metrics = await (await fetch(`${server.endpoint}/cairn/metrics`)).text();
      expect(metrics).toMatch(/cairn_drive_state\{drive="[01]",state="offline"\} 1/);
    } finally {
      await rename(gone[0]!, server.drives[0]!);
      await rename(gone[1]!, server.drives[1]!);
    }
    expect((await waitReady(200)).status).toBe(200);
  }, 90_000);
});
