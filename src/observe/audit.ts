// The audit log: one JSON line per event in <dir>/audit.log, rotated by size and
// age, old files pruned to a retention count and optionally gzipped. A bounded
// queue sits between callers and the disk, so recording never waits on I/O:
// when the queue is full the event is dropped and counted.
//
// fsync policy: `always` syncs after every batch (an event counts as written
// only once synced); `interval` syncs at most once per second while there are
// unsynced writes (a crash loses at most about a second); `none` leaves it to
// the OS. Rotation syncs the file being closed under `interval` and `always`.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { assert } from '../util/assert.ts';
import type { AuditInput, AuditSanitizer } from './auditEvent.ts';

export const currentFileName = 'audit.log';
/** Rotated files: audit-<UTC yyyymmddThhmmssmmmZ>-<seq>.log[.gz]; names sort in time order. */
export const rotatedFilePattern = /^audit-\d{8}T\d{9}Z-\d{6}\.log(?:\.gz)?$/;
const batchLinesMax = 1024;
const fsyncIntervalMsDefault = 1000;

export type AuditFsync = 'none' | 'interval' | 'always';

export interface AuditSink {
  record(input: AuditInput): void;
}

export interface AuditCounterSink {
  written(count: number): void;
  dropped(count: number): void;
  queueLength(length: number): void;
}

export interface AuditLogOptions {
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  retainCount: number;
  gzip: boolean;
  fsync: AuditFsync;
  queueMax: number;
  clock: Clock;
  sanitizer: AuditSanitizer;
  counters?: AuditCounterSink;
  logger?: Logger;
  fsyncIntervalMs?: number;
}

export const nullAudit: AuditSink = { record() {} };

function rotatedName(nowMs: number, seq: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `audit-${stamp}-${String(seq).padStart(6, '0')}.log`;
}

export class AuditLog implements AuditSink {
  private readonly queue: string[] = [];
  private handle: FileHandle | undefined;
  private sizeBytes = 0;
  private openedMs = 0;
  private dirty = false;
  private lastSyncMs = 0;
  private closed = false;
  private draining: Promise<void> | undefined;
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly compressions = new Set<Promise<void>>();
  readonly counts = { written: 0, dropped: 0, rotations: 0, syncs: 0 };

