// Admin rate limits and bandwidth limits against the real server: a burst of
// configuration calls gets 429 SlowDown, and transfers of a few seconds hold the
// per-bucket and the global limit within 10%; transfers in flight are listed.
import { afterAll, describe, expect, test } from 'bun:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startServer, type StartedServer } from './helpers/server.ts';
import { sdkClient } from './helpers/clients.ts';
import { adminCall } from './helpers/admin.ts';

const servers: StartedServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function admin(server: StartedServer, method: string, path: string, body?: unknown): Promise<Response> {
  return adminCall(server, method, path, body);
}

/** The limit holds within 10%: the burst allowance (0.1 s of traffic) is the only head start. */
function expectRateNear(bytes: number, ms: number, limitBytesPerSec: number): void {
  const rate = bytes / (ms / 1000);
  console.log(`bandwidth: ${(rate / limitBytesPerSec).toFixed(3)} of the limit`);
  expect(rate).toBeLessThanOrEqual(limitBytesPerSec * 1.1);
  expect(rate).toBeGreaterThanOrEqual(limitBytesPerSec * 0.9);
}

describe('admin rate limit and per-bucket bandwidth', () => {
  test('a burst of config calls gets 429 SlowDown; reads still work', async () => {
    const server = await startServer({ env: { CAIRN_ADMIN_RATE_BURST: '4', CAIRN_ADMIN_RATE_PER_MIN: '1' } });
    servers.push(server);
    const s3 = sdkClient(server);
    await s3.send(new CreateBucketCommand({ Bucket: 'limited' }));
    s3.destroy();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await admin(server, 'PUT', '/bucket/limited/bandwidth', { bytesPerSec: 100_000 + i })).status);
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses.slice(4)).toEqual([429, 429, 429, 429]);
    const refused = await admin(server, 'DELETE', '/bucket/limited/bandwidth');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('SlowDown');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await admin(server, 'GET', '/bucket/limited/bandwidth')).status).toBe(200);
    const metrics = await (await fetch(`${server.endpoint}/cairn/metrics`)).text();
    expect(metrics).toContain('cairn_rate_limited_total{scope="admin"} 5\n');
  }, 60_000);

  test('a per-bucket limit set through the admin API holds on upload and download, and uploads show as transfers', async () => {
    const server = await startServer();
    servers.push(server);
    const s3 = sdkClient(server);
    await s3.send(new CreateBucketCommand({ Bucket: 'slow' }));
    const limit = 1024 * 1024;
    expect((await admin(server, 'PUT', '/bucket/slow/bandwidth', { bytesPerSec: limit })).status).toBe(200);
    const size = 3 * limit;
    const body = new Uint8Array(size).fill(7);

    let t0 = performance.now();
    const upload = s3.send(new PutObjectCommand({ Bucket: 'slow', Key: 'big', Body: body }));
    await Bun.sleep(1000);
    const listed = (await (await admin(server, 'GET', '/transfers')).json()) as { transfers: { direction: string; bucket: string; key: string; bytesDone: number; totalBytes?: number }[] };
    await upload;
    const uploadMs = performance.now() - t0;
    const entry = listed.transfers.find((t) => t.direction === 'upload');
    expect(entry).toMatchObject({ bucket: 'slow', key: 'big', totalBytes: size });
    expect(entry!.bytesDone).toBeGreaterThan(0);
    expect(entry!.bytesDone).toBeLessThan(size);
    expectRateNear(size, uploadMs, limit);

    t0 = performance.now();
    const got = await s3.send(new GetObjectCommand({ Bucket: 'slow', Key: 'big' }));
    const bytes = await got.Body!.transformToByteArray();
    const downloadMs = performance.now() - t0;
    expect(bytes.byteLength).toBe(size);
    expectRateNear(size, downloadMs, limit);
    s3.destroy();
  }, 60_000);

  test('the global limit (CAIRN_BANDWIDTH_MAX_BYTES_PER_SEC) holds on a download', async () => {
    const limit = 2 * 1024 * 1024;
    const server = await startServer({ env: { CAIRN_BANDWIDTH_MAX_BYTES_PER_SEC: String(limit) } });
    servers.push(server);
    const s3 = sdkClient(server);
    await s3.send(new CreateBucketCommand({ Bucket: 'global' }));
    const size = 3 * limit;
    await s3.send(new PutObjectCommand({ Bucket: 'global', Key: 'big', Body: new Uint8Array(size).fill(1) }));
    const t0 = performance.now();
    const got = await s3.send(new GetObjectCommand({ Bucket: 'global', Key: 'big' }));
    expect((await got.Body!.transformToByteArray()).byteLength).toBe(size);
    expectRateNear(size, performance.now() - t0, limit);
    s3.destroy();
  }, 60_000);
});
