// The rewrap job inside the server: one run at a time in the background, started
// through the admin API (POST rewrap) and watched through GET rewrap. Progress is
// checkpointed to a system document, so a run cut short by a restart or a KMS outage
// continues from its last checkpoint when it is started again with the same filter.
import { rewrapInternal } from '../crypto/sse.ts';
import { kmsKeyName } from '../crypto/sse-kms.ts';
import { SseError } from '../crypto/errors.ts';
import { SseFields } from '../crypto/sse-internal.ts';
import { rewrapMetadataKey } from '../crypto/metadata-key.ts';
import { readRewrapProgress, runRewrap, type RewrapFilter, type RewrapJobDeps, type RewrapOutcome, type RewrapProgress } from '../kms/rewrap-job.ts';
import { validateKeyId } from '../kms/key-id.ts';
import type { Kms } from '../kms/types.ts';
import { StorageError, type BucketName, type ObjectInfo, type ObjectStore } from '../storage/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { AdminError, json, parseJson } from './http.ts';
import { isBucketName } from './names.ts';
import type { AdminHandler } from './types.ts';

export const rewrapCheckpointDefault = 'kms/rewrap-checkpoint';
/** Small enough that the CLI's progress bar moves; each checkpoint is one quorum write. */
const checkpointEveryObjects = 64;

export type RewrapStore = Pick<ObjectStore, 'walk' | 'updateMeta' | 'readSystem' | 'writeSystem'>;

export interface RewrapStatus {
  /** A run is active in this server process. */
  running: boolean;
  /** The live run's progress, else the last checkpoint (null before any run). */
  progress: RewrapProgress | null;
  /** The checkpoint says running but no run is active: the server stopped mid-run. Start it again to resume. */
  interrupted: boolean;
  /** Objects in scope (counted alongside the run); null until counted. */
  totalObjects: number | null;
}

export type RewrapStartResult = { started: true } | { started: false; reason: 'running' };

/** Re-seals one object's KMS data key (SSE-S3 and SSE-KMS); plain and SSE-C objects are skipped. */
export function rewrapObjectWith(store: Pick<ObjectStore, 'updateMeta'>, kms: Kms): (info: ObjectInfo, filter: RewrapFilter) => Promise<RewrapOutcome> {
  return async (info, filter) => {
    if (filter.keyId !== null && kmsKeyName(info.internal[SseFields.kmsKeyId] ?? '') !== filter.keyId) return 'skipped';
    const next = await rewrapInternal(info.internal, { bucket: info.bucket, key: info.key }, kms);
    if (next === null) return 'skipped';
    let replaced = false;
    try {
      await store.updateMeta(info.bucket, info.key, (cur) => {
        // Overwritten since it was read: the newer object already has a fresh data key.
        if (cur.internal[SseFields.kmsDataKey] !== info.internal[SseFields.kmsDataKey]) return { userMeta: cur.userMeta, internal: cur.internal };
        replaced = true;
        return { userMeta: cur.userMeta, internal: next };
      });
    } catch (e) {
      if (e instanceof StorageError && (e.code === 'NoSuchKey' || e.code === 'NoSuchBucket')) return 'skipped'; // deleted meanwhile
      throw e;
    }
    return replaced ? 'rewrapped' : 'skipped';
  };
}

/** KMS down or storage without quorum: stop and resume later instead of failing object after object. */
export function isRewrapOutage(e: unknown): boolean {
  return (e instanceof SseError && e.httpStatus === 503) || (e instanceof StorageError && e.code === 'QuorumLost');
}

export interface RewrapRunnerDeps {
  store: RewrapStore;
  kms: Kms;
  clock: Clock;
  logger: Logger;
  checkpointName?: string;
}

export class RewrapRunner {
  private live: RewrapProgress | null = null;
  private current: Promise<void> | undefined;
  private totalObjects: number | null = null;
  /** Tells a count still walking for an earlier run from the current one. */
  private runIndex = 0;
  private readonly checkpointName: string;

  constructor(private readonly deps: RewrapRunnerDeps) {
    this.checkpointName = deps.checkpointName ?? rewrapCheckpointDefault;
  }

  private get checkpoint(): RewrapJobDeps<ObjectInfo>['checkpoint'] {
    const { store } = this.deps;
    return { read: () => store.readSystem(this.checkpointName), write: (b) => store.writeSystem(this.checkpointName, b) };
  }

