// Runs a full heal in the background, one at a time, and remembers how the last run went.
import type { ObjectStore } from '../storage/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

export interface HealRunStatus {
  running: boolean;
  startedMs: number | null;
  finishedMs: number | null;
  lastError: string | null;
}

export class HealRunner {
  private state: HealRunStatus = { running: false, startedMs: null, finishedMs: null, lastError: null };
  private current: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<ObjectStore, 'healAll'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Starts a full heal unless one is running; returns whether this call started it. */
  start(): boolean {
    if (this.current !== undefined) return false;
    this.state = { running: true, startedMs: this.clock.nowMs(), finishedMs: null, lastError: null };
    this.current = this.store
      .healAll()
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

  status(): HealRunStatus {
    return { ...this.state };
  }

  /** For shutdown and tests. */
  async idle(): Promise<void> {
    await this.current;
  }
}
