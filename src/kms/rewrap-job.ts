// The rewrap job: walks stored objects and re-seals each object's KMS data key
// under the newest key version, without touching object data. It checkpoints
// its cursor and counts to a system document, so an interrupted run (crash,
// Vault outage) resumes where it stopped, and it reports progress for the CLI
// progress bar and the admin API. What "re-seal one object" means is injected:
// the server wires it to the crypto layer's rewrap and ObjectStore.updateMeta.
import type { Clock } from '../util/clock.ts';
import { KmsError } from './types.ts';

export interface RewrapObject {
  bucket: string;
  key: string;
}

export interface RewrapFilter {
  bucket: string | null;
  keyId: string | null;
}

export type RewrapOutcome = 'rewrapped' | 'skipped';

export interface RewrapProgress {
  state: 'running' | 'done' | 'failed';
  filter: RewrapFilter;
  scanned: number;
  rewrapped: number;
  skipped: number;
  failed: number;
  startedMs: number;
  updatedMs: number;
  /** Last object fully handled; a resumed run starts after it. */
  cursor: RewrapObject | null;
  lastError: string | null;
}

export interface RewrapJobDeps<T extends RewrapObject> {
  /** Every object (of one bucket when given) in (bucket, key) byte order, e.g. ObjectStore.walk. */
  objects(bucket: string | undefined): AsyncIterable<T>;
  /** Re-seals one object if it matches the filter; must be safe to repeat. */
  rewrapOne(object: T, filter: RewrapFilter): Promise<RewrapOutcome>;
  /** e.g. ObjectStore.readSystem/writeSystem("kms/rewrap-checkpoint"). */
  checkpoint: { read(): Promise<Uint8Array | null>; write(bytes: Uint8Array): Promise<void> };
  clock: Clock;
  onProgress?: (progress: Readonly<RewrapProgress>) => void;
  /** Objects handled at once. Default 4. */
  concurrency?: number;
  /** Checkpoint after this many objects. Default 256. */
  checkpointEvery?: number;
  /** Per-object failures tolerated before the job stops as failed. Default 100. */
  failuresMax?: number;
  /**
   * True for errors that mean the KMS as a whole is out (stop now, resume later)
   * rather than one bad object. Default: KmsError Unavailable or PermissionDenied.
   * Callers whose rewrapOne maps KmsError to their own errors pass their test.
   */
  isOutage?: (error: unknown) => boolean;
}

export interface RewrapRunOptions {
  filter: RewrapFilter;
  /** Ignore any checkpoint and start from the first object. */
  restart?: boolean;
}

const utf8 = new TextEncoder();

export function compareObjects(a: RewrapObject, b: RewrapObject): number {
  return Buffer.compare(utf8.encode(a.bucket), utf8.encode(b.bucket)) || Buffer.compare(utf8.encode(a.key), utf8.encode(b.key));
}

export async function readRewrapProgress(checkpoint: RewrapJobDeps<RewrapObject>['checkpoint']): Promise<RewrapProgress | null> {
  const bytes = await checkpoint.read();
  if (bytes === null) return null;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as RewrapProgress;
    return typeof parsed.scanned === 'number' && typeof parsed.state === 'string' ? parsed : null;
  } catch {
    return null; // an unreadable checkpoint only costs a rescan
  }
}