  /** Starts (or resumes) a run in the background unless one is active. */
  start(filter: RewrapFilter, restart: boolean): RewrapStartResult {
    if (this.current !== undefined) return { started: false, reason: 'running' };
    this.live = null;
    this.totalObjects = null;
    this.runIndex++;
    const { store, kms, clock, logger } = this.deps;
    const jobDeps: RewrapJobDeps<ObjectInfo> = {
      objects: (bucket) => store.walk(bucket as BucketName | undefined),
      rewrapOne: rewrapObjectWith(store, kms),
      checkpoint: this.checkpoint,
      isOutage: isRewrapOutage,
      clock,
      checkpointEvery: checkpointEveryObjects,
      onProgress: (p) => { this.live = { ...p, filter: { ...p.filter }, cursor: p.cursor === null ? null : { ...p.cursor } }; },
    };
    void this.countObjects(filter.bucket, this.runIndex);
    this.current = this.rewrapMetadataKey(filter)
      .then(() => runRewrap(jobDeps, { filter, restart }))
      .then(
        (p) => {
          if (p.state === 'failed') logger.warn('rewrap stopped', { error: p.lastError ?? 'unknown', scanned: p.scanned, failed: p.failed });
          else logger.info('rewrap done', { scanned: p.scanned, rewrapped: p.rewrapped, skipped: p.skipped, failed: p.failed });
        },
        (e: unknown) => {
          // The walk or a checkpoint write failed: report it as a failed run.
          const message = e instanceof Error ? e.message.slice(0, 300) : 'rewrap failed';
          logger.warn('rewrap failed', { error: message });
          if (this.live !== null) this.live = { ...this.live, state: 'failed', lastError: message, updatedMs: clock.nowMs() };
        },
      )
      .finally(() => { this.current = undefined; });
    return { started: true };
  }

  /**
   * The server-wide metadata key (it seals SSE-S3 ETags) is re-sealed on every run whose
   * key filter matches, whatever the bucket filter: a raised min_decryption_version must
   * not leave it behind. A failure is logged; the object walk reports outages itself.
   */
  private async rewrapMetadataKey(filter: RewrapFilter): Promise<void> {
    const { store, kms, logger } = this.deps;
    try {
      const done = await rewrapMetadataKey(kms, { read: (n) => store.readSystem(n), write: (n, b) => store.writeSystem(n, b) }, filter.keyId);
      if (done) logger.info('rewrap: metadata key re-sealed', {});
    } catch (e) {
      logger.warn('rewrap: metadata key not re-sealed', { error: e instanceof Error ? e.message.slice(0, 300) : 'unknown' });
    }
  }

  private async countObjects(bucket: string | null, runIndex: number): Promise<void> {
    let count = 0;
    try {
      for await (const _ of this.deps.store.walk(bucket === null ? undefined : (bucket as BucketName))) {
        if (runIndex !== this.runIndex) return;
        count++;
      }
      if (runIndex === this.runIndex) this.totalObjects = count;
    } catch {
      // the run itself reports the failure; the total stays unknown
    }
  }

  async status(): Promise<RewrapStatus> {
    const running = this.current !== undefined;
    const progress = this.live ?? (await readRewrapProgress(this.checkpoint));
    return { running, progress, interrupted: !running && progress?.state === 'running', totalObjects: this.totalObjects };
  }

  /** For shutdown and tests. */
  async idle(): Promise<void> {
    await this.current;
  }
}

function parseFilter(body: Uint8Array): { filter: RewrapFilter; restart: boolean } {
  const raw = body.byteLength === 0 ? {} : parseJson(body);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AdminError(400, 'InvalidArgument', 'expected {"bucket"?, "keyId"?, "restart"?}');
  const { bucket, keyId, restart } = raw as { bucket?: unknown; keyId?: unknown; restart?: unknown };
  if (bucket !== undefined && bucket !== null && (typeof bucket !== 'string' || !isBucketName(bucket))) throw new AdminError(400, 'InvalidBucketName', 'bucket must be a bucket name');
  if (keyId !== undefined && keyId !== null && typeof keyId !== 'string') throw new AdminError(400, 'InvalidArgument', 'keyId must be a string');
  if (restart !== undefined && typeof restart !== 'boolean') throw new AdminError(400, 'InvalidArgument', 'restart must be true or false');
  return {
    filter: { bucket: typeof bucket === 'string' ? bucket : null, keyId: typeof keyId === 'string' ? kmsKeyName(keyId) : null },
    restart: restart === true,
  };
}

/** POST rewrap `{"bucket"?, "keyId"?, "restart"?}`: 202 started, 409 when a run is active. */
export const rewrapStart: AdminHandler = async (call, deps) => {
  if (deps.kms === undefined || deps.rewrap === undefined) throw new AdminError(501, 'NotImplemented', 'no KMS is configured (CAIRN_KMS_BACKEND=none)');
  const { filter, restart } = parseFilter(call.body);
  if (filter.keyId !== null) {
    validateKeyId(filter.keyId);
    call.audit.kmsKeyId = filter.keyId;
  }
  if (filter.bucket !== null) call.audit.bucket = filter.bucket;
  call.audit.detail = { restart };
  const result = deps.rewrap.start(filter, restart);
  if (!result.started) throw new AdminError(409, 'RewrapRunning', 'a rewrap is already running; watch it with GET rewrap');
  return json(202, { started: true, filter, restart, ...(await deps.rewrap.status()) });
};

/** GET rewrap: the live run's progress, else the last checkpoint. */
export const rewrapStatus: AdminHandler = async (_call, deps) => {
  if (deps.rewrap !== undefined) return json(200, await deps.rewrap.status());
  const progress = await readRewrapProgress({ read: () => deps.store.readSystem(deps.rewrapCheckpointName), write: async () => {} });
  return json(200, { running: false, progress, interrupted: progress?.state === 'running', totalObjects: null });
};