  private constructor(private readonly o: AuditLogOptions) {
    assert(o.maxBytes > 0 && o.retainCount >= 1 && o.queueMax >= 1, 'audit bounds must be positive');
  }

  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(options);
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    await log.openCurrent();
    log.timer = setInterval(() => log.tick(), options.fsyncIntervalMs ?? fsyncIntervalMsDefault);
    log.timer.unref?.();
    return log;
  }

  get path(): string {
    return join(this.o.dir, currentFileName);
  }

  record(input: AuditInput): void {
    if (this.closed || this.queue.length >= this.o.queueMax) {
      this.drop(1);
      return;
    }
    this.queue.push(JSON.stringify(this.o.sanitizer.event(input, this.o.clock.nowMs())) + '\n');
    this.o.counters?.queueLength(this.queue.length);
    this.kick();
  }

  /** Resolves once every event recorded so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.flush();
    if (this.handle !== undefined) {
      if (this.o.fsync !== 'none') await this.handle.sync().catch(() => {});
      await this.handle.close();
      this.handle = undefined;
    }
    await Promise.all([...this.compressions]);
  }

  private drop(count: number): void {
    this.counts.dropped += count;
    this.o.counters?.dropped(count);
  }

  private kick(): void {
    if (this.draining !== undefined) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0 && this.handle !== undefined) this.kick();
    });
  }

  /** Periodic: sync under `interval`, and rotate a file that aged out even when no events arrive. */
  private tick(): void {
    if (this.draining !== undefined || this.handle === undefined) return;
    this.draining = (async () => {
      try {
        if (this.ageDue()) await this.rotate();
        await this.syncIfDue();
      } catch (e) {
        this.o.logger?.warn('audit log maintenance failed', { error: String(e) });
      }
    })().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async syncIfDue(): Promise<void> {
    if (this.o.fsync !== 'interval' || !this.dirty || this.handle === undefined) return;
    const now = this.o.clock.nowMs();
    if (now - this.lastSyncMs < (this.o.fsyncIntervalMs ?? fsyncIntervalMsDefault)) return;
    this.dirty = false;
    this.lastSyncMs = now;
    try {
      await this.handle.sync();
      this.counts.syncs += 1;
    } catch (e) {
      this.o.logger?.warn('audit log fsync failed', { error: String(e) });
    }
  }

  private ageDue(): boolean {
    return this.sizeBytes > 0 && this.o.clock.nowMs() - this.openedMs >= this.o.maxAgeMs;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const first = this.queue[0] ?? '';
      try {
        if (this.ageDue() || (this.sizeBytes > 0 && this.sizeBytes + Buffer.byteLength(first) > this.o.maxBytes)) await this.rotate();
      } catch (e) {
        this.o.logger?.warn('audit log rotation failed', { error: String(e) });
      }
      const batch = this.takeBatch();
      await this.writeBatch(batch.text, batch.lines, batch.bytes);
      // Under steady load the writer never idles, so the periodic tick cannot sync: do it here.
      await this.syncIfDue();
    }
    this.o.counters?.queueLength(0);
  }

  /** At least one line; more while they fit in the current file, so no file outgrows maxBytes. */
  private takeBatch(): { text: string; lines: number; bytes: number } {
    const roomBytes = this.o.maxBytes - this.sizeBytes;
    const parts: string[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && parts.length < batchLinesMax) {
      const next = this.queue[0] ?? '';
      const nextBytes = Buffer.byteLength(next);
      if (parts.length > 0 && bytes + nextBytes > roomBytes) break;
      parts.push(next);
      bytes += nextBytes;
      this.queue.shift();
    }
    return { text: parts.join(''), lines: parts.length, bytes };
  }

  private async writeBatch(text: string, lines: number, bytes: number): Promise<void> {
    try {
      if (this.handle === undefined) await this.openCurrent();
      const h = this.handle;
      assert(h !== undefined, 'audit file open');
      await h.write(text);
      this.sizeBytes += bytes;
      if (this.o.fsync === 'always') await h.sync();
      else this.dirty = true;
      this.counts.written += lines;
      this.o.counters?.written(lines);
    } catch (e) {
      this.drop(lines);
      this.o.logger?.warn('audit log write failed; events dropped', { error: String(e), events: lines });
      await this.handle?.close().catch(() => {});
      this.handle = undefined;
    }
  }

  private async openCurrent(): Promise<void> {
    this.handle = await open(this.path, 'a', 0o600);
    const st = await this.handle.stat();
    this.sizeBytes = st.size;
    // A file left by a previous run keeps aging from when it was started.
    const bornMs = st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
    this.openedMs = st.size > 0 ? Math.min(this.o.clock.nowMs(), bornMs) : this.o.clock.nowMs();
  }

  private async rotate(): Promise<void> {
    const h = this.handle;
    if (h === undefined) return;
    if (this.o.fsync !== 'none') await h.sync();
    await h.close();
    this.handle = undefined;
    const target = await this.freeRotatedName();
    await rename(this.path, join(this.o.dir, target));
    this.counts.rotations += 1;
    await this.openCurrent();
    if (this.o.gzip) this.track(this.compress(target));
    await this.prune();
  }

  private async freeRotatedName(): Promise<string> {
    for (;;) {
      this.seq = (this.seq + 1) % 1_000_000;
      const name = rotatedName(this.o.clock.nowMs(), this.seq);
      const taken = await stat(join(this.o.dir, name)).then(() => true, () => false);
      if (!taken) return name;
    }
  }

  private track(p: Promise<void>): void {
    this.compressions.add(p);
    void p.finally(() => this.compressions.delete(p));
  }

  /** gzip to a temp name, rename, then remove the plain file: a crash leaves one complete copy. */
  private async compress(name: string): Promise<void> {
    const src = join(this.o.dir, name);
    const tmp = `${src}.gz.tmp`;
    try {
      await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
      await rename(tmp, `${src}.gz`);
      await unlink(src);
    } catch (e) {
      this.o.logger?.warn('audit log compression failed; the plain file is kept', { error: String(e), file: name });
      await unlink(tmp).catch(() => {});
    }
  }

  /** Keeps the newest retainCount rotated files (a file and its .gz count once). */
  private async prune(): Promise<void> {
    const names = (await readdir(this.o.dir)).filter((n) => rotatedFilePattern.test(n));
    const bases = [...new Set(names.map((n) => n.replace(/\.gz$/, '')))].sort();
    const excess = bases.slice(0, Math.max(0, bases.length - this.o.retainCount));
    for (const base of excess) {
      for (const n of [base, `${base}.gz`]) await unlink(join(this.o.dir, n)).catch(() => {});
    }
  }
}
