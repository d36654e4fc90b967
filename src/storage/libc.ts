// Two Linux file-system calls that node:fs lacks, through bun:ffi to libc. Both are
// optimisations only: elsewhere, or when a call fails, the caller goes on the portable way.
//
// preallocate: reserving a shard file's blocks up front with fallocate (keeping the file's
// size, so readers and healing see exactly what was written): the file system then writes
// into space it already holds, instead of reserving blocks page by page as writes arrive
// (measured on ext4: 25-40% less system time per MiB written; 64 MiB PUT: 6% less server
// CPU, 7% more MB/s). The call takes ~20 µs whatever the size. When it fails (a file
// system without it, a full disk: the writes then report that), writes go on as before.
//
// exchangePaths: renameat2(RENAME_EXCHANGE). A rename over an existing file makes ext4
// (auto_da_alloc) start writeback of the renamed file first; while the disk is busy that
// waits behind writeback throttling, for hundreds of milliseconds, and a rename between
// directories holds the file system's rename lock all the while, so every other commit's
// renames wait too. Measured under 3 GB of writeback: rename-over p50 0.6 ms, p90 45 ms,
// max 550 ms; exchange p50 0.07 ms, max 0.9 ms. Atomic like rename: the target holds the
// old or the new file at every instant.
import { dlopen, FFIType } from 'bun:ffi';

/** FALLOC_FL_KEEP_SIZE: allocate without moving the end of file. */
const keepSize = 1;
const atFdCwd = -100;
const renameExchange = 2;

interface Libc {
  fallocate(fd: number, bytes: number): void;
  exchange(a: Uint8Array, b: Uint8Array): boolean;
}

let libc: Libc | null | undefined;

function load(): Libc | null {
  if (process.platform !== 'linux') return null;
  try {
    const { symbols } = dlopen('libc.so.6', {
      fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 },
      renameat2: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    });
    return {
      fallocate: (fd, bytes) => { symbols.fallocate(fd, keepSize, 0, bytes); },
      exchange: (a, b) => symbols.renameat2(atFdCwd, a, atFdCwd, b, renameExchange) === 0,
    };
  } catch {
    return null;
  }
}

/** Files smaller than this are not worth the call (their writes are few). */
export const preallocateBytesMin = 1024 * 1024;

/** Reserves the first `bytes` of the open file `fd`, a hint only: nothing changes when it fails. */
export function preallocate(fd: number, bytes: number): void {
  if (bytes < preallocateBytesMin) return;
  libc ??= load();
  libc?.fallocate(fd, bytes);
}

const encoder = new TextEncoder();
const cPath = (path: string): Uint8Array => encoder.encode(`${path}\0`);

/**
 * Swaps two existing paths atomically. False when it did not happen: either path missing
 * (the caller then renames), a file system without the call, or not Linux.
 */
export function exchangePaths(a: string, b: string): boolean {
  libc ??= load();
  return libc?.exchange(cPath(a), cPath(b)) ?? false;
}
