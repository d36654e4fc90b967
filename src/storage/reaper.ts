// Deletes in the background what the store no longer needs: data files of replaced or
// deleted objects, finished multipart uploads, emptied buckets. A drive first moves them
// into its trash directory (one rename, so the object directory is clean at once); the
// reaper then removes them on worker threads of its own (one per drive, up to four, so
// deletes on different disks overlap).
// Why: freeing a large file's blocks can block for tens of milliseconds: the kernel waits
// for pages still being written back, and on file systems mounted with `discard` it waits
// for the device to trim every freed extent (measured here: 15-50 ms per 32 MiB shard
// file). On the shared I/O threads each such unlink stalled every request's reads and
// writes behind it; overwriting PUTs at concurrency 8 left a third of the CPU idle.
// The backlog is bounded: past `backlogMax` queued paths, callers wait for room, so
// sustained deletes slow writers down instead of filling the disk with trash.
import { rm } from 'node:fs/promises';
import type { Logger } from '../util/log.ts';
import { errnoText } from './drive.ts';

/** Paths queued before `remove` waits for room. */
export const reaperBacklogMax = 256;
/** Worker threads at most: drives share them by index, so deletes on different disks overlap. */
export const reaperLanesMax = 4;

interface Queued {
  path: string;
  lane: number;
}

export class Reaper {
  /** One worker per lane; undefined where deletes run inline (no worker, or it failed). */
  private readonly workers: (Worker | undefined)[];
  private nextId = 1;
  /** Queued paths by id, until a worker (or the inline queue) is done with them. */
  private readonly pending = new Map<number, Queued>();
  private readonly roomWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /** Inline mode: the chain of deletes, one at a time, on the I/O threads. */
  private inlineChain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly backlogMax: number;

  /**
   * `workerUrl` points at reaper-worker.ts; the composition root passes it (in a compiled
   * executable every module shares one import.meta.url). `lanes` workers are started
   * (one per drive, up to reaperLanesMax). Without a URL, or for a worker that fails,
   * deletes run here one at a time on the I/O threads.
   */
  constructor(workerUrl: URL | undefined, private readonly logger: Logger, opts: { lanes?: number; backlogMax?: number } = {}) {
    this.backlogMax = opts.backlogMax ?? reaperBacklogMax;
    const lanes = Math.max(1, Math.min(reaperLanesMax, opts.lanes ?? 1));
    this.workers = Array.from({ length: lanes }, (_, lane) => (workerUrl === undefined ? undefined : this.startWorker(workerUrl, lane)));
  }

  private startWorker(workerUrl: URL, lane: number): Worker {
    const worker = new Worker(workerUrl.href);
    worker.onmessage = (event: MessageEvent<{ id: number; error?: string }>) => this.settle(event.data.id, event.data.error);
    worker.onerror = (event) => {
      this.logger.warn('reaper worker failed; its deletes go on inline', { lane, err: event.message });
      worker.terminate();
      this.workers[lane] = undefined;
      for (const [id, q] of this.pending) if (q.lane === lane) this.queueInline(id);
    };
    return worker;
  }

  /** Paths queued and not yet removed. */
  get backlog(): number {
    return this.pending.size;
  }

  /**
   * Queues an absolute path for removal (file or tree), on the lane of `drive` (its index).
   * Resolves at once, or once the backlog has room.
   */
  async remove(path: string, drive = 0): Promise<void> {
    if (this.closed) {
      await rm(path, { recursive: true, force: true });
      return;
    }
    const id = this.nextId++;
    const lane = drive % this.workers.length;
    this.pending.set(id, { path, lane });
    const worker = this.workers[lane];
    if (worker !== undefined) worker.postMessage({ id, path });
    else this.queueInline(id);
    while (this.pending.size > this.backlogMax) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves once everything queued so far is removed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the workers; paths still queued stay in the trash and are removed at the next start. */
  close(): void {
    this.closed = true;
    for (const worker of this.workers) worker?.terminate();
    for (const wake of this.roomWaiters.splice(0)) wake();
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.pending.clear();
  }

  private queueInline(id: number): void {
    this.inlineChain = this.inlineChain.then(async () => {
      const path = this.pending.get(id)?.path;
      if (path === undefined) return;
      let error: string | undefined;
      try {
        await rm(path, { recursive: true, force: true });
      } catch (err) {
        error = errnoText(err);
      }
      this.settle(id, error);
    });
  }

  /** A queued path is done with; `error` (an errno code) when it could not be removed. */
  private settle(id: number, error?: string): void {
    const path = this.pending.get(id)?.path;
    if (!this.pending.delete(id)) return;
    if (error !== undefined) this.logger.warn('could not remove trash; it is retried at the next start', { path, err: error });
    if (this.pending.size <= this.backlogMax) for (const wake of this.roomWaiters.splice(0)) wake();
    if (this.pending.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
