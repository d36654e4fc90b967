import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { handleAdmin } from './router.ts';
import { HealRunner } from './healRunner.ts';
import { adminPrefix, type AdminDeps } from './types.ts';
import { signRequest } from '../s3/sigv4/index.ts';
import type { CredentialStore } from '../s3/credentials.ts';
import { localBackend } from '../kms/testing/kms-backends.ts';
import { StorageError, type BucketMeta, type BucketName, type StorageInfo } from '../storage/types.ts';
import { ConfigCache } from '../observe/configCache.ts';
import { RateLimiter } from '../observe/rateLimit.ts';
import { TransferRegistry } from '../observe/transfers.ts';
import type { AuditInput } from '../observe/auditEvent.ts';
import { createCairnMetrics } from '../observe/cairnMetrics.ts';
import { fixedClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';

const root = { accessKey: 'rootuser', secretKey: 'rootpassword123' };
const user = { accessKey: 'plainuser', secretKey: 'userpassword123' };
const credentials: CredentialStore = {
  lookup: (ak) => (ak === root.accessKey ? { secretKey: root.secretKey, isRoot: true } : ak === user.accessKey ? { secretKey: user.secretKey, isRoot: false } : undefined),
};
const info: StorageInfo = { deploymentId: 'dep', dataShards: 2, parityShards: 2, blockSizeBytes: 1 << 20, writeQuorum: 3, readQuorum: 2, drives: [] };

async function setup(over: { burst?: number; kms?: boolean } = {}) {
  const clock = fixedClock(Date.now());
  const metas = new Map<string, BucketMeta>([['photos', { createdMs: 0, settings: {} }]]);
  const store = {
    info: async () => info,
    heal: async () => ({ healedShards: 2 }),
    healAll: async () => {},
    walk: async function* () {},
    healCounters: () => ({ queued: 1, healedObjects: 0, healedShards: 0, scannedObjects: 0, bitrotDetected: 0, failures: 0 }),
    readSystem: async (name: string) => (name === 'kms/rewrap-checkpoint' ? new TextEncoder().encode(JSON.stringify({ state: 'running', scanned: 5, rewrapped: 3, skipped: 2, failed: 0 })) : null),
    getBucketMeta: async (b: BucketName) => {
      const m = metas.get(b);
      if (m === undefined) throw new StorageError('NoSuchBucket');
      return { createdMs: 0, settings: { ...m.settings } };
    },
    putBucketSetting: async (b: BucketName, n: string, v: string | null) => {
      const m = metas.get(b);
      if (m === undefined) throw new StorageError('NoSuchBucket');
      if (v === null) delete m.settings[n];
      else m.settings[n] = v;
    },
    listBuckets: async () => [],
  };
  const audit: AuditInput[] = [];
  const kms = over.kms === false ? undefined : (await localBackend.open({ autoCreate: false })).kms;
  const metrics = createCairnMetrics('test');
  let n = 0;
  const deps: AdminDeps = {
    version: '0.1.0-test',
    startedMs: clock.nowMs(),
    store,
    kms,
    kmsDefaultKeyId: 'cairn-default',
    kmsAutoCreate: false,
    settings: new ConfigCache(store, { ttlMs: 60_000, entriesMax: 100, clock }),
    credentials,
    region: 'us-east-1',
    clock,
    audit: { record: (e) => audit.push(e) },
    rateLimiter: new RateLimiter(over.burst ?? 100, 60, clock),
    metrics,
    transfers: new TransferRegistry(clock),
    heal: new HealRunner(store, clock, silentLogger),
    rewrapCheckpointName: 'kms/rewrap-checkpoint',
    newRequestId: () => `req-${++n}`,
    logger: silentLogger,
  };
  const call = async (method: string, path: string, body?: unknown, creds = root): Promise<Response> => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const signed = signRequest({ method, url: `http://127.0.0.1:9000${adminPrefix}${path}`, ...(text === undefined ? {} : { body: text }) }, creds, clock);
    const res = await handleAdmin(new Request(signed.url, { method, headers: signed.headers, ...(text === undefined ? {} : { body: text }) }), deps);
    if (res === undefined) throw new Error('not an admin path');
    return res;
  };
  return { deps, call, audit, metas, metrics };
}

