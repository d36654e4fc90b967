import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { cryptoRandom } from '../util/random.ts';
import { SseError } from './errors.ts';
import { SseHeaders as H } from './sse-headers.ts';
import { SseFields } from './sse-internal.ts';
import { describe as describeSse, openEtag, openObject, partKey, rewrapInternal, sealEtag, sealNewObject, storedMode, type SseDeps } from './sse.ts';
import type { SseCKey, SseMode } from './sse-types.ts';
import { fakeKms } from './testdata/fake-kms.ts';

const ref = { bucket: 'photos', key: 'a/b.jpg' };
const customer = (fill: number): SseCKey => {
  const key = new Uint8Array(32).fill(fill);
  return { key, keyMd5: createHash('md5').update(key).digest('base64') };
};
const deps = (kms = fakeKms(['default', 'k1'])): SseDeps => ({ kms, defaultKeyId: 'default', random: cryptoRandom });

async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    if (e instanceof SseError) return `${e.httpStatus} ${e.code}`;
    throw e;
  }
  return 'ok';
}

const modes: SseMode[] = [
  { kind: 'sse-s3' },
  { kind: 'sse-kms', keyId: 'k1', context: { team: 'x' }, bucketKeyEnabled: true },
  { kind: 'sse-kms', keyId: '', context: {} },
  { kind: 'sse-c', ...customer(7) },
];

describe('sealNewObject / openObject', () => {
  for (const mode of modes) {
    test(`${mode.kind}: the object key opens again and nothing secret is stored`, async () => {
      const d = deps();
      const sealed = await sealNewObject(mode, ref, d);
      expect(sealed.objectKey?.length).toBe(32);
      const keyHex = Buffer.from(sealed.objectKey!).toString('hex');
      const keyB64 = Buffer.from(sealed.objectKey!).toString('base64');
      const stored = JSON.stringify(sealed.internal);
      expect(stored).not.toContain(keyHex);
      expect(stored).not.toContain(keyB64);
      if (mode.kind === 'sse-c') expect(stored).not.toContain(Buffer.from(mode.key).toString('base64'));
      expect(storedMode(sealed.internal)).toBe(mode.kind);
      const sseC = mode.kind === 'sse-c' ? customer(7) : null;
      const opened = await openObject(sealed.internal, ref, sseC, d);
      expect(Buffer.from(opened!).toString('hex')).toBe(keyHex);
    });
  }

  test('none: no key, no fields', async () => {
    const sealed = await sealNewObject({ kind: 'none' }, ref, deps());
    expect(sealed).toEqual({ objectKey: null, internal: {} });
    expect(await openObject({}, ref, null, deps())).toBeNull();
  });

  test('each object gets a fresh key', async () => {
    const d = deps();
    const a = await sealNewObject({ kind: 'sse-s3' }, ref, d);
    const b = await sealNewObject({ kind: 'sse-s3' }, ref, d);
    expect(Buffer.compare(a.objectKey!, b.objectKey!)).not.toBe(0);
  });

  test('SSE-C: wrong key 403, missing key 400 InvalidRequest, key on a plain object 400', async () => {
    const d = deps();
    const { internal } = await sealNewObject({ kind: 'sse-c', ...customer(7) }, ref, d);
    expect(await failure(() => openObject(internal, ref, customer(8), d))).toBe('403 AccessDenied');
    expect(await failure(() => openObject(internal, ref, null, d))).toBe('400 InvalidRequest');
    expect(await failure(() => openObject({}, ref, customer(7), d))).toBe('400 InvalidRequest');
    const s3 = await sealNewObject({ kind: 'sse-s3' }, ref, d);
    expect(await failure(() => openObject(s3.internal, ref, customer(7), d))).toBe('400 InvalidRequest');
  });

  test('keys are bound to the object path: metadata moved to another key does not open', async () => {
    const d = deps();
    for (const mode of modes) {
      const { internal } = await sealNewObject(mode, ref, d);
      const sseC = mode.kind === 'sse-c' ? customer(7) : null;
      const moved = { bucket: 'photos', key: 'a//b.jpg' };
      const code = await failure(() => openObject(internal, moved, sseC, d));
      expect(code).toBe(mode.kind === 'sse-c' ? '403 AccessDenied' : '500 InternalError');
    }
  });

  test('KMS failures map to S3 errors', async () => {
    const kms = fakeKms(['default']);
    const d = deps(kms);
    expect(await failure(() => sealNewObject({ kind: 'sse-kms', keyId: 'nope', context: {} }, ref, d))).toBe('400 KMS.NotFoundException');
    expect(await failure(() => sealNewObject({ kind: 'sse-s3' }, ref, { ...d, kms: null }))).toBe('501 NotImplemented');
    expect(await failure(() => sealNewObject({ kind: 'sse-kms', keyId: 'k', context: {} }, ref, { ...d, kms: null }))).toBe('501 NotImplemented');
    expect(await failure(() => sealNewObject({ kind: 'sse-kms', keyId: '', context: { [ref.bucket]: 'other/x' } }, ref, d))).toBe('400 InvalidArgument');
    const { internal } = await sealNewObject({ kind: 'sse-s3' }, ref, d);
    kms.down = true;
    expect(await failure(() => sealNewObject({ kind: 'sse-s3' }, ref, d))).toBe('503 ServiceUnavailable');
    expect(await failure(() => openObject(internal, ref, null, d))).toBe('503 ServiceUnavailable');
    expect(await failure(() => openObject(internal, ref, null, { ...d, kms: null }))).toBe('501 NotImplemented');
  });

  test('the KMS sees the object context and the key name behind an ARN', async () => {
    const kms = fakeKms(['k1']);
    const d = deps(kms);
    const { internal } = await sealNewObject({ kind: 'sse-kms', keyId: 'arn:aws:kms:eu-west-1:123:key/k1', context: { team: 'x' } }, ref, d);
    expect(kms.calls).toEqual(['generate k1']);
    expect(JSON.parse(Buffer.from(internal[SseFields.kmsContext]!, 'base64').toString())).toEqual({ photos: 'photos/a/b.jpg', team: 'x' });
    await openObject(internal, ref, null, d);
    expect(kms.calls).toEqual(['generate k1', 'decrypt k1']);
  });
});

