import { describe, expect, test } from 'bun:test';
import { openObject, sealNewObject } from '../crypto/sse.ts';
import { SseFields } from '../crypto/sse-internal.ts';
import { localBackend } from '../kms/testing/kms-backends.ts';
import type { Kms } from '../kms/types.ts';
import type { BucketName, ObjectInfo, ObjectKey } from '../storage/types.ts';
import { fixedClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';
import { cryptoRandom } from '../util/random.ts';
import { RewrapRunner, rewrapObjectWith, type RewrapStore } from './rewrap.ts';

function info(bucket: string, key: string, internal: Record<string, string> = {}): ObjectInfo {
  return { bucket: bucket as BucketName, key: key as ObjectKey, size: 1, etag: 'e', modTimeMs: 0, userMeta: {}, internal };
}

/** A store whose walk waits for `release()` after the first object, so a run stays active. */
function gatedStore(objects: ObjectInfo[], checkpoint: Uint8Array | null = null) {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const docs = new Map<string, Uint8Array>(checkpoint === null ? [] : [['kms/rewrap-checkpoint', checkpoint]]);
  const store: RewrapStore = {
    async *walk() {
      for (const [i, o] of objects.entries()) {
        if (i === 1) await gate;
        yield o;
      }
    },
    updateMeta: async () => { throw new Error('not used'); },
    readSystem: async (name) => docs.get(name) ?? null,
    writeSystem: async (name, data) => { docs.set(name, data); },
  };
  return { store, release: () => release(), docs };
}

async function kms(): Promise<Kms> {
  const k = (await localBackend.open({ autoCreate: false })).kms;
  await k.createKey('k1');
  return k;
}

describe('RewrapRunner', () => {
  test('runs one job at a time and reports live progress, then the result', async () => {
    const objects = [info('b', 'a'), info('b', 'b'), info('b', 'c')];
    const { store, release } = gatedStore(objects);
    const runner = new RewrapRunner({ store, kms: await kms(), clock: fixedClock(1000), logger: silentLogger });
    expect(runner.start({ bucket: null, keyId: null }, false)).toEqual({ started: true });
    expect(runner.start({ bucket: null, keyId: null }, false)).toEqual({ started: false, reason: 'running' });
    expect((await runner.status()).running).toBe(true);
    release();
    await runner.idle();
    const done = await runner.status();
    expect(done.running).toBe(false);
    expect(done.interrupted).toBe(false);
    expect(done.totalObjects).toBe(3);
    expect(done.progress).toMatchObject({ state: 'done', scanned: 3, skipped: 3, rewrapped: 0, failed: 0 });
    expect(runner.start({ bucket: null, keyId: null }, true)).toEqual({ started: true }); // free again
    await runner.idle();
  });

  test('a checkpoint left running by an earlier process shows as interrupted', async () => {
    const left = { state: 'running', filter: { bucket: null, keyId: null }, scanned: 2, rewrapped: 2, skipped: 0, failed: 0, startedMs: 1, updatedMs: 2, cursor: { bucket: 'b', key: 'a' }, lastError: null };
    const { store } = gatedStore([], new TextEncoder().encode(JSON.stringify(left)));
    const runner = new RewrapRunner({ store, kms: await kms(), clock: fixedClock(1000), logger: silentLogger });
    const status = await runner.status();
    expect(status).toMatchObject({ running: false, interrupted: true, progress: { scanned: 2 } });
  });
});

describe('rewrapObjectWith', () => {
  test('re-seals the data key so the object key still opens, and leaves an overwritten object alone', async () => {
    const k = await kms();
    const ref = { bucket: 'b', key: 'obj' };
    const deps = { kms: k, defaultKeyId: 'k1', random: cryptoRandom };
    const sealed = await sealNewObject({ kind: 'sse-kms', keyId: 'k1', context: {} }, ref, deps);
    await k.rotateKey('k1');
    let stored = info('b', 'obj', sealed.internal);
    const store = {
      updateMeta: async (_b: BucketName, _k: ObjectKey, mutate: (i: ObjectInfo) => { userMeta: Record<string, string>; internal: Record<string, string> }) => {
        stored = { ...stored, ...mutate(stored) };
        return stored;
      },
    };
    const one = rewrapObjectWith(store, k);
    expect(await one(stored, { bucket: null, keyId: 'other-key' })).toBe('skipped');
    expect(await one(stored, { bucket: null, keyId: 'k1' })).toBe('rewrapped');
    expect(stored.internal[SseFields.kmsDataKey]).not.toBe(sealed.internal[SseFields.kmsDataKey]);
    expect(Buffer.from((await openObject(stored.internal, ref, null, deps))!).equals(Buffer.from(sealed.objectKey!))).toBe(true);
    expect(await one(info('b', 'plain'), { bucket: null, keyId: null })).toBe('skipped');

    // Overwritten between the walk and the update: the newer metadata is kept.
    const walked = info('b', 'obj', sealed.internal);
    const newer = stored.internal;
    expect(await one(walked, { bucket: null, keyId: null })).toBe('skipped');
    expect(stored.internal).toEqual(newer);
  });
});