describe('admin API', () => {
  test('fails closed: unsigned, wrong secret and non-root calls are refused and audited', async () => {
    const { deps, call, audit } = await setup();
    const anon = await handleAdmin(new Request(`http://127.0.0.1${adminPrefix}/info`), deps);
    expect(anon?.status).toBe(403);
    expect((await call('GET', '/info', undefined, { accessKey: root.accessKey, secretKey: 'wrong-secret' })).status).toBe(403);
    const nonRoot = await call('PUT', '/bucket/photos/encryption', { algorithm: 'AES256' }, user);
    expect(nonRoot.status).toBe(403);
    expect(((await nonRoot.json()) as { code: string }).code).toBe('AccessDenied');
    expect(audit.map((a) => [a.status, a.accessKey, a.errorCode])).toEqual([[403, undefined, 'AccessDenied'], [403, 'rootuser', 'SignatureDoesNotMatch'], [403, 'plainuser', 'AccessDenied']]);
    expect(await handleAdmin(new Request('http://127.0.0.1/bucket/key'), deps)).toBeUndefined();
  });

  test('root credentials under SigV2 (which signs no body) are refused, header or query', async () => {
    const { deps, metas } = await setup();
    const path = `${adminPrefix}/bucket/photos/encryption`;
    const date = new Date(deps.clock.nowMs()).toUTCString();
    const v2 = (stringToSign: string): string => createHmac('sha1', root.secretKey).update(stringToSign).digest('base64');
    const header = await handleAdmin(new Request(`http://127.0.0.1${path}`, {
      method: 'PUT', body: '{"algorithm":"AES256"}', headers: { date, 'content-type': 'application/json', authorization: `AWS ${root.accessKey}:${v2(`PUT\n\napplication/json\n${date}\n${path}`)}` },
    }), deps);
    expect(header?.status).toBe(403);
    const expires = String(Math.floor(deps.clock.nowMs() / 1000) + 300);
    const query = await handleAdmin(new Request(`http://127.0.0.1${path}?AWSAccessKeyId=${root.accessKey}&Expires=${expires}&Signature=${encodeURIComponent(v2(`GET\n\n\n${expires}\n${path}`))}`), deps);
    expect(query?.status).toBe(403);
    expect(metas.get('photos')?.settings).toEqual({});
  });

  test('info reports version, erasure layout and KMS status', async () => {
    const { call } = await setup();
    const res = await call('GET', '/info');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: string; erasure: { dataShards: number }; kms: { backend: string; online: boolean } };
    expect(body.version).toBe('0.1.0-test');
    expect(body.erasure.dataShards).toBe(2);
    expect(body.kms).toMatchObject({ backend: 'local', online: true });
  });

  test('KMS keys: create, list, status, rotate; duplicates and bad names refused', async () => {
    const { call, audit } = await setup();
    expect((await call('POST', '/kms/keys/app-key')).status).toBe(201);
    expect((await call('POST', '/kms/keys/app-key')).status).toBe(409);
    expect(((await (await call('GET', '/kms/keys')).json()) as { keys: string[] }).keys).toContain('app-key');
    expect(((await (await call('GET', '/kms/keys/app-key')).json()) as { latestVersion: number }).latestVersion).toBe(1);
    expect(((await (await call('POST', '/kms/keys/app-key/rotate')).json()) as { latestVersion: number }).latestVersion).toBe(2);
    expect((await call('GET', '/kms/keys/missing')).status).toBe(404);
    expect((await call('POST', '/kms/keys/bad%20name')).status).toBe(400);
    expect(audit.find((a) => a.operation === 'admin.kms.key.rotate')).toMatchObject({ kind: 'config', kmsKeyId: 'app-key', status: 200 });
  });

  test('bucket owner: handed to a configured user or back to root; unknown keys refused', async () => {
    const { call, metas, audit } = await setup();
    const owner = async (): Promise<unknown> => ((await (await call('GET', '/bucket/photos/owner')).json()) as { owner: unknown }).owner;
    expect(await owner()).toBeNull();
    expect((await call('PUT', '/bucket/photos/owner', { owner: user.accessKey })).status).toBe(200);
    expect(metas.get('photos')?.settings).toEqual({ owner: user.accessKey });
    expect(await owner()).toBe(user.accessKey);
    expect((await call('PUT', '/bucket/photos/owner', { owner: 'nobody' })).status).toBe(400);
    expect((await call('PUT', '/bucket/photos/owner', { owner: 42 })).status).toBe(400);
    expect(await owner()).toBe(user.accessKey);
    // Root's own key, like null, gives the bucket back to root.
    expect((await call('PUT', '/bucket/photos/owner', { owner: root.accessKey })).status).toBe(200);
    expect(metas.get('photos')?.settings).toEqual({});
    expect((await call('GET', '/bucket/missing/owner')).status).toBe(404);
    expect(audit.find((a) => a.operation === 'admin.bucket.owner.put')).toMatchObject({ kind: 'config', status: 200 });
  });

  test('bucket encryption put/get/delete through the bucket setting', async () => {
    const { call, metas } = await setup();
    expect((await call('GET', '/bucket/photos/encryption')).status).toBe(404);
    await call('POST', '/kms/keys/k1');
    const put = await call('PUT', '/bucket/photos/encryption', { algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:1:key/k1' });
    expect(put.status).toBe(200);
    expect(metas.get('photos')?.settings['encryption']).toBe('{"algorithm":"aws:kms","kmsKeyId":"k1"}');
    expect(await (await call('GET', '/bucket/photos/encryption')).json()).toEqual({ algorithm: 'aws:kms', kmsKeyId: 'k1' });
    expect((await call('PUT', '/bucket/photos/encryption', { algorithm: 'aws:kms', kmsKeyId: 'nope' })).status).toBe(400);
    expect((await call('PUT', '/bucket/photos/encryption', { algorithm: 'DES' })).status).toBe(400);
    expect((await call('PUT', '/bucket/nosuch/encryption', { algorithm: 'AES256' })).status).toBe(404);
    expect((await call('PUT', '/bucket/Bad_Name/encryption', { algorithm: 'AES256' })).status).toBe(400);
    expect((await call('DELETE', '/bucket/photos/encryption')).status).toBe(204);
    expect(metas.get('photos')?.settings['encryption']).toBeUndefined();
  });

  test('SSE needs a KMS: 501 without one', async () => {
    const { call } = await setup({ kms: false });
    expect((await call('PUT', '/bucket/photos/encryption', { algorithm: 'AES256' })).status).toBe(501);
    expect((await call('GET', '/kms/keys')).status).toBe(501);
  });

  test('a burst of config calls gets 429 SlowDown with Retry-After; reads are not limited', async () => {
    const { call, metrics } = await setup({ burst: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call('PUT', '/bucket/photos/bandwidth', { bytesPerSec: 4096 + i })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const limited = await call('PUT', '/bucket/photos/bandwidth', { bytesPerSec: 9999 });
    expect(((await limited.json()) as { code: string }).code).toBe('SlowDown');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await call('GET', '/bucket/photos/bandwidth')).status).toBe(200);
    expect(metrics.rateLimited.get({ scope: 'admin' })).toBe(4);
  });

  test('bandwidth, heal, rewrap and transfers', async () => {
    const { call, deps } = await setup();
    expect((await call('PUT', '/bucket/photos/bandwidth', { bytesPerSec: 10 })).status).toBe(400);
    expect(await (await call('PUT', '/bucket/photos/bandwidth', { bytesPerSec: 1_048_576 })).json()).toEqual({ bytesPerSec: 1_048_576 });
    expect(await (await call('GET', '/bucket/photos/bandwidth')).json()).toEqual({ bytesPerSec: 1_048_576 });
    expect((await call('POST', '/heal')).status).toBe(202);
    await deps.heal.idle();
    expect(((await (await call('GET', '/heal')).json()) as { running: boolean; counters: { queued: number } }).counters.queued).toBe(1);
    expect(await (await call('POST', '/heal', { bucket: 'photos', key: 'a/b' })).json()).toEqual({ healedShards: 2 });
    expect(((await (await call('GET', '/rewrap')).json()) as { progress: { rewrapped: number } }).progress.rewrapped).toBe(3);
    deps.transfers.start({ requestId: 'x', operation: 'PutObject', direction: 'upload', bucket: 'photos', key: 'big', totalBytes: 100 }).add(40);
    const t = (await (await call('GET', '/transfers')).json()) as { transfers: { bytesDone: number; totalBytes: number }[] };
    expect(t.transfers[0]).toMatchObject({ bytesDone: 40, totalBytes: 100 });
  });

  test('unknown routes, wrong methods and a body that does not match its signed hash', async () => {
    const { call, deps } = await setup();
    expect((await call('GET', '/nothing')).status).toBe(404);
    expect((await call('PATCH', '/info')).status).toBe(405);
    const signed = signRequest({ method: 'PUT', url: `http://127.0.0.1${adminPrefix}/bucket/photos/bandwidth`, body: '{"bytesPerSec":4096}' }, root, deps.clock);
    const res = await handleAdmin(new Request(signed.url, { method: 'PUT', headers: signed.headers, body: '{"bytesPerSec":8192}' }), deps);
    expect(res?.status).toBe(400);
  });
});
