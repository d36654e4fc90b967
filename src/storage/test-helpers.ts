// Shared helpers for storage tests: temp drive sets, random bodies, stream utilities.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../util/random.ts';
import { openObjectStore, type StoreOptions } from './index.ts';
import { objectRel } from './paths.ts';
import type { BucketName, ObjectKey, ObjectStore } from './types.ts';

export interface TempDrives {
  root: string;
  paths: string[];
  cleanup(): Promise<void>;
}

/** Every shard data file of an object in bucket `bkt`, by drive. */
export async function shardFiles(t: TempDrives, key: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of t.paths) {
    const dir = join(p, objectRel('bkt', key));
    for (const n of await readdir(dir)) if (n.startsWith('D')) out.push(join(dir, n));
  }
  return out;
}

export async function tempDrives(count: number): Promise<TempDrives> {
  const root = await mkdtemp(join(tmpdir(), 'cairn-storage-'));
  const paths = Array.from({ length: count }, (_, i) => join(root, `d${i}`));
  return { root, paths, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export function openTestStore(paths: string[], extra: Partial<StoreOptions> = {}): Promise<ObjectStore> {
  return openObjectStore({ drives: paths, fsync: false, healScanIntervalMs: 0, driveProbeIntervalMs: 0, reaperWorkerUrl: new URL('./reaper-worker.ts', import.meta.url), ...extra });
}

export function randomBytes(length: number, seed: number): Uint8Array {
  // Fill 4 KiB of seeded bytes and tile it with a per-tile twist: fast and not periodic in shards.
  const tile = seededRandom(seed).bytes(Math.min(length, 65536));
  const out = new Uint8Array(length);
  for (let off = 0, n = 0; off < length; off += tile.length, n++) {
    const take = Math.min(tile.length, length - off);
    out.set(tile.subarray(0, take), off);
    out[off] = n & 0xff;
  }
  return out;
}

/** A body stream delivering data in chunks of chunkBytes. */
export function bodyOf(data: Uint8Array, chunkBytes = 100_000): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= data.length) return c.close();
      const n = Math.min(chunkBytes, data.length - off);
      c.enqueue(data.slice(off, off + n));
      off += n;
    },
  });
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** SHA-256 of a stream without holding it all in memory. */
export async function shaOfStream(stream: ReadableStream<Uint8Array>): Promise<string> {
  const h = new Bun.CryptoHasher('sha256');
  for await (const chunk of stream) h.update(chunk);
  return h.digest('hex');
}

export function sha(data: Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(data).digest('hex');
}

export const b = (s: string): BucketName => s as BucketName;
export const k = (s: string): ObjectKey => s as ObjectKey;
export const plain = { userMeta: {}, internal: {}, md5: true } as const;
