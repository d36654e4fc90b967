// MD5 of large request bodies on a worker thread. MD5 (the ETag) is the slowest step of
// a PUT and runs at one core's speed; hashing beside the main thread lets erasure coding
// and drive writes use the other core. Pieces are copied to the worker (the stream keeps
// the originals); bytes not yet hashed are bounded, so memory does not grow with size.
// Batch buffers travel both ways by transfer (never copied by the messaging) and are
// reused, so a PUT does not pay fresh-page faults for every MiB it hashes. A body whose
// ETag need not be its MD5 (SSE-KMS, SSE-C) is hashed with SHA-256 instead: with the
// CPU's SHA extensions it costs less than half as much (0.7 against 1.7 ms per MiB here).
import { assert } from '../util/assert.ts';
import { copyBytes } from '../util/copy.ts';

/** The digest a body is hashed with: MD5, or SHA-256 where the ETag need not be the MD5. */
export type BodyDigest = 'md5' | 'sha256';

/** A body's digest as PayloadResult fields. */
export function digestFieldsOf(algorithm: BodyDigest, hex: string): { md5Hex?: string; sha256Hex?: string } {
  return algorithm === 'sha256' ? { sha256Hex: hex } : { md5Hex: hex };
}

type Out = { job: number; ackBytes: number; spare: ArrayBuffer | null } | { job: number; hex: string };

interface Job {
  pendingBytes: number;
  wakeOnAck: (() => void) | undefined;
  done: ((hex: string) => void) | undefined;
  fail: ((e: Error) => void) | undefined;
}

/** Bytes sent to the worker but not yet hashed, per body, before the stream waits. */
export const md5PendingBytesMax = 8 * 1024 * 1024;
/** Bodies hashed on the worker at once; more hash inline (see `available`). Bounds its memory: jobs x md5PendingBytesMax. */
export const md5WorkerJobsMax = 16;
/** Bytes per message to the worker. */
const md5BatchBytes = 1024 * 1024;
/** Returned batch buffers kept for reuse (four bodies at md5PendingBytesMax); beyond that, fresh ones are made. */
const spareBuffersMax = 32;

export interface Md5Stage {
  /** The source, passed through unchanged while it is hashed. */
  wrap(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
  /**
   * Promise that the wrapped stream's reader is done with a piece when it asks for the
   * next one and keeps no view of it (the store copies each piece into its blocks).
   * Pieces that own their whole buffer are then moved to the worker instead of copied.
   */
  consumerCopies(): void;
  /**
   * Settles once the digest is in (rejects if hashing failed). The wrapped stream ends as
   * soon as its source does, without waiting for the worker: whatever reads it (encrypting,
   * coding, writing the last block) overlaps the hashing of the body's last pieces.
   */
  settled(): Promise<void>;
  /**
   * Before the body is read: hash it with SHA-256 instead of MD5 (for ETags that need not
   * be the MD5: SSE-KMS and SSE-C objects). No effect once reading began.
   */
  preferSha256(): void;
  /** The digest (md5Hex, or sha256Hex after preferSha256); valid once settled() has resolved. */
  digestFields(): { md5Hex?: string; sha256Hex?: string };
}

export class Md5Offload {
  private readonly worker: Worker;
  private readonly jobs = new Map<number, Job>();
  private readonly spare: ArrayBuffer[] = [];
  private nextJob = 1;

  /** Set when the worker failed: running bodies fail, new ones hash inline. */
  private failure: Error | undefined;

  /**
   * `workerUrl` points at md5-worker.ts. The composition root passes it, because in a
   * compiled executable every module shares one import.meta.url (the executable's).
   */
  constructor(workerUrl: URL) {
    this.worker = new Worker(workerUrl.href);
    this.worker.onmessage = (event: MessageEvent<Out>) => this.onMessage(event.data);
    this.worker.onerror = (event) => {
      this.failure = new Error(`md5 worker failed: ${event.message}`);
      for (const job of this.jobs.values()) {
        job.fail?.(this.failure);
        job.wakeOnAck?.();
      }
      this.jobs.clear();
    };
    // Not unref()'d: Bun then polls for the worker's messages and keeps the main thread
    // busy while it waits for acks (measured: as much CPU as hashing inline). The owner
    // calls terminate() at shutdown instead.
  }

  /**
   * Whether a new body should hash here. The main thread parses, codes and writes every
   * body, so it is the first to run out; hashing all bodies beside it (up to
   * md5WorkerJobsMax) beat hashing all but two inline, at concurrency 8 on two cores:
   * 64 MiB PUT +10-50% MB/s, 1 MiB PUT +10-35%, though the copies cost some total CPU.
   */
  get available(): boolean {
    return this.failure === undefined && this.jobs.size < md5WorkerJobsMax;
  }

