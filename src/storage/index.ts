// Entry point of the storage layer: open (and on first use format) an erasure set.
import { systemClock, type Clock } from '../util/clock.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { cryptoRandom, type Random } from '../util/random.ts';
import { blockSizeBytesDefault } from './bitrot.ts';
import { newId, writeQuorumFor, type StoreContext, type StoreHooks } from './context.ts';
import { Erasure, tsKernel, type GfKernel } from './erasure.ts';
import { formatVersion, openDrives } from './format.ts';
import { KeyedMutex } from './locks.ts';
import { Maintenance } from './maintenance.ts';
import { WasmKernel } from './rs-wasm.ts';
import { Reaper } from './reaper.ts';
import { ErasureObjectStore } from './store.ts';
import type { ObjectStore } from './types.ts';

export type { ObjectStore } from './types.ts';
export { StorageError } from './types.ts';
export { DriveFormatError, defaultParity } from './format.ts';

export interface StoreOptions {
  /** 1 to 16 drive directories, in a fixed order (each drive's format records its index). */
  drives: readonly string[];
  /** Parity shards per block; default follows MinIO (0, 1, 2, 3 or 4 by drive count), at most drives/2. */
  parity?: number;
  /** fsync data, metadata and directories before a write is acknowledged. */
  fsync: boolean;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Multipart uploads older than this are removed by the scanner (default 24 h). */
  staleUploadAgeMs?: number;
  /** Pause between background scans of all objects; 0 disables the scanner (default 1 h). */
  healScanIntervalMs?: number;
  /** Objects per second the scanner checks (default 100). */
  healScanObjectsPerSec?: number;
  /** How often drives are re-probed (offline -> online, replaced -> refilled); 0 disables (default 10 s). */
  driveProbeIntervalMs?: number;
  /** Galois-field kernel; defaults to the fastest available. */
  kernel?: GfKernel;
  /** Block size for new deployments (tests use small blocks); default 1 MiB. */
  blockSizeBytes?: number;
  /**
   * reaper-worker.ts, to delete replaced and removed data on its own thread (see reaper.ts);
   * without it, deletes run one at a time on the I/O threads.
   */
  reaperWorkerUrl?: URL;
  /** Fault injection for crash tests; never set in production. */
  hooks?: StoreHooks;
}

export async function openObjectStore(opts: StoreOptions): Promise<ObjectStore> {
  const random = opts.random ?? cryptoRandom;
  const logger = opts.logger ?? silentLogger;
  const ids = (): string => newId(random);
  const reaper = new Reaper(opts.reaperWorkerUrl, logger, { lanes: opts.drives.length });
  const opened = await openDrives(opts.drives, opts.parity, opts.blockSizeBytes ?? blockSizeBytesDefault, opts.fsync, ids, logger, reaper).catch((err: unknown) => {
    reaper.close();
    throw err;
  });
  const kernel = opts.kernel ?? (await defaultKernel(logger));
  const erasure = new Erasure(opened.dataShards, opened.parityShards, kernel);
  let upkeep: Maintenance | null = null;
  const ctx: StoreContext = {
    deploymentId: opened.deploymentId,
    drives: opened.drives,
    erasure,
    blockSizeBytes: opened.blockSizeBytes,
    writeQuorum: writeQuorumFor(opened.dataShards, opened.parityShards),
    readQuorum: opened.dataShards,
    fsync: opts.fsync,
    clock: opts.clock ?? systemClock,
    random,
    logger,
    keyLocks: new KeyedMutex(),
    bucketLocks: new KeyedMutex(),
    counters: { queued: 0, healedObjects: 0, healedShards: 0, scannedObjects: 0, bitrotDetected: 0, failures: 0 },
    hooks: opts.hooks ?? {},
    queueHeal: (bucket, key) => upkeep?.enqueue(bucket, key),
  };
  upkeep = new Maintenance(ctx, {
    healScanIntervalMs: opts.healScanIntervalMs ?? 3_600_000,
    healScanObjectsPerSec: opts.healScanObjectsPerSec ?? 100,
    staleUploadAgeMs: opts.staleUploadAgeMs ?? 86_400_000,
    driveProbeIntervalMs: opts.driveProbeIntervalMs ?? 10_000,
  }, {
    format: 'cairn', version: formatVersion, deploymentId: opened.deploymentId, driveCount: opened.drives.length,
    dataShards: opened.dataShards, parityShards: opened.parityShards, blockSizeBytes: opened.blockSizeBytes,
  });
  upkeep.start();
  if (opened.replaced.length > 0) {
    const u = upkeep;
    void u.refill().catch((err: unknown) => logger.warn('refill of replaced drives failed', { err: String(err) }));
  }
  return new ErasureObjectStore(ctx, upkeep, reaper);
}

/** The wasm SIMD kernel; the TypeScript reference only where the engine lacks wasm SIMD. */
async function defaultKernel(logger: Logger): Promise<GfKernel> {
  try {
    return await WasmKernel.create();
  } catch (err) {
    logger.warn('wasm SIMD kernel unavailable; using the slower TypeScript erasure code', { err: String(err) });
    return tsKernel;
  }
}
