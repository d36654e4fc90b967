// Read buffers lent to the response writer and taken back once the socket is done with
// them. A fresh buffer costs a page fault per 4 KiB on first touch (GET of large objects:
// about a sixth of the server's CPU went to faulting in new read buffers, and as much
// again to the allocator returning them to the kernel); a reused one is already mapped.
//
// The contract is by identity, so no consumer can give back a buffer that another still
// reads: the producer lends each view object it hands out (`lend`) and seals the buffer
// once it lends no more views of it (`seal`). Only the exact view objects lent can be
// given back (`giveBack`), and the buffer returns to the pool when it is sealed and every
// view lent has been given back. A view that is copied, split or transformed on its way
// never comes back, so its buffer is simply left to the garbage collector: the pool then
// gains nothing, but nothing is ever overwritten while still in use.
import { assert } from './assert.ts';

export interface Lease {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Views lent and not yet given back. */
  outstanding: number;
  sealed: boolean;
  returned: boolean;
}

const lent = new WeakMap<Uint8Array, Lease>();
const free = new Map<number, ArrayBuffer[]>();
/** Bytes kept for reuse at most: enough for a few concurrent large reads. */
const pooledBytesMax = 48 * 1024 * 1024;
let pooledBytes = 0;
/** An idle pool is emptied, so a quiet server does not keep read-buffer memory. */
const idleDropMs = 30_000;
let lastUseMs = 0;
let idleTimer: ReturnType<typeof setInterval> | undefined;

function touch(): void {
  lastUseMs = performance.now();
  if (idleTimer !== undefined) return;
  idleTimer = setInterval(() => {
    if (performance.now() - lastUseMs < idleDropMs) return;
    free.clear();
    pooledBytes = 0;
    clearInterval(idleTimer);
    idleTimer = undefined;
  }, idleDropMs);
  idleTimer.unref?.();
}

/** A buffer of exactly `size` bytes, not zeroed (the caller fills every byte it uses). */
export function takeBuffer(size: number): Lease {
  touch();
  const list = free.get(size);
  const reused = list?.pop();
  if (reused !== undefined) pooledBytes -= size;
  return { bytes: new Uint8Array(reused ?? new ArrayBuffer(size)), outstanding: 0, sealed: false, returned: false };
}

/** Records that `view` (a view of the lease's buffer) is handed to a consumer. */
export function lend(lease: Lease, view: Uint8Array): Uint8Array {
  assert(view.buffer === lease.bytes.buffer, 'a lent view belongs to its lease');
  lease.outstanding++;
  lent.set(view, lease);
  return view;
}

/**
 * A stage that turns a lent view into new views of the same memory (decrypting in place)
 * passes the loan on: `view` is lent under `from`'s lease, if `from` is lent. The stage
 * gives `from` back itself once it no longer reads it.
 */
export function passOn(from: Uint8Array, view: Uint8Array): Uint8Array {
  const lease = lent.get(from);
  return lease === undefined || view.buffer !== from.buffer ? view : lend(lease, view);
}

/** The producer lends no more views of this buffer. */
export function seal(lease: Lease): void {
  lease.sealed = true;
  maybeReturn(lease);
}

/** A consumer is done with this exact view (for a socket: its write completed). Other views are ignored. */
export function giveBack(view: Uint8Array): void {
  const lease = lent.get(view);
  if (lease === undefined) return;
  lent.delete(view);
  lease.outstanding--;
  maybeReturn(lease);
}

function maybeReturn(lease: Lease): void {
  if (!lease.sealed || lease.outstanding !== 0 || lease.returned) return;
  lease.returned = true;
  const size = lease.bytes.byteLength;
  if (pooledBytes + size > pooledBytesMax) return;
  const list = free.get(size) ?? [];
  if (list.length === 0) free.set(size, list);
  list.push(lease.bytes.buffer);
  pooledBytes += size;
}

/** For tests: bytes currently kept for reuse. */
export function pooledBytesNow(): number {
  return pooledBytes;
}
