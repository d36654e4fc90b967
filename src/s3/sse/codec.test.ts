// The encrypting codec over a real store: round trips, and stored ciphertext that is
// not authentic makes the plaintext stream error; it never yields wrong bytes.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CryptoError } from '../../crypto/index.ts';
import { openObjectStore } from '../../storage/index.ts';
import type { BucketName, ObjectInfo, ObjectKey, ObjectStore } from '../../storage/types.ts';
import { cryptoRandom } from '../../util/random.ts';
import { S3Error } from '../errors.ts';
import { createSseCodec } from './codec.ts';

const bucket = 'bkt' as BucketName;
let dir: string;
let store: ObjectStore;

const key = new Uint8Array(32).fill(7);
const sseCHeaders = (): Headers => new Headers({
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': Buffer.from(key).toString('base64'),
  'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(key).digest('base64'),
});

const body = new Uint8Array(300_000).map((_, i) => (i * 131 + (i >> 9)) & 0xff);

function codec(secure: boolean) {
  return createSseCodec({ kms: undefined, defaultKeyId: undefined, random: cryptoRandom, store, secure, sseCAllowInsecure: false, partBytesMin: 5 * 1024 * 1024 });
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
}

/** Collects a stream; returns what arrived before an error, and the error. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<{ bytes: Buffer; error: unknown }> {
  const pieces: Uint8Array[] = [];
  try {
    for await (const piece of stream) pieces.push(piece);
    return { bytes: Buffer.concat(pieces), error: undefined };
  } catch (e) {
    return { bytes: Buffer.concat(pieces), error: e };
  }
}

/** A store whose reads flip one stored byte at `flipAt` (offset in the stored object). */
function tampering(flipAt: number): ObjectStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop !== 'get') return (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target);
      return async (b: BucketName, k: ObjectKey, range?: { offset: number; length: number }) => {
        const got = await target.get(b, k, range);
        let seen = range?.offset ?? 0;
        const flip = new TransformStream<Uint8Array, Uint8Array>({
          transform(piece, c) {
            const copy = piece.slice();
            if (flipAt >= seen && flipAt < seen + copy.length) copy[flipAt - seen]! ^= 1;
            seen += copy.length;
            c.enqueue(copy);
          },
        });
        return { info: got.info, stream: got.stream.pipeThrough(flip) };
      };
    },
  });
}

let info: ObjectInfo;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-sse-codec-'));
  store = await openObjectStore({ drives: [join(dir, 'd1'), join(dir, 'd2')], fsync: false, healScanIntervalMs: 0 });
  await store.makeBucket(bucket);
  const plan = await codec(true).planWrite({ bucket, key: 'obj' as ObjectKey, headers: sseCHeaders() });
  try {
    // encode takes the body's chunks over (it encrypts in place): hand it a copy.
    info = await store.put(bucket, 'obj' as ObjectKey, plan.encode(streamOf(body.slice())), {
      userMeta: {}, internal: plan.internal, md5: false,
      beforeCommit: async () => {
        const end = await plan.finish({ md5Hex: createHash('md5').update(body).digest('hex'), sizeBytes: body.length });
        return { etag: end.etag, internal: { ...plan.internal, ...end.internal } };
      },
    });
  } finally {
    plan.dispose();
  }
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test('round trip: whole, ranged and from an already fetched stream', async () => {
  const plan = await codec(true).planRead(info, sseCHeaders(), 'object', store);
  expect(plan.size).toBe(body.length);
  expect((await drain(await plan.open(undefined))).bytes.equals(Buffer.from(body))).toBe(true);
  const plan2 = await codec(true).planRead(info, sseCHeaders(), 'object', store);
  expect((await drain(await plan2.open({ offset: 65_000, length: 70_000 }))).bytes.equals(Buffer.from(body.subarray(65_000, 135_000)))).toBe(true);
  const plan3 = await codec(true).planRead(info, sseCHeaders(), 'object', store);
  expect((await drain(await plan3.decodeWhole((await store.get(bucket, 'obj' as ObjectKey)).stream))).bytes.equals(Buffer.from(body))).toBe(true);
});

test('a flipped stored byte errors the stream; only authentic bytes before it are delivered', async () => {
  const flipAt = 2 * (65_536 + 32) + 100; // inside the third package
  const tampered = tampering(flipAt);
  const plan = await codec(true).planRead(info, sseCHeaders(), 'object', tampered);
  const whole = await drain(await plan.open(undefined));
  expect(whole.error).toBeInstanceOf(CryptoError);
  expect(whole.bytes.length).toBeLessThan(body.length);
  expect(whole.bytes.equals(Buffer.from(body.subarray(0, whole.bytes.length)))).toBe(true);

  const ranged = await drain(await (await codec(true).planRead(info, sseCHeaders(), 'object', tampered)).open({ offset: 140_000, length: 10 }));
  expect(ranged.error).toBeInstanceOf(CryptoError);
  expect(ranged.bytes.length).toBe(0);
  // A range in untouched packages still reads.
  const before = await drain(await (await codec(true).planRead(info, sseCHeaders(), 'object', tampered)).open({ offset: 10, length: 100_000 }));
  expect(before.error).toBeUndefined();
  expect(before.bytes.equals(Buffer.from(body.subarray(10, 100_010)))).toBe(true);
});

test('customer keys need a secure transport unless allowed', async () => {
  const refused = await codec(false).planRead(info, sseCHeaders(), 'object', store).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(S3Error);
  expect((refused as S3Error).code).toBe('InvalidRequest');
  const write = await codec(false).planWrite({ bucket, key: 'other' as ObjectKey, headers: sseCHeaders() }).catch((e: unknown) => e);
  expect((write as S3Error).code).toBe('InvalidRequest');
});

test('customer-key and KMS writes take their ETag from any plaintext digest (SHA-256 preferred), never showing the MD5; plain writes need the MD5', async () => {
  const sha = createHash('sha256').update(body).digest('hex');
  const md5 = createHash('md5').update(body).digest('hex');
  const plan = await codec(true).planWrite({ bucket, key: 'etag' as ObjectKey, headers: sseCHeaders() });
  try {
    expect(plan.etagDigest).toBe('sha256');
    const fromSha = (await plan.finish({ sha256Hex: sha, sizeBytes: body.length })).etag;
    const fromMd5 = (await plan.finish({ md5Hex: md5, sizeBytes: body.length })).etag;
    // Keyed, stable for the same bytes, MD5-length, and neither digest in clear.
    expect(fromSha).toMatch(/^[0-9a-f]{32}$/);
    expect((await plan.finish({ sha256Hex: sha, sizeBytes: body.length })).etag).toBe(fromSha);
    expect(fromSha).not.toBe(fromMd5);
    expect([fromSha, fromMd5]).not.toContain(md5);
    expect((await plan.finish({ sha256Hex: createHash('sha256').update('other').digest('hex'), sizeBytes: 5 })).etag).not.toBe(fromSha);
  } finally {
    plan.dispose();
  }
  const plain = await codec(true).planWrite({ bucket, key: 'etag' as ObjectKey, headers: new Headers() });
  expect(plain.etagDigest).toBeUndefined();
  expect((await plain.finish({ md5Hex: md5, sizeBytes: body.length })).etag).toBe(md5);
  expect(() => plain.finish({ sha256Hex: sha, sizeBytes: body.length })).toThrow();
});
