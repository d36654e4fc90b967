import { describe, expect, test } from 'bun:test';
import { handleHealth, readiness, type HealthDeps, type ReadyReport } from './health.ts';
import type { DriveStatus, StorageInfo } from '../storage/types.ts';

function info(states: DriveStatus['state'][], writeQuorum: number): StorageInfo {
  return {
    deploymentId: 'd',
    dataShards: 2,
    parityShards: 2,
    blockSizeBytes: 1 << 20,
    writeQuorum,
    readQuorum: 2,
    drives: states.map((state, index) => ({ index, path: `/secret/path/${index}`, state, freeBytes: 1, totalBytes: 2, errors: 0 })),
  };
}

function deps(over: Partial<HealthDeps> = {}): HealthDeps {
  return { storageInfo: async () => info(['online', 'online', 'online', 'online'], 3), isShuttingDown: () => false, ...over };
}

const get = (path: string, method = 'GET'): Request => new Request(`http://127.0.0.1${path}`, { method });

describe('health', () => {
  test('live answers 200 on both paths; other paths fall through', async () => {
    for (const p of ['/cairn/health/live', '/minio/health/live']) expect((await handleHealth(get(p), deps()))?.status).toBe(200);
    expect(await handleHealth(get('/bucket/key'), deps())).toBeUndefined();
  });

  test('ready with quorum, and the body names each component without drive paths', async () => {
    const res = await handleHealth(get('/minio/health/ready'), deps({ kmsHealth: async () => ({ backend: 'local', online: true, latencyMs: 1 }) }));
    expect(res?.status).toBe(200);
    const body = (await res?.json()) as ReadyReport;
    expect(body.status).toBe('ready');
    expect(body.components.drives).toMatchObject({ status: 'ok', online: 4, writeQuorum: 3 });
    expect(body.components.kms).toEqual({ status: 'ok', backend: 'local', latencyMs: 1 });
    expect(JSON.stringify(body)).not.toContain('/secret/path');
  });

  test('503 when drives fall below the write quorum (healing counts as online)', async () => {
    const below = await handleHealth(get('/cairn/health/ready'), deps({ storageInfo: async () => info(['online', 'offline', 'offline', 'online'], 3) }));
    expect(below?.status).toBe(503);
    const healing = await readiness(deps({ storageInfo: async () => info(['online', 'healing', 'offline', 'online'], 3) }));
    expect(healing.status).toBe('ready');
  });

  test('503 when the KMS is down, hangs, or the server is shutting down', async () => {
    expect((await readiness(deps({ kmsHealth: async () => ({ backend: 'vault', online: false, detail: 'sealed' }) }))).components.kms).toEqual({ status: 'fail', backend: 'vault', error: 'sealed' });
    const hung = await readiness(deps({ kmsHealth: () => new Promise(() => {}), checkTimeoutMs: 20 }));
    expect(hung.status).toBe('not-ready');
    expect(hung.components.kms.error).toContain('did not answer');
    const stopping = await handleHealth(get('/cairn/health/ready'), deps({ isShuttingDown: () => true }));
    expect(stopping?.status).toBe(503);
  });

  test('storage errors make it not ready; HEAD has no body; POST is refused', async () => {
    const r = await readiness(deps({ storageInfo: async () => { throw new Error('format unreadable'); } }));
    expect(r.components.drives).toMatchObject({ status: 'fail', error: 'format unreadable' });
    const head = await handleHealth(get('/cairn/health/ready', 'HEAD'), deps());
    expect(head?.status).toBe(200);
    expect(await head?.text()).toBe('');
    expect((await handleHealth(get('/cairn/health/live', 'POST'), deps()))?.status).toBe(405);
  });
});
