// Rotation and rewrap end to end at the key layer: objects sealed through the
// crypto layer still open after rotate + rewrap on every backend, the minimum
// decryption version can then be raised, and an interrupted job resumes.
import { afterEach, describe, expect, test } from 'bun:test';
import { openObject, rewrapInternal, sealNewObject } from '../crypto/sse.ts';
import type { SseDeps } from '../crypto/sse.ts';
import { SseError } from '../crypto/errors.ts';
import { fixedClock } from '../util/clock.ts';
import { cryptoRandom } from '../util/random.ts';
import { readRewrapProgress, renderRewrapProgress, runRewrap, type RewrapFilter, type RewrapJobDeps, type RewrapObject } from './rewrap-job.ts';
import { localBackend, startVaultDouble, vaultBackend, vaultKmsFor, type BackendHandle } from './testing/kms-backends.ts';
import type { VaultDouble } from './testing/vault-double.ts';
import { KmsError, type Kms } from './types.ts';

interface StoredObject extends RewrapObject {
  internal: Record<string, string>;
}

const sseKeyId = 'sse-kms-key-id';
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** The glue the server uses: re-seal via the crypto layer, then replace the metadata in place. */
function jobDeps(kms: Kms, objects: StoredObject[], checkpoint: { bytes: Uint8Array | null }): RewrapJobDeps<StoredObject> {
  return {
    async *objects(bucket) {
      const sorted = [...objects].sort((a, b) => (a.bucket + '\0' + a.key < b.bucket + '\0' + b.key ? -1 : 1));
      for (const o of sorted) if (bucket === undefined || o.bucket === bucket) yield o;
    },
    async rewrapOne(object: StoredObject, filter: RewrapFilter) {
      if (filter.keyId !== null && object.internal[sseKeyId] !== filter.keyId) return 'skipped';
      const next = await rewrapInternal(object.internal, object, kms);
      if (next === null) return 'skipped';
      object.internal = next;
      return 'rewrapped';
    },
    checkpoint: {
      read: async () => checkpoint.bytes,
      write: async (bytes) => { checkpoint.bytes = bytes; },
    },
    clock: fixedClock(1_000),
    // The crypto layer turns KmsError into S3 errors; an outage is its 503.
    isOutage: (error) => error instanceof SseError && error.httpStatus === 503,
    concurrency: 2,
    checkpointEvery: 1,
  };
}

async function sealObjects(kms: Kms, count: number): Promise<StoredObject[]> {
  const deps: SseDeps = { kms, defaultKeyId: 'k1', random: cryptoRandom };
  const out: StoredObject[] = [];
  for (let i = 0; i < count; i++) {
    const ref = { bucket: i % 2 === 0 ? 'alpha' : 'beta', key: `obj-${String(i).padStart(3, '0')}` };
    const mode = i % 3 === 0 ? { kind: 'sse-s3' as const } : { kind: 'sse-kms' as const, keyId: 'k1', context: {} };
    const sealed = await sealNewObject(mode, ref, deps);
    out.push({ ...ref, internal: sealed.internal });
  }
  return out;
}

async function openAll(kms: Kms, objects: StoredObject[]): Promise<number> {
  let opened = 0;
  for (const o of objects) {
    const key = await openObject(o.internal, o, null, { kms, defaultKeyId: 'k1', random: cryptoRandom });
    if (key !== null && key.length === 32) opened++;
  }
  return opened;
}

for (const factory of [localBackend, vaultBackend]) {
  test(`${factory.name}: objects read after rotate + rewrap, and min decryption version can then be raised`, async () => {
    const handle: BackendHandle = await factory.open({ autoCreate: false });
    closers.push(() => handle.close());
    const kms = handle.kms;
    await kms.createKey('k1');
    const objects = await sealObjects(kms, 9);
    const before = objects.map((o) => ({ ...o, internal: { ...o.internal } }));
    await kms.rotateKey('k1');
    expect(await openAll(kms, objects)).toBe(9);

    const checkpoint = { bytes: null as Uint8Array | null };
    const seen: number[] = [];
    const progress = await runRewrap({ ...jobDeps(kms, objects, checkpoint), onProgress: (p) => { seen.push(p.scanned); } }, { filter: { bucket: null, keyId: null } });
    expect(progress).toMatchObject({ state: 'done', scanned: 9, rewrapped: 9, skipped: 0, failed: 0 });
    expect(seen.length).toBeGreaterThan(2);

    await kms.setMinDecryptionVersion?.('k1', 2);
    expect(await openAll(kms, objects)).toBe(9);
    await expect(openAll(kms, before)).rejects.toThrow();
  });
}

