// One drive directory: path-safe file helpers, crash-safe atomic writes
// (temp file, fsync, swap into place, fsync directory), removal through the trash
// (reaper.ts) and error classification.
import { link, mkdir, open, readdir, rename, rm, rmdir, stat, statfs, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageError } from './types.ts';
import { exchangePaths, readIfCached } from './libc.ts';
import { formatFile, tmpDir, trashDir } from './paths.ts';
import type { Reaper } from './reaper.ts';

export type DriveState = 'online' | 'offline' | 'healing';
export type FsErrorKind = 'notFound' | 'diskFull' | 'readOnly' | 'io';

export function errorKind(err: unknown): FsErrorKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'notFound';
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'diskFull';
  if (code === 'EROFS') return 'readOnly';
  return 'io';
}

/** The errno code of a file-system error (e.g. EACCES), else its text: for logs and reasons. */
export function errnoText(err: unknown): string {
  return String((err as { code?: unknown } | null)?.code ?? err);
}

export function isNotFound(err: unknown): boolean {
  return errorKind(err) === 'notFound';
}

/** Turns a drive error into the StorageError a caller sees when it decides the operation. */
export function toStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  switch (errorKind(err)) {
    case 'diskFull': return new StorageError('DiskFull', 'drive full');
    case 'readOnly': return new StorageError('ReadOnly', 'drive read-only');
    default: return new StorageError('QuorumLost', 'drive error');
  }
}

export class Drive {
  state: DriveState = 'online';
  errors = 0;
  /** Told when the drive goes offline, with why (the store logs it). */
  onOffline: ((reason: string) => void) | undefined;

  constructor(
    readonly index: number,
    readonly root: string,
    private readonly fsyncEnabled: boolean,
    private readonly newId: () => string,
    private readonly reaper: Reaper,
  ) {}

  get online(): boolean {
    return this.state !== 'offline';
  }

  abs(rel: string): string {
    return join(this.root, rel);
  }

  tmpRel(): string {
    return `${tmpDir}/${this.newId()}`;
  }

  /** Records a failed operation; I/O-level failures take the drive offline until the monitor re-probes it. */
  noteError(err: unknown): void {
    this.errors++;
    if (errorKind(err) === 'io') this.goOffline(err);
  }

  /** A write failed: unless the drive is merely full or read-only, it is no longer usable. */
  noteWriteError(err: unknown): void {
    this.errors++;
    const kind = errorKind(err);
    if (kind === 'io' || kind === 'notFound') this.goOffline(err);
  }

  private goOffline(err: unknown): void {
    this.markOffline(err instanceof Error ? err.message : String(err));
  }

  /** Takes the drive offline; the first time, `onOffline` hears why. */
  markOffline(reason: string): void {
    if (this.state === 'offline') return;
    this.state = 'offline';
    this.onOffline?.(reason);
  }

  /**
   * Is the drive still the formatted directory we opened? A removed or replaced
   * directory makes files look absent; this tells "absent" from "drive gone".
   */
  async confirmAlive(): Promise<boolean> {
    if (!this.online) return false;
    try {
      await stat(this.abs(formatFile));
      return true;
    } catch (err) {
      this.errors++;
      this.goOffline(err);
      return false;
    }
  }

  async readFile(rel: string): Promise<Uint8Array | null> {
    return this.readUpTo(rel, undefined);
  }

  /** The first `bytes` bytes of a file (fewer if it is shorter), or null when absent. */
  async readHead(rel: string, bytes: number): Promise<Uint8Array | null> {
    return this.readUpTo(rel, bytes);
  }

