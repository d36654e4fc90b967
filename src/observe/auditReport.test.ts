import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from './audit.ts';
import { AuditSanitizer, type AuditInput } from './auditEvent.ts';
import { parseSince, runAuditReport, summarizeAudit, type AuditSummary } from './auditReport.ts';
import { fixedClock } from '../util/clock.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const t0 = Date.UTC(2026, 10, 27, 12, 0, 0);

async function writeLog(events: AuditInput[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-audit-report-'));
  dirs.push(dir);
  const clock = fixedClock(t0);
  const log = await AuditLog.open({ dir, maxBytes: 600, maxAgeMs: 3_600_000, retainCount: 1000, gzip: true, fsync: 'none', queueMax: 10_000, clock, sanitizer: new AuditSanitizer([]) });
  for (const e of events) log.record(e);
  await log.close();
  return dir;
}

const base = { requestId: 'r', accessKey: 'root', bucket: 'b', status: 200 } as const;

describe('audit report', () => {
  test('summarizes writes by mode, KMS keys, failed auth and admin changes across rotated gzip files', async () => {
    const dir = await writeLog([
      { ...base, kind: 's3', operation: 'PutObject', key: 'a', sseMode: 'sse-kms', kmsKeyId: 'k1', timeMs: t0 - 1000 },
      { ...base, kind: 's3', operation: 'PutObject', key: 'b', sseMode: 'sse-s3', kmsKeyId: 'default', timeMs: t0 - 900 },
      { ...base, kind: 's3', operation: 'CompleteMultipartUpload', key: 'c', sseMode: 'sse-c', timeMs: t0 - 800 },
      { ...base, kind: 's3', operation: 'PutObject', key: 'd', sseMode: 'none', timeMs: t0 - 700 },
      { ...base, kind: 's3', operation: 'CompleteMultipartUpload', key: 'm', timeMs: t0 - 650 },
      { ...base, kind: 's3', operation: 'PutObject', key: 'e', sseMode: 'none', status: 500, timeMs: t0 - 600 },
      { ...base, kind: 's3', operation: 'GetObject', key: 'a', sseMode: 'sse-kms', kmsKeyId: 'k1', timeMs: t0 - 500 },
      { ...base, kind: 's3', operation: 'ListBuckets', status: 403, errorCode: 'SignatureDoesNotMatch', accessKey: 'intruder', timeMs: t0 - 400 },
      { ...base, kind: 'admin', operation: 'admin.info', status: 403, errorCode: 'AccessDenied', timeMs: t0 - 300 },
      { ...base, kind: 'config', operation: 'admin.bucketEncryption.put', status: 200, timeMs: t0 - 200 },
      { ...base, kind: 's3', operation: 'PutBucketEncryption', timeMs: t0 - 100 },
      { ...base, kind: 's3', operation: 'PutObject', key: 'old', sseMode: 'sse-s3', timeMs: t0 - 10 * 86_400_000 },
    ]);
    const s = await summarizeAudit(dir, t0 - 86_400_000, t0);
    expect(s.files).toBeGreaterThan(1);
    expect(s.events).toBe(11);
    expect(s.objectsWritten).toEqual({ total: 5, encrypted: 3, plain: 1, unknown: 1, byMode: { none: 1, 'sse-s3': 1, 'sse-kms': 1, 'sse-c': 1 } });
    expect(s.kmsKeysUsed).toEqual({ k1: 2, default: 1 });
    expect(s.failedAuthentications.total).toBe(2);
    expect(s.failedAuthentications.byAccessKey).toEqual({ intruder: 1, root: 1 });
    expect(s.adminChanges.total).toBe(2);
    expect(s.adminChanges.listed.map((c) => c.operation)).toEqual(['admin.bucketEncryption.put', 'PutBucketEncryption']);
  });

  test('the CLI entry prints text or JSON and rejects a bad --since', async () => {
    const dir = await writeLog([{ ...base, kind: 's3', operation: 'PutObject', key: 'a', sseMode: 'sse-c', timeMs: t0 - 1000 }]);
    let out = '';
    const cfg = { audit: { dir, maxBytes: 1, maxAgeMs: 1, retainCount: 1, gzip: false, fsync: 'none' as const, queueMax: 1 } };
    expect(await runAuditReport(['report', '--since', '1h'], cfg, fixedClock(t0), (t) => { out += t; })).toBe(0);
    expect(out).toContain('encrypted: 1 (sse-s3 0, sse-kms 0, sse-c 1)');
    out = '';
    expect(await runAuditReport(['report', '--since', '2026-11-27T00:00:00Z', '--json'], cfg, fixedClock(t0), (t) => { out += t; })).toBe(0);
    expect((JSON.parse(out) as AuditSummary).objectsWritten.byMode['sse-c']).toBe(1);
    expect(await runAuditReport(['report', '--since', 'yesterday-ish'], cfg, fixedClock(t0), () => {})).toBe(1);
    expect(await runAuditReport(['report'], cfg, fixedClock(t0), () => {})).toBe(2);
  });

  test('parseSince', () => {
    expect(parseSince('24h', t0)).toBe(t0 - 86_400_000);
    expect(parseSince('7d', t0)).toBe(t0 - 7 * 86_400_000);
    expect(parseSince('2026-11-27T00:00:00Z', t0)).toBe(Date.UTC(2026, 10, 27));
    expect(() => parseSince('soon', t0)).toThrow('--since');
  });
});