/** Runs (or resumes) a rewrap to completion, or until KMS is unavailable or too many objects fail. */
export async function runRewrap<T extends RewrapObject>(deps: RewrapJobDeps<T>, options: RewrapRunOptions): Promise<RewrapProgress> {
  const progress = await startingPoint(deps, options);
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  const checkpointEvery = Math.max(1, deps.checkpointEvery ?? 256);
  const failuresMax = deps.failuresMax ?? 100;
  const save = async (): Promise<void> => {
    progress.updatedMs = deps.clock.nowMs();
    deps.onProgress?.(progress);
    await deps.checkpoint.write(utf8.encode(JSON.stringify(progress)));
  };
  await save();
  let sinceCheckpoint = 0;
  let batch: T[] = [];
  const flush = async (): Promise<boolean> => {
    const stop = await handleBatch(batch, deps, progress, failuresMax);
    batch = [];
    if (stop || sinceCheckpoint >= checkpointEvery) {
      sinceCheckpoint = 0;
      await save();
    }
    return stop;
  };
  for await (const object of deps.objects(options.filter.bucket ?? undefined)) {
    if (progress.cursor !== null && compareObjects(object, progress.cursor) <= 0) continue;
    batch.push(object);
    sinceCheckpoint++;
    if (batch.length >= concurrency && (await flush())) return progress;
  }
  if (batch.length > 0 && (await flush())) return progress;
  progress.state = 'done';
  await save();
  return progress;
}

async function startingPoint<T extends RewrapObject>(deps: RewrapJobDeps<T>, options: RewrapRunOptions): Promise<RewrapProgress> {
  const previous = options.restart === true ? null : await readRewrapProgress(deps.checkpoint);
  const sameJob = previous !== null && previous.state !== 'done'
    && previous.filter.bucket === options.filter.bucket && previous.filter.keyId === options.filter.keyId;
  if (sameJob) return { ...previous, state: 'running', lastError: null };
  const nowMs = deps.clock.nowMs();
  return { state: 'running', filter: options.filter, scanned: 0, rewrapped: 0, skipped: 0, failed: 0, startedMs: nowMs, updatedMs: nowMs, cursor: null, lastError: null };
}

/** Handles one batch concurrently; returns true when the job must stop. The cursor only moves past a fully handled batch. */
async function handleBatch<T extends RewrapObject>(batch: T[], deps: RewrapJobDeps<T>, progress: RewrapProgress, failuresMax: number): Promise<boolean> {
  const results = await Promise.allSettled(batch.map((object) => deps.rewrapOne(object, progress.filter)));
  const tally = { scanned: 0, rewrapped: 0, skipped: 0, failed: 0 };
  let lastError: string | null = null;
  for (const result of results) {
    if (result.status === 'fulfilled') {
      tally.scanned++;
      tally[result.value]++;
      continue;
    }
    const error: unknown = result.reason;
    const message = error instanceof Error ? error.message : 'rewrap failed';
    if ((deps.isOutage ?? isKmsOutage)(error)) {
      // Stop without counting or moving the cursor: the batch is redone on resume, which is safe because rewrap repeats cleanly.
      progress.state = 'failed';
      progress.lastError = message;
      return true;
    }
    tally.scanned++;
    tally.failed++;
    lastError = message;
  }
  progress.scanned += tally.scanned;
  progress.rewrapped += tally.rewrapped;
  progress.skipped += tally.skipped;
  progress.failed += tally.failed;
  if (lastError !== null) progress.lastError = lastError;
  progress.cursor = batch.reduce<RewrapObject | null>((last, o) => (last === null || compareObjects(o, last) > 0 ? { bucket: o.bucket, key: o.key } : last), progress.cursor);
  if (progress.failed > failuresMax) {
    progress.state = 'failed';
    return true;
  }
  return false;
}

export function isKmsOutage(error: unknown): boolean {
  return error instanceof KmsError && (error.code === 'Unavailable' || error.code === 'PermissionDenied');
}

/** One line for a terminal: a bar when the total is known, counts always. */
export function renderRewrapProgress(progress: Readonly<RewrapProgress>, totalObjects: number | null, widthCols = 30): string {
  const counts = `${progress.scanned} scanned, ${progress.rewrapped} rewrapped, ${progress.skipped} skipped, ${progress.failed} failed`;
  if (totalObjects === null || totalObjects <= 0) return `rewrap ${progress.state}: ${counts}`;
  const fraction = Math.min(1, progress.scanned / totalObjects);
  const filled = Math.round(fraction * widthCols);
  return `[${'#'.repeat(filled)}${'-'.repeat(widthCols - filled)}] ${(fraction * 100).toFixed(1)}% ${counts}`;
}