describe('rewrap job', () => {
  let double: VaultDouble;
  afterEach(() => double.stop());

  test('stops as failed when Vault is down, then resumes without redoing finished objects', async () => {
    double = startVaultDouble();
    const kms = vaultKmsFor(double, { retriesMax: 0 });
    await kms.createKey('k1');
    const objects = await sealObjects(kms, 10);
    await kms.rotateKey('k1');
    const checkpoint = { bytes: null as Uint8Array | null };
    const deps = jobDeps(kms, objects, checkpoint);
    let calls = 0;
    const outageAfterFour: RewrapJobDeps<StoredObject> = {
      ...deps,
      rewrapOne: (o, f) => {
        if (++calls === 5) double.inject({ pathPrefix: 'transit/rewrap', status: 503, times: 1000 });
        return deps.rewrapOne(o, f);
      },
    };
    const interrupted = await runRewrap(outageAfterFour, { filter: { bucket: null, keyId: null } });
    expect(interrupted.state).toBe('failed');
    expect(interrupted.lastError).toContain('unavailable');
    expect(interrupted.rewrapped).toBe(4);
    expect(interrupted.cursor).not.toBeNull();
    expect((await readRewrapProgress(deps.checkpoint))?.state).toBe('failed');
    double.clearFaults();
    const rewrapsBefore = double.countRequests('transit/rewrap');

    const resumed = await runRewrap(jobDeps(kms, objects, checkpoint), { filter: { bucket: null, keyId: null } });
    expect(resumed).toMatchObject({ state: 'done', scanned: 10, rewrapped: 10, failed: 0 });
    expect(double.countRequests('transit/rewrap') - rewrapsBefore).toBe(6);
    await kms.setMinDecryptionVersion('k1', 2);
    expect(await openAll(kms, objects)).toBe(10);
  });

  test('bucket and key id filters; a different job does not resume an old checkpoint', async () => {
    double = startVaultDouble();
    const kms = vaultKmsFor(double);
    await kms.createKey('k1');
    const objects = await sealObjects(kms, 6);
    const checkpoint = { bytes: null as Uint8Array | null };
    const onlyBeta = await runRewrap(jobDeps(kms, objects, checkpoint), { filter: { bucket: 'beta', keyId: null } });
    expect(onlyBeta).toMatchObject({ state: 'done', scanned: 3, rewrapped: 3 });
    const otherKey = await runRewrap(jobDeps(kms, objects, checkpoint), { filter: { bucket: null, keyId: 'k2' } });
    expect(otherKey).toMatchObject({ state: 'done', scanned: 6, rewrapped: 0, skipped: 6 });
  });

  test('default outage test stops on KmsError Unavailable; other errors count as failed objects', async () => {
    double = startVaultDouble();
    const objects: StoredObject[] = ['a', 'b', 'c', 'd'].map((key) => ({ bucket: 'x', key, internal: {} }));
    const checkpoint = { bytes: null as Uint8Array | null };
    const base = jobDeps(vaultKmsFor(double), objects, checkpoint);
    const { isOutage: _unused, ...withoutOutageTest } = base;
    const broken = await runRewrap({ ...withoutOutageTest, failuresMax: 1, rewrapOne: async () => { throw new Error('bad metadata'); } }, { filter: { bucket: null, keyId: null } });
    expect(broken).toMatchObject({ state: 'failed', failed: 2, lastError: 'bad metadata' });
    const down = await runRewrap({ ...withoutOutageTest, rewrapOne: async () => { throw new KmsError('Unavailable', 'vault down'); } }, { filter: { bucket: null, keyId: null }, restart: true });
    expect(down).toMatchObject({ state: 'failed', scanned: 0, failed: 0, lastError: 'vault down', cursor: null });
  });

  test('progress rendering', () => {
    const p = { state: 'running' as const, filter: { bucket: null, keyId: null }, scanned: 5, rewrapped: 4, skipped: 1, failed: 0, startedMs: 0, updatedMs: 0, cursor: null, lastError: null };
    expect(renderRewrapProgress(p, 10, 10)).toBe('[#####-----] 50.0% 5 scanned, 4 rewrapped, 1 skipped, 0 failed');
    expect(renderRewrapProgress(p, null)).toBe('rewrap running: 5 scanned, 4 rewrapped, 1 skipped, 0 failed');
  });
});

