import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { Registry, escapeLabelValue, formatValue, overflowLabelValue } from './metrics.ts';
import { addKmsCollector, addProcessCollector, addStorageCollector, createCairnMetrics } from './cairnMetrics.ts';
import type { HealCounters, StorageInfo } from '../storage/types.ts';

function promtoolCheck(text: string): { status: number | null; output: string } {
  const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

const storageInfo: StorageInfo = {
  deploymentId: 'd1',
  dataShards: 2,
  parityShards: 2,
  blockSizeBytes: 1 << 20,
  writeQuorum: 3,
  readQuorum: 2,
  drives: [0, 1, 2, 3].map((index) => ({ index, path: `/d${index}`, state: index === 3 ? 'offline' : 'online', freeBytes: 1000 + index, totalBytes: 5000, errors: index })),
};
const heal: HealCounters = { queued: 4, healedObjects: 1, healedShards: 2, scannedObjects: 3, bitrotDetected: 5, failures: 6 };

describe('text format 0.0.4', () => {
  test('escapes help and label values', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'line one\nback\\slash', ['path']);
    c.inc({ path: 'a"b\\c\nd' }, 2);
    const text = r.render();
    expect(text).toContain('# HELP x_total line one\\nback\\\\slash\n# TYPE x_total counter\n');
    expect(text).toContain('x_total{path="a\\"b\\\\c\\nd"} 2\n');
    expect(escapeLabelValue('"')).toBe('\\"');
  });

  test('formats special values', () => {
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(formatValue(0.25)).toBe('0.25');
  });

  test('histograms are cumulative with +Inf, _sum and _count', () => {
    const r = new Registry();
    const h = r.histogram('lat_seconds', 'latency', ['op'], [0.1, 1]);
    h.observe({ op: 'get' }, 0.05);
    h.observe({ op: 'get' }, 0.5);
    h.observe({ op: 'get' }, 5);
    const text = r.render();
    expect(text).toContain('lat_seconds_bucket{op="get",le="0.1"} 1\n');
    expect(text).toContain('lat_seconds_bucket{op="get",le="1"} 2\n');
    expect(text).toContain('lat_seconds_bucket{op="get",le="+Inf"} 3\n');
    expect(text).toContain('lat_seconds_sum{op="get"} 5.55\n');
    expect(text).toContain('lat_seconds_count{op="get"} 3\n');
  });

  test('label cardinality is bounded by an overflow series', () => {
    const r = new Registry();
    const c = r.counter('many_total', 'many', ['k'], 3);
    for (let i = 0; i < 10; i++) c.inc({ k: String(i) });
    expect(c.seriesCount()).toBe(4);
    expect(c.get({ k: overflowLabelValue })).toBe(7);
    expect(r.render()).toContain('cairn_metrics_series_overflow_total{metric="many_total"} 7\n');
  });

  test('refuses bad names and the reserved le label', () => {
    const r = new Registry();
    expect(() => r.counter('bad-name', 'x')).toThrow();
    expect(() => r.histogram('h', 'x', ['le'])).toThrow();
    r.gauge('dup', 'x');
    expect(() => r.gauge('dup', 'x')).toThrow();
    expect(() => r.counter('neg_total', 'x').inc({}, -1)).toThrow();
  });

  test('unlabeled metrics render a zero sample', () => {
    const r = new Registry();
    r.gauge('idle', 'idle');
    expect(r.render()).toContain('\nidle 0\n');
  });
});

describe('cairn series', () => {
  test('full output passes promtool check metrics', async () => {
    const m = createCairnMetrics('0.1.0');
    addStorageCollector(m, { info: async () => storageInfo, healCounters: () => heal });
    addKmsCollector(m, async () => ({ online: true }));
    addProcessCollector(m, 1_764_000_000_000);
    m.onRequestDone({ operation: 'PutObject', status: 200, bytesIn: 100, bytesOut: 0, durationMs: 12 });
    m.onRequestDone({ operation: 'GetObject', status: 404, bytesIn: 0, bytesOut: 300, durationMs: 3 });
    m.kmsSink.record({ operation: 'generateDataKey', backend: 'local', durationMs: 0.4 });
    m.kmsSink.record({ operation: 'decrypt', backend: 'vault', durationMs: 40, errorCode: 'Unavailable' });
    m.encryptionOps.inc({ mode: 'sse-kms', direction: 'encrypt' });
    m.cacheHits.inc({});
    const text = await m.registry.scrape();
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
    expect(text).toContain('cairn_drive_state{drive="3",state="offline"} 1\n');
    expect(text).toContain('cairn_drive_free_bytes{drive="1"} 1001\n');
    expect(text).toContain('cairn_heal_queue_length 4\n');
    expect(text).toContain('cairn_drives_online 3\n');
    expect(text).toContain('cairn_kms_errors_total{operation="decrypt",backend="vault",code="Unavailable"} 1\n');
    expect(text).toContain('cairn_s3_requests_total{operation="GetObject",status="404"} 1\n');
    expect(text).toContain('cairn_kms_up 1\n');
    expect(text).toContain('process_start_time_seconds 1764000000\n');
    expect(text).toMatch(/process_resident_memory_bytes [1-9]\d*\n/);
  });

  test('promtool rejects broken output (the check can fail)', () => {
    const check = promtoolCheck('# TYPE x counter\nx{a="b} 1\n');
    expect(check.status).not.toBe(0);
  });

  test('a failing collector does not hide the other series', async () => {
    const m = createCairnMetrics('0.1.0');
    addStorageCollector(m, { info: async () => { throw new Error('down'); }, healCounters: () => heal });
    const errors: unknown[] = [];
    const text = await m.registry.scrape((e) => errors.push(e));
    expect(errors.length).toBe(1);
    expect(text).toContain('cairn_heal_queue_length 4\n');
  });
});
