// The app's envelope with a stub store: a lower-layer bug becomes InternalError (logged
// at warn with the request id), the request hook sees every request, mounts answer first.
import { expect, test } from 'bun:test';
import { createS3App } from './app.ts';
import { plainCodec } from './codec.ts';
import { defaultLimits, type RequestDoneEvent } from './context.ts';
import { createCredentialStore } from './credentials.ts';
import { SigningKeyCache, signRequest } from './sigv4/index.ts';
import { systemClock } from '../util/clock.ts';
import { seededRandom } from '../util/random.ts';
import type { ObjectStore } from '../storage/types.ts';

const creds = { accessKey: 'unit-root', secretKey: 'unit-root-secret' };

function appWith(store: Partial<ObjectStore>) {
  const events: RequestDoneEvent[] = [];
  const logs: { level: string; msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => { logs.push({ level, msg, fields }); };
  const app = createS3App({
    store: store as ObjectStore,
    credentials: createCredentialStore(creds),
    clock: systemClock,
    random: seededRandom(1),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    region: 'us-east-1',
    domain: undefined,
    keyCache: new SigningKeyCache(4),
    codec: plainCodec,
    limits: defaultLimits,
    owner: { id: 'owner', displayName: 'owner' },
    onRequestDone: (e) => events.push(e),
  });
  return { app, events, logs };
}

function signed(method: string, path: string): Request {
  const s = signRequest({ method, url: `http://127.0.0.1:9000${path}`, payloadHash: 'UNSIGNED-PAYLOAD' }, creds, systemClock);
  return new Request(s.url, { method, headers: s.headers });
}

test('a non-S3 error from storage is InternalError, logged with the request id, reported to the hook', async () => {
  const { app, events, logs } = appWith({ head: () => Promise.reject(new TypeError('boom in storage')) });
  const res = await app.handle(signed('HEAD', '/bucket/key'));
  expect(res.status).toBe(500);
  expect(await res.text()).toBe('');
  const requestId = res.headers.get('x-amz-request-id');
  expect(requestId).toMatch(/^[0-9A-F]{16}$/);
  const warn = logs.find((l) => l.level === 'warn');
  expect(warn?.fields?.requestId).toBe(requestId);
  expect(String(warn?.fields?.error)).toContain('boom in storage');
  expect(events).toEqual([expect.objectContaining({ requestId, operation: 'HeadObject', status: 500, errorCode: 'InternalError', accessKey: 'unit-root', bucket: 'bucket', key: 'key' })]);
  const get = await app.handle(signed('GET', '/bucket/key?x-id=GetObject'));
  expect(get.status).toBe(500);
  expect(await get.text()).toContain('<Code>InternalError</Code>');
});

test('mounted routes answer reserved paths before authentication; unmounted ones fall through', async () => {
  const { app, events } = appWith({});
  app.mount({ prefix: '/cairn/', handle: (req) => (new URL(req.url).pathname === '/cairn/health/live' ? new Response('live') : undefined) });
  const live = await app.handle(new Request('http://127.0.0.1:9000/cairn/health/live'));
  expect(await live.text()).toBe('live');
  expect(live.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
  const other = await app.handle(signed('GET', '/cairn/other'));
  expect(await other.text()).toContain('<Code>InvalidBucketName</Code>');
  const anonymous = await app.handle(new Request('http://127.0.0.1:9000/minio/health/live'));
  expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  expect(events.map((e) => e.status)).toEqual([400, 403]);
});

test('the hook reports bytes out and the operation of a success', async () => {
  const { app, events } = appWith({ listBuckets: async () => [] });
  const res = await app.handle(signed('GET', '/'));
  expect(res.status).toBe(200);
  const body = await res.text();
  expect(events[0]).toMatchObject({ operation: 'ListBuckets', status: 200, bytesOut: Buffer.byteLength(body), errorCode: undefined });
});
