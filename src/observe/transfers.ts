// Transfers in flight: the S3 pipeline registers each body it streams and counts
// bytes as they pass; the admin API lists them with bytes done and total.
import type { Clock } from '../util/clock.ts';

export type TransferDirection = 'upload' | 'download';

export interface TransferStart {
  requestId: string;
  operation: string;
  direction: TransferDirection;
  bucket?: string | undefined;
  key?: string | undefined;
  accessKey?: string | undefined;
  /** Undefined when the size is not known up front (chunked uploads). */
  totalBytes?: number | undefined;
}

export interface TransferView extends TransferStart {
  id: number;
  bytesDone: number;
  startedMs: number;
  elapsedMs: number;
  bytesPerSec: number;
}

export interface TransferHandle {
  add(bytes: number): void;
  done(): void;
}

const untracked: TransferHandle = { add() {}, done() {} };
export const transfersMaxDefault = 10_000;

interface Entry {
  start: TransferStart;
  id: number;
  bytesDone: number;
  startedMs: number;
}

export class TransferRegistry {
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;

  constructor(
    private readonly clock: Clock,
    private readonly entriesMax = transfersMaxDefault,
  ) {}

  /** Beyond the bound, transfers still run but are not listed. */
  start(start: TransferStart): TransferHandle {
    if (this.entries.size >= this.entriesMax) return untracked;
    const entry: Entry = { start, id: this.nextId++, bytesDone: 0, startedMs: this.clock.nowMs() };
    this.entries.set(entry.id, entry);
    return {
      add: (bytes) => {
        entry.bytesDone += bytes;
      },
      done: () => {
        this.entries.delete(entry.id);
      },
    };
  }

  size(): number {
    return this.entries.size;
  }

  list(limit = 1000): TransferView[] {
    const now = this.clock.nowMs();
    return [...this.entries.values()].slice(0, limit).map((e) => {
      const elapsedMs = Math.max(0, now - e.startedMs);
      return { ...e.start, id: e.id, bytesDone: e.bytesDone, startedMs: e.startedMs, elapsedMs, bytesPerSec: elapsedMs > 0 ? Math.round((e.bytesDone * 1000) / elapsedMs) : 0 };
    });
  }
}

/** Counts bytes into a transfer as they are read; ends the transfer at end of stream, error or cancel. */
export function countingReadable(source: ReadableStream<Uint8Array>, handle: TransferHandle): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          handle.done();
          controller.close();
          return;
        }
        handle.add(value.byteLength);
        controller.enqueue(value);
      } catch (e) {
        handle.done();
        controller.error(e);
      }
    },
    async cancel(reason) {
      handle.done();
      await reader.cancel(reason);
    },
    // A pass-through: it reads only when its consumer does (so Expect: 100-continue waits for the handler).
  }, { highWaterMark: 0 });
}
