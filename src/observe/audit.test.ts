import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AuditLog, currentFileName, rotatedFilePattern, type AuditLogOptions } from './audit.ts';
import { AuditSanitizer, type AuditInput } from './auditEvent.ts';
import { fixedClock, type Clock } from '../util/clock.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cairn-audit-'));
  dirs.push(d);
  return d;
}

function options(dir: string, over: Partial<AuditLogOptions> = {}, clock: Clock = fixedClock(Date.UTC(2026, 0, 1))): AuditLogOptions {
  return { dir, maxBytes: 1 << 20, maxAgeMs: 3_600_000, retainCount: 100, gzip: false, fsync: 'none', queueMax: 10_000, clock, sanitizer: new AuditSanitizer([]), ...over };
}

const event = (i: number): AuditInput => ({ kind: 's3', requestId: `req-${i}`, accessKey: 'AKIA', operation: 'PutObject', bucket: 'b', key: `k/${i}`, status: 200, bytesIn: i, durationMs: 1.5, sseMode: 'sse-s3' });

/** Every event line across current and rotated files, gzipped or not. */
function readAll(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const raw = readFileSync(join(dir, name));
    const text = name.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    out.push(...text.split('\n').filter((l) => l !== ''));
  }
  return out;
}

describe('AuditLog', () => {
  test('rotates by size under a small limit and loses nothing', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(options(dir, { maxBytes: 2048 }));
    for (let i = 0; i < 300; i++) log.record(event(i));
    await log.close();
    const files = readdirSync(dir);
    expect(files.filter((f) => rotatedFilePattern.test(f)).length).toBeGreaterThan(5);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2048);
    const ids = readAll(dir).map((l) => (JSON.parse(l) as { requestId: string }).requestId);
    expect(new Set(ids).size).toBe(300);
    expect(ids.length).toBe(300);
    expect(log.counts).toMatchObject({ written: 300, dropped: 0 });
  });

  test('retention keeps the newest files; gzip compresses rotated files', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(options(dir, { maxBytes: 1024, retainCount: 3, gzip: true }));
    for (let i = 0; i < 200; i++) log.record(event(i));
    await log.close();
    const rotated = readdirSync(dir).filter((f) => rotatedFilePattern.test(f));
    expect(rotated.length).toBe(3);
    expect(rotated.every((f) => f.endsWith('.gz'))).toBe(true);
    const ids = readAll(dir).map((l) => (JSON.parse(l) as { requestId: string }).requestId);
    expect(ids.at(-1)).toBe('req-199'); // the newest survive
    expect(ids.includes('req-0')).toBe(false); // the oldest were pruned
  });

  test('rotates by age', async () => {
    const dir = tempDir();
    const clock = fixedClock(Date.UTC(2026, 0, 1));
    const log = await AuditLog.open(options(dir, { maxAgeMs: 60_000 }, clock));
    log.record(event(1));
    await log.flush();
    clock.advanceMs(61_000);
    log.record(event(2));
    await log.close();
    expect(readdirSync(dir).filter((f) => rotatedFilePattern.test(f)).length).toBe(1);
    expect(readFileSync(join(dir, currentFileName), 'utf8')).toContain('req-2');
  });

  test('a full queue drops and counts instead of waiting', async () => {
    const dir = tempDir();
    const dropped: number[] = [];
    const log = await AuditLog.open(options(dir, { queueMax: 10, counters: { written() {}, dropped: (n) => dropped.push(n), queueLength() {} } }));
    for (let i = 0; i < 50; i++) log.record(event(i)); // synchronous burst: the writer cannot run in between
    await log.close();
    // The writer takes the first event off the queue at once, so 11 fit.
    expect(log.counts.dropped).toBeGreaterThanOrEqual(39);
    expect(log.counts.written + log.counts.dropped).toBe(50);
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(log.counts.dropped);
    expect(readAll(dir).length).toBe(log.counts.written);
  });

  test('fsync always still writes every event; files are private', async () => {
    const dir = tempDir();
    const log = await AuditLog.open(options(dir, { fsync: 'always' }));
    for (let i = 0; i < 20; i++) log.record(event(i));
    await log.close();
    expect(readAll(dir).length).toBe(20);
    expect(statSync(join(dir, currentFileName)).mode & 0o077).toBe(0);
  });

  test('fsync interval syncs while the writer is busy, at most once per interval', async () => {
    const dir = tempDir();
    const clock = fixedClock(Date.UTC(2026, 0, 1));
    const log = await AuditLog.open(options(dir, { fsync: 'interval', fsyncIntervalMs: 1000 }, clock));
    for (let round = 0; round < 3; round++) {
      clock.advanceMs(1500);
      for (let i = 0; i < 5; i++) log.record(event(round * 10 + i));
      await log.flush();
    }
    expect(log.counts.syncs).toBe(3);
    await log.close();
  });

  test('a restart appends to the existing file', async () => {
    const dir = tempDir();
    const a = await AuditLog.open(options(dir));
    a.record(event(1));
    await a.close();
    const b = await AuditLog.open(options(dir));
    b.record(event(2));
    await b.close();
    expect(readAll(dir).length).toBe(2);
  });
});

describe('AuditSanitizer', () => {
  const secret = 'root-password-123';
  const ssecKey = Buffer.alloc(32, 7).toString('base64');
  const s = new AuditSanitizer([secret, undefined, 'short']);

  test('redacts known secrets anywhere and secret-named or key-shaped details', () => {
    const e = s.event({ ...event(1), key: `a/${secret}/b`, detail: { 'x-amz-server-side-encryption-customer-key': ssecKey, note: ssecKey, authorization: 'AWS4 ...', ok: 'fine', n: 3 } }, 0);
    const line = JSON.stringify(e);
    expect(line).not.toContain(secret);
    expect(line).not.toContain(ssecKey);
    expect(e.key).toBe('a/[redacted]/b');
    expect(e.detail).toEqual({ 'x-amz-server-side-encryption-customer-key': '[redacted]', note: '[redacted]', authorization: '[redacted]', ok: 'fine', n: 3 });
  });

  test('keeps only whitelisted fields and bounds lengths', () => {
    const input = { ...event(1), key: 'k'.repeat(5000), extra: 'sneaky' } as AuditInput;
    const e = s.event(input, 0);
    expect(JSON.stringify(e)).not.toContain('sneaky');
    expect(e.key?.length).toBeLessThanOrEqual(1025);
    expect(e.v).toBe(1);
    expect(e.time).toBe('1970-01-01T00:00:00.000Z');
  });
});
