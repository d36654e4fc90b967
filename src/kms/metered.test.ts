import { describe, expect, test } from 'bun:test';
import { LocalKms } from './local.ts';
import { MeteredKms, type KmsMetricsSink, type KmsOperation } from './metered.ts';
import { memoryKeystoreStore } from './testing/memory-store.ts';
import type { Kms } from './types.ts';

interface Observation {
  operation: KmsOperation;
  ok: boolean;
  latencyMs: number;
  errorCode: string | undefined;
}

function recordingSink(): KmsMetricsSink & { seen: Observation[] } {
  const seen: Observation[] = [];
  return {
    seen,
    record: (e) => { seen.push({ operation: e.operation, ok: e.errorCode === undefined, latencyMs: e.durationMs, errorCode: e.errorCode }); },
  };
}

describe('MeteredKms', () => {
  test('records each operation with outcome, error code and latency', async () => {
    const inner = await LocalKms.open({ masterKey: { name: 'm', key: new Uint8Array(32).fill(1) }, store: memoryKeystoreStore(), autoCreate: false });
    const sink = recordingSink();
    let nowMs = 0;
    const kms = new MeteredKms(inner, sink, () => (nowMs += 5));
    expect(kms.backend).toBe('local');
    await kms.createKey('k1');
    const dataKey = await kms.generateDataKey('k1', { a: 'b' });
    await kms.decrypt('k1', dataKey.ciphertext, { a: 'b' });
    await kms.decrypt('k1', dataKey.ciphertext, { a: 'c' }).catch(() => undefined);
    await kms.generateDataKey('missing', {}).catch(() => undefined);
    await kms.health();
    expect(sink.seen.map((o) => [o.operation, o.ok, o.errorCode])).toEqual([
      ['createKey', true, undefined],
      ['generateDataKey', true, undefined],
      ['decrypt', true, undefined],
      ['decrypt', false, 'ContextMismatch'],
      ['generateDataKey', false, 'KeyNotFound'],
      ['health', true, undefined],
    ]);
    expect(sink.seen.every((o) => o.latencyMs === 5)).toBe(true);
  });

  test('non-KMS errors are Internal, offline health counts as a failure, and errors still propagate', async () => {
    const broken: Kms = {
      backend: 'vault',
      generateDataKey: () => Promise.reject(new TypeError('boom')),
      decrypt: () => Promise.reject(new TypeError('boom')),
      rewrap: () => Promise.reject(new TypeError('boom')),
      createKey: () => Promise.resolve(),
      listKeys: () => Promise.resolve([]),
      keyStatus: () => Promise.reject(new TypeError('boom')),
      rotateKey: () => Promise.reject(new TypeError('boom')),
      health: () => Promise.resolve({ backend: 'vault', online: false }),
    };
    const sink = recordingSink();
    const kms = new MeteredKms(broken, sink);
    await expect(kms.generateDataKey('k', {})).rejects.toThrow('boom');
    await expect(kms.setMinDecryptionVersion('k', 2)).rejects.toThrow(/cannot set a minimum decryption version/);
    expect((await kms.health()).online).toBe(false);
    expect(sink.seen.map((o) => [o.operation, o.ok, o.errorCode])).toEqual([
      ['generateDataKey', false, 'Internal'],
      ['setMinDecryptionVersion', false, 'Unavailable'],
      ['health', false, 'Unavailable'],
    ]);
  });
});

// Compile-time contract: the metrics registry's sink plugs straight into MeteredKms.
import type { KmsMetricsSink as RegistryKmsSink } from '../observe/cairnMetrics.ts';
export const registrySinkFits = (sink: RegistryKmsSink): KmsMetricsSink => sink;
