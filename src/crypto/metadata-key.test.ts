import { describe, expect, test } from 'bun:test';
import { localBackend } from '../kms/testing/kms-backends.ts';
import { KmsError, type Kms } from '../kms/types.ts';
import { fixedClock } from '../util/clock.ts';
import { cryptoRandom } from '../util/random.ts';
import { openEtagV2, sealEtagV2 } from './etag-seal.ts';
import { MetadataKey, metadataKeyDocName, rewrapMetadataKey, type SystemDocs } from './metadata-key.ts';

function memoryDocs(): SystemDocs & { map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  return { map, read: async (n) => map.get(n) ?? null, write: async (n, b) => { map.set(n, b); } };
}

async function kms(): Promise<Kms> {
  const k = (await localBackend.open({ autoCreate: false })).kms;
  await k.createKey('k1');
  return k;
}

/** A KMS that is down until `up` is set. */
function flaky(inner: Kms): Kms & { up: boolean; calls: number } {
  const wrapped = Object.create(inner) as Kms & { up: boolean; calls: number };
  wrapped.up = false;
  wrapped.calls = 0;
  const guard = <A extends unknown[], R>(f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    wrapped.calls++;
    if (!wrapped.up) throw new KmsError('Unavailable');
    return f.apply(inner, a);
  };
  wrapped.generateDataKey = guard(inner.generateDataKey);
  wrapped.decrypt = guard(inner.decrypt);
  return wrapped;
}

describe('MetadataKey', () => {
  test('generated once, stored only as KMS ciphertext, reopened from the document by a new process', async () => {
    const k = await kms();
    const docs = memoryDocs();
    const first = new MetadataKey({ kms: k, defaultKeyId: 'k1', docs, clock: fixedClock(0) });
    const [a, b] = await Promise.all([first.get(), first.get()]);
    expect(a).toBe(b);
    const stored = docs.map.get(metadataKeyDocName)!;
    expect(Buffer.from(stored).includes(Buffer.from(a))).toBe(false);
    expect(Buffer.from(stored).includes(Buffer.from(Buffer.from(a).toString('base64')))).toBe(false);
    const second = new MetadataKey({ kms: k, defaultKeyId: 'k1', docs, clock: fixedClock(0) });
    expect(Buffer.from(await second.get()).equals(Buffer.from(a))).toBe(true);
  });

  test('KMS down: get() fails, tryGet() gives null and waits before asking again; then recovers', async () => {
    const k = flaky(await kms());
    const clock = fixedClock(0);
    const mk = new MetadataKey({ kms: k, defaultKeyId: 'k1', docs: memoryDocs(), clock, retryAfterMs: 1000 });
    await expect(mk.get()).rejects.toThrow();
    const calls = k.calls;
    expect(await mk.tryGet()).toBeNull();
    expect(k.calls).toBe(calls); // within the pause: no KMS call
    k.up = true;
    expect(await mk.tryGet()).toBeNull();
    clock.advanceMs(1000);
    expect((await mk.tryGet())?.length).toBe(32);
    expect(mk.cached()?.length).toBe(32);
  });

  test('tryGet gives up waiting after waitMsMax; the load goes on and a later call gets the key', async () => {
    const inner = await kms();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const slow = Object.create(inner) as Kms;
    slow.generateDataKey = async (...a) => { await gate; return inner.generateDataKey(...a); };
    const mk = new MetadataKey({ kms: slow, defaultKeyId: 'k1', docs: memoryDocs(), clock: fixedClock(0) });
    expect(await mk.tryGet(20)).toBeNull();
    release();
    expect((await mk.tryGet(5000))?.length).toBe(32);
  });

  test('a failed document read never generates a new key', async () => {
    const k = await kms();
    const docs: SystemDocs = { read: async () => { throw new Error('quorum lost'); }, write: async () => { throw new Error('must not write'); } };
    const mk = new MetadataKey({ kms: k, defaultKeyId: 'k1', docs, clock: fixedClock(0) });
    await expect(mk.get()).rejects.toThrow('quorum lost');
  });

  test('rewrap re-seals the document under the newest version; the key stays the same', async () => {
    const k = await kms();
    const docs = memoryDocs();
    const key = await new MetadataKey({ kms: k, defaultKeyId: 'k1', docs, clock: fixedClock(0) }).get();
    const before = docs.map.get(metadataKeyDocName)!;
    await k.rotateKey('k1');
    expect(await rewrapMetadataKey(k, docs, 'other-key')).toBe(false);
    expect(await rewrapMetadataKey(k, docs, null)).toBe(true);
    expect(Buffer.from(docs.map.get(metadataKeyDocName)!).equals(Buffer.from(before))).toBe(false);
    await k.setMinDecryptionVersion!('k1', 2);
    const reopened = await new MetadataKey({ kms: k, defaultKeyId: 'k1', docs, clock: fixedClock(0) }).get();
    expect(Buffer.from(reopened).equals(Buffer.from(key))).toBe(true);
    expect(await rewrapMetadataKey(k, memoryDocs(), null)).toBe(false);
  });
});

describe('ETag sealing v2', () => {
  const key = cryptoRandom.bytes(32);
  const iv = cryptoRandom.bytes(32);
  const bind = { bucket: 'b', key: 'a/b', objectIv: iv };
  const sealed = sealEtagV2(key, 'd41d8cd98f00b204e9800998ecf8427e', bind, cryptoRandom);

  test('opens for the same object under the same key', () => {
    expect(openEtagV2(key, sealed, bind)).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  test('moved to another object, another write at the same key, another key, or flipped: null', () => {
    expect(openEtagV2(key, sealed, { ...bind, key: 'a//b' })).toBeNull();
    expect(openEtagV2(key, sealed, { ...bind, bucket: 'c' })).toBeNull();
    expect(openEtagV2(key, sealed, { ...bind, objectIv: cryptoRandom.bytes(32) })).toBeNull();
    expect(openEtagV2(cryptoRandom.bytes(32), sealed, bind)).toBeNull();
    const raw = Buffer.from(sealed, 'base64');
    for (let i = 0; i < raw.length; i++) {
      const bad = Buffer.from(raw);
      bad[i]! ^= 1;
      expect(openEtagV2(key, bad.toString('base64'), bind)).toBeNull();
    }
    expect(openEtagV2(key, raw.subarray(0, raw.length - 1).toString('base64'), bind)).toBeNull();
  });
});