  /** A file's bytes (at most `bytes` of them), from memory on this thread when there, else through the I/O threads. */
  private async readUpTo(rel: string, bytes: number | undefined): Promise<Uint8Array | null> {
    const path = this.abs(rel);
    const cached = readIfCached(path, bytes === undefined ? {} : { atMost: bytes });
    if (cached !== undefined) return cached;
    try {
      const file = Bun.file(path);
      return await (bytes === undefined ? file : file.slice(0, bytes)).bytes();
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async readdir(rel: string): Promise<string[]> {
    try {
      return await readdir(this.abs(rel));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async exists(rel: string): Promise<boolean> {
    try {
      await stat(this.abs(rel));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async fsyncPath(rel: string): Promise<void> {
    if (!this.fsyncEnabled) return;
    const fh = await open(this.abs(rel), 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** mkdir -p; when fsync is on, new directories are made durable in their parents. */
  async mkdirp(rel: string): Promise<void> {
    const first = await mkdir(this.abs(rel), { recursive: true });
    if (first === undefined || !this.fsyncEnabled) return;
    let dir = this.abs(rel);
    const stop = dirname(first);
    while (dir.length >= first.length) {
      await this.fsyncAbs(dirname(dir));
      if (dirname(dir) === stop) break;
      dir = dirname(dir);
    }
  }

  private async fsyncAbs(abs: string): Promise<void> {
    const fh = await open(abs, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Makes the directories that writes and deletes work in (before a format file is written). */
  async makeWorkDirs(): Promise<void> {
    await this.mkdirp(tmpDir);
    await this.mkdirp(trashDir);
  }

  /**
   * Runs a write of the new file `rel` in a work directory (temp or trash); if that
   * directory was removed from under a formatted drive (a clean-up gone too far), makes it
   * again and retries once. A drive without its format file is left alone: it is wiped or
   * damaged, and start-up decides.
   */
  private async withWorkDir<T>(rel: string, write: () => Promise<T>): Promise<T> {
    const dir = dirname(rel);
    try {
      return await write();
    } catch (err) {
      if (!isNotFound(err) || (await this.exists(dir)) || !(await this.exists(formatFile))) throw err;
      await this.mkdirp(dir);
      return write();
    }
  }

  /** Opens a new file in a work directory (`tmpRel()`) for writing. */
  openTemp(rel: string): Promise<FileHandle> {
    return this.withWorkDir(rel, () => open(this.abs(rel), 'w'));
  }

  /**
   * Writes a whole small file crash-safely: temp, fsync, swap into place, fsync directory.
   * The temp file is made in the trash directory: after the swap its name holds the old
   * file, already where the reaper deletes from (and one a crash leaves there is garbage).
   */
  async writeAtomic(rel: string, data: Uint8Array): Promise<void> {
    const tmp = `${trashDir}/${this.newId()}`;
    try {
      if (this.fsyncEnabled) {
        const fh = await this.openTemp(tmp);
        try {
          await fh.writeFile(data);
          await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        // One trip to the I/O threads instead of three (open, write, close); not Bun.write,
        // which writes small files synchronously on the main thread.
        await this.withWorkDir(tmp, () => writeFile(this.abs(tmp), data));
      }
      await this.replace(tmp, rel);
      await this.fsyncPath(dirname(rel));
    } catch (err) {
      await rm(this.abs(tmp), { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Puts fromRel in place of toRel. An existing target is exchanged with the new file, not
   * renamed over (see libc.ts: a rename over a file can wait on writeback while holding the
   * file system's rename lock). The old file, now at fromRel, goes to the reaper: its last
   * page may still be under writeback, and an unlink here would wait for it.
   */
  private async replace(fromRel: string, toRel: string): Promise<void> {
    if (exchangePaths(this.abs(fromRel), this.abs(toRel))) {
      await this.reaper.remove(this.abs(fromRel), this.index);
      return;
    }
    await this.renameCreatingDir(fromRel, toRel);
  }

  /** Renames within the drive, creating the target directory; the caller fsyncs directories. */
  async moveInto(fromRel: string, toRel: string): Promise<void> {
    await this.renameCreatingDir(fromRel, toRel);
  }

  /**
   * rename into a directory created on demand: the rename is tried first (the directory
   * usually exists: overwrites, the metadata after its data file), and only a missing
   * directory costs the mkdir. A concurrent delete of a sibling key may prune the
   * (still empty) directory in between, so retry a few times.
   */
  private async renameCreatingDir(fromRel: string, toRel: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await this.mkdirp(dirname(toRel));
      try {
        await rename(this.abs(fromRel), this.abs(toRel));
        return;
      } catch (err) {
        if (attempt >= 4 || !isNotFound(err) || !(await this.exists(fromRel))) throw err;
      }
    }
  }

  async hardLink(fromRel: string, toRel: string): Promise<void> {
    await this.mkdirp(dirname(toRel));
    try {
      await link(this.abs(fromRel), this.abs(toRel));
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
    }
  }

  /**
   * Removes a file or a directory tree for good, without waiting for the file system to
   * free its blocks: it moves into the trash (one rename, so its directory is clean at
   * once) and the reaper deletes it there. A path already gone is fine. Where the move
   * fails, the path is deleted in place.
   */
  async discard(rel: string): Promise<void> {
    const trashRel = `${trashDir}/${this.newId()}`;
    try {
      await this.renameCreatingDir(rel, trashRel);
    } catch (err) {
      if (isNotFound(err)) return;
      await rm(this.abs(rel), { recursive: true, force: true });
      return;
    }
    await this.reaper.remove(this.abs(trashRel), this.index);
  }

  /**
   * Hands the reaper what an earlier run left in the trash (a crash, or a stop with deletes
   * pending). Returns once the trash is listed; the deletes go on in the background.
   */
  async reapLeftovers(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.abs(trashDir));
    } catch {
      return;
    }
    void (async () => {
      for (const name of names) await this.reaper.remove(this.abs(`${trashDir}/${name}`), this.index);
    })().catch((err: unknown) => this.noteError(err));
  }

  /** Removes empty directories from rel upwards, stopping at stopRel (exclusive). Best effort. */
  async pruneEmptyDirs(rel: string, stopRel: string): Promise<void> {
    let dir = rel;
    while (dir.length > stopRel.length && dir.startsWith(stopRel)) {
      try {
        const entries = await readdir(this.abs(dir));
        if (entries.length > 0) return;
        await rmdir(this.abs(dir));
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }

  async space(): Promise<{ freeBytes: number; totalBytes: number }> {
    try {
      const s = await statfs(this.root);
      return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch {
      return { freeBytes: 0, totalBytes: 0 };
    }
  }
}
