// Runs a full heal in the background, one at a time, and remembers how the last run went.
import type { BucketName, ObjectStore } from '../storage/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

export interface HealRunStatus {
  running: boolean;
  startedMs: number | null;
  finishedMs: number | null;
  lastError: string | null;
  /** The bucket of a one-bucket run; null for a full heal. */
  bucket: string | null;
  /** Objects a one-bucket run has checked so far. */
  objectsChecked: number;
}

export class HealRunner {
  private state: HealRunStatus = { running: false, startedMs: null, finishedMs: null, lastError: null, bucket: null, objectsChecked: 0 };
  private current: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<ObjectStore, 'healAll' | 'heal' | 'walk'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Starts a full heal (or one bucket's) unless one is running; returns whether this call started it. */
  start(bucket?: BucketName): boolean {
    if (this.current !== undefined) return false;
    this.state = { running: true, startedMs: this.clock.nowMs(), finishedMs: null, lastError: null, bucket: bucket ?? null, objectsChecked: 0 };
    this.current = (bucket === undefined ? this.store.healAll() : this.healBucket(bucket))
      .then(
        () => {
          this.state = { ...this.state, running: false, finishedMs: this.clock.nowMs() };
        },
        (e: unknown) => {
          const message = e instanceof Error ? e.message : String(e);
          this.state = { ...this.state, running: false, finishedMs: this.clock.nowMs(), lastError: message.slice(0, 300) };
          this.logger.warn('heal run failed', { error: message });
        },
      )
      .finally(() => {
        this.current = undefined;
      });
    return true;
  }

  private async healBucket(bucket: BucketName): Promise<void> {
    for await (const info of this.store.walk(bucket)) {
      await this.store.heal(info.bucket, info.key);
      this.state.objectsChecked++;
    }
  }

  status(): HealRunStatus {
    return { ...this.state };
  }

  /** For shutdown and tests. */
  async idle(): Promise<void> {
    await this.current;
  }
}
