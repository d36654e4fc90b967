// Storage benchmark: erasure-coded PUT/GET (4+2 over temp dirs, fsync on) against
// the same bytes as one plain file, and Reed-Solomon encode speed per kernel.
// Prints medians and ratios; the last line is one JSON object.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openObjectStore } from '../../src/storage/index.ts';
import { Erasure, tsKernel, type GfKernel } from '../../src/storage/erasure.ts';
import { WasmKernel } from '../../src/storage/rs-wasm.ts';
import type { BucketName, ObjectKey } from '../../src/storage/types.ts';

const mib = 1024 * 1024;
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const reps64 = Number(args.get('reps') ?? 7);
const reps1 = Number(args.get('reps1') ?? 30);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function randomData(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let off = 0; off < bytes; off += 65536) crypto.getRandomValues(out.subarray(off, Math.min(bytes, off + 65536)));
  return out;
}

function bodyOf(data: Uint8Array, chunkBytes = mib): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= data.length) return c.close();
      c.enqueue(data.subarray(off, Math.min(data.length, off + chunkBytes)));
      off += chunkBytes;
    },
  });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += chunk.length;
  return n;
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function plainWrite(path: string, data: Uint8Array): Promise<void> {
  await Bun.write(path, data);
  const fh = await open(path, 'r+');
  await fh.sync();
  await fh.close();
}

const mbps = (bytes: number, ms: number): number => Math.round(bytes / mib / (ms / 1000));

async function ioBench(root: string, sizeBytes: number, reps: number, md5: boolean) {
  const drives = Array.from({ length: 6 }, (_, i) => join(root, `d${sizeBytes}-${md5}-${i}`));
  const store = await openObjectStore({ drives, parity: 2, fsync: true, healScanIntervalMs: 0, driveProbeIntervalMs: 0 });
  const bucket = 'bench' as BucketName;
  await store.makeBucket(bucket);
  const data = randomData(sizeBytes);
  const put: number[] = [];
  const get: number[] = [];
  const basePut: number[] = [];
  const baseGet: number[] = [];
  const plainPath = join(root, `plain-${sizeBytes}-${md5}`);
  for (let i = 0; i < reps; i++) {
    const key = `obj-${i % 3}` as ObjectKey;
    basePut.push(await timeMs(() => plainWrite(plainPath, data)));
    put.push(await timeMs(() => store.put(bucket, key, bodyOf(data), { userMeta: {}, internal: {}, md5 })));
    baseGet.push(await timeMs(async () => (await Bun.file(plainPath).bytes()).length));
    get.push(await timeMs(async () => {
      const n = await drain((await store.get(bucket, key)).stream);
      if (n !== sizeBytes) throw new Error('short read');
    }));
  }
  await store.close();
  const r = {
    putMBps: mbps(sizeBytes, median(put)), getMBps: mbps(sizeBytes, median(get)),
    basePutMBps: mbps(sizeBytes, median(basePut)), baseGetMBps: mbps(sizeBytes, median(baseGet)),
  };
  return { ...r, putRatio: +(r.putMBps / r.basePutMBps).toFixed(2), getRatio: +(r.getMBps / r.baseGetMBps).toFixed(2) };
}

function encodeBench(kernel: GfKernel, inKernelMemory: boolean, seconds: number): number {
  const e = new Erasure(4, 2, kernel);
  const shard = mib / 4;
  const slot = shard + 8;
  // Same layout as the PUT path: [8-byte hash][shard] slots back to back.
  const dataBuf = (inKernelMemory ? e.kernelBuffer(4 * slot) : null) ?? new Uint8Array(4 * slot);
  const parityBuf = (inKernelMemory ? e.kernelBuffer(2 * slot) : null) ?? new Uint8Array(2 * slot);
  dataBuf.set(randomData(dataBuf.length));
  const data = [0, 1, 2, 3].map((i) => dataBuf.subarray(i * slot + 8, i * slot + 8 + shard));
  const parity = [0, 1].map((i) => parityBuf.subarray(i * slot + 8, i * slot + 8 + shard));
  for (let i = 0; i < 20; i++) e.encode(data, parity, shard);
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || samples.length < 5) {
    const n = 10;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) e.encode(data, parity, shard);
    samples.push(mbps(n * mib, performance.now() - t0));
  }
  if (inKernelMemory) {
    e.freeBuffer(dataBuf);
    e.freeBuffer(parityBuf);
  }
  return median(samples);
}

/** Bitrot checksum candidates over 256 KiB shard blocks (the 4+2 shard size). */
function hashBench(fn: (data: Uint8Array) => unknown, seconds: number): number {
  const shard = randomData(mib / 4);
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || samples.length < 5) {
    const n = 40;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(shard);
    samples.push(mbps(n * shard.length, performance.now() - t0));
  }
  return median(samples);
}

const root = await mkdtemp(join(tmpdir(), 'cairn-bench-'));
try {
  const wasm = await WasmKernel.create();
  const rs = {
    wasmInPlaceMBps: encodeBench(wasm, true, 2),
    wasmCopyMBps: encodeBench(wasm, false, 1),
    tsMBps: encodeBench(tsKernel, false, 1),
  };
  console.log(`RS 4+2 encode (median, one core): wasm in place ${rs.wasmInPlaceMBps} MB/s, wasm from JS heap ${rs.wasmCopyMBps} MB/s, TS reference ${rs.tsMBps} MB/s (x${(rs.wasmInPlaceMBps / rs.tsMBps).toFixed(1)})`);
  const hash = {
    xxHash3MBps: hashBench((d) => Bun.hash.xxHash3(d), 0.5),
    crc32MBps: hashBench((d) => Bun.hash.crc32(d), 0.5),
  };
  console.log(`bitrot hash per 256 KiB shard: xxHash3 ${hash.xxHash3MBps} MB/s (used), CRC32 ${hash.crc32MBps} MB/s`);
  const big = await ioBench(root, 64 * mib, reps64, false);
  console.log(`64 MiB PUT ${big.putMBps} MB/s vs plain file ${big.basePutMBps} MB/s (ratio ${big.putRatio}); GET ${big.getMBps} MB/s vs plain file ${big.baseGetMBps} MB/s (ratio ${big.getRatio})`);
  const bigMd5 = await ioBench(root, 64 * mib, Math.max(3, reps64 >> 1), true);
  console.log(`64 MiB PUT with MD5 ETag ${bigMd5.putMBps} MB/s (ratio ${bigMd5.putRatio})`);
  const small = await ioBench(root, mib, reps1, false);
  console.log(`1 MiB PUT ${small.putMBps} MB/s vs plain file ${small.basePutMBps} MB/s (ratio ${small.putRatio}); GET ${small.getMBps} MB/s vs plain file ${small.baseGetMBps} MB/s (ratio ${small.getRatio})`);
  console.log(JSON.stringify({ bench: 'storage', layout: '4+2', fsync: true, rs, hash, put64: big, put64Md5: bigMd5, put1: small }));
} finally {
  await rm(root, { recursive: true, force: true });
}
