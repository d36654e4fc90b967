// Deletes in the background what the store no longer needs: data files of replaced or
// deleted objects, finished multipart uploads, emptied buckets. A drive first moves them
// into its trash directory (one rename, so the object directory is clean at once); the
// reaper then removes them on its own worker thread.
// Why: freeing a large file's blocks can block for tens of milliseconds: the kernel waits
// for pages still being written back, and on file systems mounted with `discard` it waits
// for the device to trim every freed extent (measured here: 15-50 ms per 32 MiB shard
// file). On the shared I/O threads each such unlink stalled every request's reads and
// writes behind it; overwriting PUTs at concurrency 8 left a third of the CPU idle.
// The backlog is bounded: past `backlogMax` queued paths, callers wait for room, so
// sustained deletes slow writers down instead of filling the disk with trash.
import { rm } from 'node:fs/promises';
import type { Logger } from '../util/log.ts';

/** Paths queued before `remove` waits for room. */
export const reaperBacklogMax = 256;

export class Reaper {
  private worker: Worker | undefined;
  private nextId = 1;
  /** Queued paths by id, until the worker (or the inline queue) is done with them. */
  private readonly pending = new Map<number, string>();
  private readonly roomWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /** Inline mode: the chain of deletes, one at a time, on the I/O threads. */
  private inlineChain: Promise<void> = Promise.resolve();
  private closed = false;

  /**
   * `workerUrl` points at reaper-worker.ts; the composition root passes it (in a compiled
   * executable every module shares one import.meta.url). Without it, or if the worker
   * fails, deletes run here one at a time on the I/O threads.
   */
  constructor(workerUrl: URL | undefined, private readonly logger: Logger, private readonly backlogMax = reaperBacklogMax) {
    if (workerUrl === undefined) return;
    this.worker = new Worker(workerUrl.href);
    this.worker.onmessage = (event: MessageEvent<{ id: number; error?: string }>) => {
      const path = this.pending.get(event.data.id);
      if (event.data.error !== undefined) this.logger.warn('could not remove trash; it is retried at the next start', { path, err: event.data.error });
      this.settle(event.data.id);
    };
    this.worker.onerror = (event) => {
      this.logger.warn('reaper worker failed; deletes go on inline', { err: event.message });
      this.worker?.terminate();
      this.worker = undefined;
      for (const id of [...this.pending.keys()]) this.queueInline(id);
    };
  }

  /** Paths queued and not yet removed. */
  get backlog(): number {
    return this.pending.size;
  }

  /** Queues an absolute path for removal (file or tree). Resolves at once, or once the backlog has room. */
  async remove(path: string): Promise<void> {
    if (this.closed) {
      await rm(path, { recursive: true, force: true });
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, path);
    if (this.worker !== undefined) this.worker.postMessage({ id, path });
    else this.queueInline(id);
    while (this.pending.size > this.backlogMax) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves once everything queued so far is removed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the worker; paths still queued stay in the trash and are removed at the next start. */
  close(): void {
    this.closed = true;
    this.worker?.terminate();
    for (const wake of this.roomWaiters.splice(0)) wake();
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.pending.clear();
  }

  private queueInline(id: number): void {
    this.inlineChain = this.inlineChain.then(async () => {
      const path = this.pending.get(id);
      if (path === undefined) return;
      try {
        await rm(path, { recursive: true, force: true });
      } catch (err) {
        this.logger.warn('could not remove trash; it is retried at the next start', { path, err: String((err as { code?: unknown }).code ?? err) });
      }
      this.settle(id);
    });
  }

  private settle(id: number): void {
    if (!this.pending.delete(id)) return;
    if (this.pending.size <= this.backlogMax) for (const wake of this.roomWaiters.splice(0)) wake();
    if (this.pending.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
