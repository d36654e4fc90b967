// Background upkeep: the heal queue (objects a read found damaged), the bounded-rate
// scanner (every object, stale multipart uploads) and the drive monitor (offline
// drives coming back, replaced empty drives getting formatted and refilled).
import { objectLockName } from './locks.ts';
import { listBuckets } from './buckets.ts';
import type { StoreContext } from './context.ts';
import { healObject } from './heal.ts';
import { walkObjects } from './list.ts';
import { removeStaleUploads } from './multipart.ts';
import { bucketMetaName, bucketRel, formatFile, systemDocsDir } from './paths.ts';
import { healDoc } from './replicated.ts';
import type { BucketName, ObjectKey } from './types.ts';
import type { FormatDoc } from './format.ts';

export interface MaintenanceOptions {
  healScanIntervalMs: number;
  healScanObjectsPerSec: number;
  staleUploadAgeMs: number;
  driveProbeIntervalMs: number;
}

export class Maintenance {
  private readonly queue = new Set<string>();
  private draining: Promise<void> | null = null;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private closed = false;
  private scanning: Promise<void> | null = null;

  constructor(private readonly ctx: StoreContext, private readonly opts: MaintenanceOptions, private readonly formatTemplate: Omit<FormatDoc, 'driveIndex'>) {}

  start(): void {
    if (this.opts.healScanIntervalMs > 0) this.every(this.opts.healScanIntervalMs, () => this.scan());
    if (this.opts.driveProbeIntervalMs > 0) this.every(this.opts.driveProbeIntervalMs, () => this.probeDrives());
  }

  private every(intervalMs: number, fn: () => Promise<void>): void {
    const tick = (): void => {
      if (this.closed) return;
      void fn().catch((err: unknown) => this.ctx.logger.warn('maintenance task failed', { err: String(err) })).finally(() => {
        if (this.closed) return;
        const t = setTimeout(tick, intervalMs);
        t.unref?.();
        this.timers.push(t);
      });
    };
    const t = setTimeout(tick, intervalMs);
    t.unref?.();
    this.timers.push(t);
  }

  enqueue(bucket: string, key: string): void {
    if (this.closed || this.queue.size >= 10000) return;
    this.queue.add(`${bucket}\u0000${key}`);
    this.ctx.counters.queued = this.queue.size;
    this.draining ??= this.drain().finally(() => { this.draining = null; });
  }

  private async drain(): Promise<void> {
    // Let the read that queued the object finish before healing starts.
    await new Promise((r) => setTimeout(r, 10));
    while (!this.closed && this.queue.size > 0) {
      const item = this.queue.values().next().value as string;
      this.queue.delete(item);
      this.ctx.counters.queued = this.queue.size;
      const [bucket, key] = item.split('\u0000') as [string, string];
      await this.healOne(bucket as BucketName, key as ObjectKey, true).catch((err: unknown) => {
        this.ctx.logger.warn('heal failed', { bucket, err: String(err) });
      });
    }
  }

  async healOne(bucket: BucketName, key: ObjectKey, deep: boolean): Promise<{ healedShards: number }> {
    try {
      const r = await this.ctx.keyLocks.run(objectLockName(bucket, key), () => healObject(this.ctx, bucket, key, { deep }));
      if (r.healedShards > 0 || r.metaWrites > 0) this.ctx.counters.healedObjects++;
      this.ctx.counters.healedShards += r.healedShards;
      return { healedShards: r.healedShards };
    } catch (err) {
      this.ctx.counters.failures++;
      throw err;
    }
  }

  /** Heals documents and every object of every bucket. */
  async healAll(deep: boolean, objectsPerSec = 0): Promise<void> {
    const names = new Set<string>();
    for (const d of this.ctx.drives.filter((x) => x.online)) for (const n of await d.readdir(systemDocsDir).catch(() => [])) names.add(n);
    for (const n of names) await healDoc(this.ctx, `${systemDocsDir}/${n}`);
    const buckets = await listBuckets(this.ctx);
    for (const b of buckets) await healDoc(this.ctx, `${bucketRel(b.name)}/${bucketMetaName}`);
    for (const b of buckets) {
      await removeStaleUploads(this.ctx, b.name, this.ctx.clock.nowMs() - this.opts.staleUploadAgeMs);
      for await (const info of walkObjects(this.ctx, b.name)) {
        if (this.closed) return;
        this.ctx.counters.scannedObjects++;
        await this.healOne(b.name, info.key, deep).catch(() => undefined);
        if (objectsPerSec > 0) await new Promise((r) => setTimeout(r, 1000 / objectsPerSec));
      }
    }
  }

  scan(): Promise<void> {
    this.scanning ??= this.healAll(false, this.opts.healScanObjectsPerSec).finally(() => { this.scanning = null; });
    return this.scanning;
  }

  /** Offline drives that answer again come back; emptied drives are re-formatted and refilled. */
  async probeDrives(): Promise<void> {
    let refill = false;
    for (const d of this.ctx.drives) {
      try {
        const bytes = await d.readFile(formatFile);
        if (bytes === null) {
          const entries = await d.readdir('');
          if (entries.length > 0 || !(await d.exists(''))) {
            d.markOffline(entries.length > 0 ? 'format file missing on a drive that is not empty' : 'drive directory missing');
            continue;
          }
          await d.makeWorkDirs();
          await d.writeAtomic(formatFile, new TextEncoder().encode(JSON.stringify({ ...this.formatTemplate, driveIndex: d.index })));
          d.state = 'healing';
          this.ctx.logger.warn('empty drive formatted into the deployment; healing will refill it', { drive: d.index, path: d.root });
          refill = true;
          continue;
        }
        const doc = JSON.parse(new TextDecoder().decode(bytes)) as FormatDoc;
        if (doc.deploymentId !== this.ctx.deploymentId || doc.driveIndex !== d.index) {
          d.markOffline('format file belongs to another deployment or drive position');
          continue;
        }
        if (d.state === 'offline') {
          d.state = 'healing';
          refill = true;
          this.ctx.logger.info('drive back online', { drive: d.index });
        }
      } catch (err) {
        d.markOffline(err instanceof Error ? err.message : String(err));
      }
    }
    if (refill) await this.refill();
  }

  private refilling: Promise<void> | null = null;

  /** Heals everything onto drives in the 'healing' state, then marks them online (one run at a time). */
  refill(): Promise<void> {
    this.refilling ??= (async () => {
      await this.healAll(false);
      if (this.closed) return;
      for (const d of this.ctx.drives) if (d.state === 'healing') d.state = 'online';
    })().finally(() => { this.refilling = null; });
    return this.refilling;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await this.draining?.catch(() => undefined);
    await this.scanning?.catch(() => undefined);
    await this.refilling?.catch(() => undefined);
  }
}