describe('describe', () => {
  test('echoes the mode, the key id as sent, bucket key and SSE-C MD5', async () => {
    const d = deps();
    const s3 = await sealNewObject({ kind: 'sse-s3' }, ref, d);
    expect(describeSse(s3.internal)).toEqual({ [H.sse]: 'AES256' });
    const arn = 'arn:aws:kms:eu-west-1:123:key/k1';
    const kmsObj = await sealNewObject({ kind: 'sse-kms', keyId: arn, context: { team: 'x' }, bucketKeyEnabled: true }, ref, d);
    expect(describeSse(kmsObj.internal)).toEqual({ [H.sse]: 'aws:kms', [H.kmsKeyId]: arn, [H.bucketKeyEnabled]: 'true' });
    const withCtx = describeSse(kmsObj.internal, { includeContext: true });
    expect(JSON.parse(Buffer.from(withCtx[H.context]!, 'base64').toString())).toEqual({ team: 'x' });
    const dflt = await sealNewObject({ kind: 'sse-kms', keyId: '', context: {} }, ref, d);
    expect(describeSse(dflt.internal)[H.kmsKeyId]).toBe('default');
    const c = customer(7);
    const sc = await sealNewObject({ kind: 'sse-c', ...c }, ref, d);
    expect(describeSse(sc.internal, { sseC: c })).toEqual({ [H.customerAlgorithm]: 'AES256', [H.customerKeyMd5]: c.keyMd5 });
    expect(describeSse({})).toEqual({});
  });
});

describe('part keys, sealed ETags and rewrap', () => {
  test('part keys differ per part and from the object key', async () => {
    const { objectKey } = await sealNewObject({ kind: 'sse-s3' }, ref, deps());
    const hexes = new Set([objectKey!, partKey(objectKey!, 1), partKey(objectKey!, 2), partKey(objectKey!, 10000)].map((k) => Buffer.from(k).toString('hex')));
    expect(hexes.size).toBe(4);
  });

  test('the ETag is sealed, not stored in clear, and opens only with its object key', async () => {
    const d = deps();
    const a = await sealNewObject({ kind: 'sse-s3' }, ref, d);
    const b = await sealNewObject({ kind: 'sse-s3' }, ref, d);
    const etag = '9bb58f26192e4ba00f01e2e7b136bbd8';
    const internal = { ...a.internal, [SseFields.sealedEtag]: await sealEtag(a.objectKey!, etag, d.random) };
    expect(JSON.stringify(internal)).not.toContain(etag);
    expect(await openEtag(a.objectKey!, internal)).toBe(etag);
    expect(await failure(() => openEtag(b.objectKey!, internal))).toBe('500 InternalError');
    expect(await openEtag(a.objectKey!, a.internal)).toBeNull();
  });

  test('rewrap re-seals the data key under the newest version; the object still opens', async () => {
    const kms = fakeKms(['default', 'k1']);
    const d = deps(kms);
    for (const mode of modes) {
      const sealed = await sealNewObject(mode, ref, d);
      await kms.rotateKey('k1');
      await kms.rotateKey('default');
      const rewrapped = await rewrapInternal(sealed.internal, ref, kms);
      if (mode.kind === 'sse-c') {
        expect(rewrapped).toBeNull();
        continue;
      }
      expect(rewrapped![SseFields.kmsDataKey]).not.toBe(sealed.internal[SseFields.kmsDataKey]);
      expect(rewrapped![SseFields.sealedKey]).toBe(sealed.internal[SseFields.sealedKey]!);
      const opened = await openObject(rewrapped!, ref, null, d);
      expect(Buffer.compare(opened!, sealed.objectKey!)).toBe(0);
    }
    expect(await rewrapInternal({}, ref, kms)).toBeNull();
  });
});
