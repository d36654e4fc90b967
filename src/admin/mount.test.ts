import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpsLayer, type OpsLayer } from './mount.ts';
import { createObservability } from '../observe/observability.ts';
import { targetOf } from './traffic.ts';
import { loadConfig } from '../config/config.ts';
import { openObjectStore } from '../storage/index.ts';
import type { BucketName, ObjectStore } from '../storage/types.ts';
import type { CredentialStore } from '../s3/credentials.ts';
import { systemClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const password = 'mount-test-root-password';
const credentials: CredentialStore = { lookup: (ak) => (ak === 'root' ? { secretKey: password, isRoot: true } : undefined) };

async function setup(env: Record<string, string> = {}): Promise<{ ops: OpsLayer; store: ObjectStore; auditDir: string }> {
  const root = mkdtempSync(join(tmpdir(), 'cairn-mount-'));
  const auditDir = join(root, 'audit');
  const config = loadConfig({ CAIRN_DRIVES: `${root}/d{1...4}`, CAIRN_ROOT_USER: 'root', CAIRN_ROOT_PASSWORD: password, CAIRN_KMS_BACKEND: 'none', CAIRN_AUDIT_DIR: auditDir, ...env });
  const store = await openObjectStore({ drives: config.drives, fsync: false, healScanIntervalMs: 0, driveProbeIntervalMs: 0 });
  await store.makeBucket('photos' as BucketName);
  const observability = await createObservability({ config, version: '0.1.0', clock: systemClock, logger: silentLogger });
  const ops = await createOpsLayer({ config, version: '0.1.0', store, kms: undefined, credentials, clock: systemClock, logger: silentLogger, isShuttingDown: () => false, observability });
  cleanups.push(async () => {
    await ops.close();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { ops, store, auditDir };
}

describe('ops layer', () => {
  test('serves health, metrics and admin routes, and passes other requests to the app', async () => {
    const { ops } = await setup();
    const app = ops.wrap(() => new Response('from app'));
    expect((await app(new Request('http://127.0.0.1/cairn/health/ready'))).status).toBe(200);
    const metrics = await app(new Request('http://127.0.0.1/cairn/metrics'));
    expect(await metrics.text()).toContain('cairn_drives_online 4\n');
    expect((await app(new Request('http://127.0.0.1/cairn/admin/v1/info'))).status).toBe(403);
    expect(await (await app(new Request('http://127.0.0.1/photos/a'))).text()).toBe('from app');
  });

  test('metrics behind a bearer token', async () => {
    const { ops } = await setup({ CAIRN_METRICS_AUTH: 'bearer', CAIRN_METRICS_TOKEN: 'a-long-metrics-token' });
    expect((await ops.wrap(() => new Response())(new Request('http://127.0.0.1/cairn/metrics'))).status).toBe(401);
    const ok = await ops.handle(new Request('http://127.0.0.1/cairn/metrics', { headers: { authorization: 'Bearer a-long-metrics-token' } }));
    expect(ok?.status).toBe(200);
  });

  test('tracks large transfers, keeps in-flight honest, and records the request hook', async () => {
    const { ops, auditDir } = await setup();
    let seenBytes = 0;
    const big = new Uint8Array(9 * 1024 * 1024); // over trackedBytesMin
    const app = ops.wrap(async (req) => {
      for await (const chunk of req.body!) {
        if (seenBytes === 0) expect(ops.transfers.list()[0]).toMatchObject({ direction: 'upload', bucket: 'photos', key: 'big/file', totalBytes: big.byteLength, operation: 'PutObject' });
        seenBytes += chunk.byteLength;
      }
      return new Response(big, { headers: { 'content-length': String(big.byteLength) } });
    });
    const res = await app(new Request('http://127.0.0.1/photos/big/file', { method: 'PUT', body: big, headers: { 'content-length': String(big.byteLength) } }));
    expect(ops.metrics.inFlight.get({})).toBe(1); // the response body is still to be read
    expect(ops.transfers.list().map((t) => t.direction)).toEqual(['download']);
    expect((await res.arrayBuffer()).byteLength).toBe(big.byteLength);
    expect(seenBytes).toBe(big.byteLength);
    expect(ops.metrics.inFlight.get({})).toBe(0);
    expect(ops.transfers.size()).toBe(0);
    ops.onRequestDone({ requestId: 'R1', operation: 'PutObject', status: 200, bytesIn: 10, bytesOut: 0, durationMs: 5, accessKey: 'root', bucket: 'photos', key: 'k', sseMode: 'sse-s3' });
    expect(ops.metrics.encryptionOps.get({ mode: 'sse-s3', direction: 'encrypt' })).toBe(1);
    await ops.close();
    const line = JSON.parse(readFileSync(join(auditDir, 'audit.log'), 'utf8').trim()) as { requestId: string; sseMode: string; kind: string };
    expect(line).toMatchObject({ requestId: 'R1', sseMode: 'sse-s3', kind: 's3' });
  });

  test('bodies under trackedBytesMin without a bandwidth limit are not listed', async () => {
    const { ops } = await setup();
    const small = new Uint8Array(2 * 1024 * 1024);
    let listedDuringRead = -1;
    const app = ops.wrap(async (req) => {
      for await (const chunk of req.body!) if (listedDuringRead < 0 && chunk.byteLength > 0) listedDuringRead = ops.transfers.size();
      return new Response(small, { headers: { 'content-length': String(small.byteLength) } });
    });
    const res = await app(new Request('http://127.0.0.1/photos/small', { method: 'PUT', body: small, headers: { 'content-length': String(small.byteLength) } }));
    expect(listedDuringRead).toBe(0);
    expect(ops.transfers.size()).toBe(0);
    expect((await res.arrayBuffer()).byteLength).toBe(small.byteLength);
    await ops.close();
  });

  test('targetOf reads path-style and virtual-host style', () => {
    expect(targetOf('/bk1/a/b%20c', 'h:9000', undefined)).toEqual({ bucket: 'bk1' as BucketName, key: 'a/b c' });
    expect(targetOf('/x/y', 'bk2.s3.local:9000', 's3.local')).toEqual({ bucket: 'bk2' as BucketName, key: 'x/y' });
    expect(targetOf('/', 'h', undefined)).toEqual({ bucket: undefined, key: undefined });
    expect(targetOf('/bk1/../bk2/k', 'h', undefined)).toEqual({ bucket: 'bk1' as BucketName, key: '../bk2/k' });
  });
});