  private onMessage(m: Out): void {
    if ('ackBytes' in m && m.spare !== null && m.spare.byteLength === md5BatchBytes && this.spare.length < spareBuffersMax) this.spare.push(m.spare);
    const job = this.jobs.get(m.job);
    if (job === undefined) return;
    if ('ackBytes' in m) {
      job.pendingBytes -= m.ackBytes;
      const wake = job.wakeOnAck;
      job.wakeOnAck = undefined;
      wake?.();
      return;
    }
    this.jobs.delete(m.job);
    job.done?.(m.hex);
  }

  stage(): Md5Stage {
    const id = this.nextJob++;
    const job: Job = { pendingBytes: 0, wakeOnAck: undefined, done: undefined, fail: undefined };
    this.jobs.set(id, job);
    let hex: string | undefined;
    let algorithm: BodyDigest = 'md5';
    let began = false;
    let digest: Promise<void> | undefined;
    const worker = this.worker;
    // Pieces are gathered into batches: one message per batch keeps the messaging cost low.
    const spare = this.spare;
    const fresh = (): Uint8Array<ArrayBuffer> => {
      const reused = spare.pop();
      return reused === undefined ? new Uint8Array(md5BatchBytes) : new Uint8Array(reused);
    };
    let batch: Uint8Array<ArrayBuffer> | null = null;
    let batchUsed = 0;
    const send = (): void => {
      if (batch === null || batchUsed === 0) return;
      // The whole buffer travels (a view of its used part): no copy, and it comes back as a spare.
      job.pendingBytes += batchUsed;
      worker.postMessage({ job: id, data: batch.subarray(0, batchUsed), algorithm }, [batch.buffer]);
      batch = null;
      batchUsed = 0;
    };
    const add = (piece: Uint8Array): void => {
      let offset = 0;
      while (offset < piece.length) {
        batch ??= fresh();
        const n = Math.min(piece.length - offset, batch.length - batchUsed);
        copyBytes(batch, piece.subarray(offset, offset + n), batchUsed);
        batchUsed += n;
        offset += n;
        if (batchUsed === batch.length) send();
      }
      // A worker with nothing of this body to hash gets what there is now: hashing then
      // keeps pace with the body instead of starting on its last MiB after it ended
      // (a 1 MiB body hashed whole after the fact put ~1.8 ms on every SSE PUT).
      if (job.pendingBytes === 0) send();
    };
    const forget = (): void => {
      if (!this.jobs.delete(id)) return;
      worker.postMessage({ job: id, abort: true });
    };
    const finish = (): Promise<string> => new Promise<string>((resolve, reject) => {
      if (this.failure !== undefined) {
        reject(this.failure);
        return;
      }
      job.done = resolve;
      job.fail = reject;
      send();
      worker.postMessage({ job: id, end: true, algorithm });
    });
    const failure = (): Error | undefined => this.failure;
    let movePieces = false;
    /** The last piece passed on, to move to the worker once the reader asks for the next. */
    let lent: Uint8Array<ArrayBuffer> | undefined;
    const sendLent = (): void => {
      if (lent === undefined) return;
      job.pendingBytes += lent.byteLength;
      worker.postMessage({ job: id, data: lent, algorithm }, [lent.buffer]);
      lent = undefined;
    };
    const ownsBuffer = (piece: Uint8Array): piece is Uint8Array<ArrayBuffer> =>
      piece.buffer instanceof ArrayBuffer && piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength && piece.byteLength >= md5BatchBytes / 4;
    const wrap = (source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
      const reader = source.getReader();
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            sendLent();
            while (job.pendingBytes > md5PendingBytesMax && failure() === undefined) await new Promise<void>((resolve) => { job.wakeOnAck = resolve; });
            const failed = failure();
            if (failed !== undefined) throw failed;
            const next = await reader.read();
            if (next.done) {
              digest = finish().then((h) => { hex = h; });
              // Observed by settled(); a write that fails before asking must not leave it unhandled.
              digest.catch(() => undefined);
              controller.close();
              return;
            }
            began = true;
            if (movePieces && ownsBuffer(next.value)) {
              send(); // bytes batched before it go first
              lent = next.value;
            } else {
              add(next.value);
            }
            controller.enqueue(next.value);
          } catch (e) {
            lent = undefined;
            forget();
            controller.error(e);
          }
        },
        async cancel(reason) {
          lent = undefined;
          forget();
          await reader.cancel(reason);
        },
      }, { highWaterMark: 0 });
    };
    return {
      wrap,
      consumerCopies: () => { movePieces = true; },
      settled: () => digest ?? Promise.reject(new Error('md5 awaited before the body ended')),
      preferSha256: () => {
        if (!began) algorithm = 'sha256';
      },
      digestFields: () => {
        assert(hex !== undefined, 'digest read before it settled');
        return digestFieldsOf(algorithm, hex);
      },
    };
  }

  terminate(): void {
    this.worker.terminate();
  }
}
