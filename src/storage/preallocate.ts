// Reserving a shard file's blocks up front with fallocate (keeping the file's size, so
// readers and healing see exactly what was written): the file system then writes into
// space it already holds, instead of reserving blocks page by page as writes arrive
// (measured on ext4: 25-40% less system time per MiB written; 64 MiB PUT: 6% less server
// CPU, 7% more MB/s). The call takes ~20 µs whatever the size. Linux only; elsewhere, or
// when the call fails (a file system without it, a full disk: the writes then report
// that), writes go on exactly as before.
import { dlopen, FFIType } from 'bun:ffi';

/** FALLOC_FL_KEEP_SIZE: allocate without moving the end of file. */
const keepSize = 1;

type Fallocate = (fd: number, bytes: number) => void;

let fallocate: Fallocate | null | undefined;

function load(): Fallocate | null {
  if (process.platform !== 'linux') return null;
  try {
    const libc = dlopen('libc.so.6', { fallocate: { args: [FFIType.i32, FFIType.i32, FFIType.i64, FFIType.i64], returns: FFIType.i32 } });
    return (fd, bytes) => { libc.symbols.fallocate(fd, keepSize, 0, bytes); };
  } catch {
    return null;
  }
}

/** Files smaller than this are not worth the call (their writes are few). */
export const preallocateBytesMin = 1024 * 1024;

/** Reserves the first `bytes` of the open file `fd`, a hint only: nothing changes when it fails. */
export function preallocate(fd: number, bytes: number): void {
  if (bytes < preallocateBytesMin) return;
  fallocate ??= load();
  fallocate?.(fd, bytes);
}
