// Shared state of one open store: drives, erasure layout, quorums and injected deps.
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { Random } from '../util/random.ts';
import type { Drive } from './drive.ts';
import type { Erasure } from './erasure.ts';
import { KeyedMutex } from './locks.ts';
import { decodeMeta, metaJsonEnd, pickQuorum, type MetaAnswer, type QuorumResult } from './meta.ts';
import { objectMetaName } from './paths.ts';
import { StorageError, type HealCounters } from './types.ts';

/** Fault-injection points for crash tests: awaited right before each drive's commit step. */
export interface StoreHooks {
  beforeDriveCommit?: (op: 'put' | 'delete' | 'meta', driveIndex: number) => Promise<void>;
}

export interface StoreContext {
  deploymentId: string;
  drives: Drive[];
  erasure: Erasure;
  blockSizeBytes: number;
  writeQuorum: number;
  readQuorum: number;
  fsync: boolean;
  clock: Clock;
  random: Random;
  logger: Logger;
  keyLocks: KeyedMutex;
  bucketLocks: KeyedMutex;
  counters: HealCounters;
  hooks: StoreHooks;
  /** Queue an object for background healing (a read found a missing or bad shard). */
  queueHeal: (bucket: string, key: string) => void;
}

export function newId(random: Random): string {
  return Buffer.from(random.bytes(16)).toString('hex');
}

export function writeQuorumFor(dataShards: number, parityShards: number): number {
  return dataShards === parityShards ? dataShards + 1 : dataShards;
}

/** Drives to read directory listings from: every quorum-held entry is on at least one of them. */
export function listingDrives(ctx: StoreContext): Drive[] {
  const want = ctx.drives.length - ctx.readQuorum + 1;
  return ctx.drives.filter((d) => d.online).slice(0, want);
}

const metaHeadBytes = 4096;

/** Reads one drive's metadata copy; with jsonOnly, skips inline shard bytes (listing). */
async function readMetaCopy(d: Drive, rel: string, jsonOnly: boolean): Promise<MetaAnswer> {
  if (!jsonOnly) {
    const bytes = await d.readFile(rel);
    return bytes === null ? 'missing' : (decodeMeta(bytes) ?? 'corrupt');
  }
  let head = await d.readHead(rel, metaHeadBytes);
  if (head === null) return 'missing';
  const end = metaJsonEnd(head);
  if (end === null) return 'corrupt';
  if (end > head.length) head = await d.readHead(rel, end);
  return head === null ? 'missing' : (decodeMeta(head, false) ?? 'corrupt');
}

export async function readMetaAnswers(ctx: StoreContext, objRel: string, jsonOnly = false, only?: ReadonlySet<number>): Promise<MetaAnswer[]> {
  return Promise.all(ctx.drives.map(async (d): Promise<MetaAnswer> => {
    if (!d.online || (only !== undefined && !only.has(d.index))) return 'error';
    try {
      return await readMetaCopy(d, `${objRel}/${objectMetaName}`, jsonOnly);
    } catch (err) {
      d.noteError(err);
      return 'error';
    }
  }));
}

export async function readObjectQuorum(ctx: StoreContext, objRel: string, jsonOnly = false): Promise<{ answers: MetaAnswer[]; result: QuorumResult }> {
  let answers = await readMetaAnswers(ctx, objRel, jsonOnly);
  let result = pickQuorum(answers, ctx.readQuorum);
  // Before concluding from "missing" answers, make sure those drives still exist.
  if (result.kind !== 'found' && (await confirmMissing(ctx, answers.map((a) => a === 'missing')))) {
    answers = answers.map((a, i) => (ctx.drives[i]!.online ? a : 'error'));
    result = pickQuorum(answers, ctx.readQuorum);
  }
  return { answers, result };
}

/** Checks the drives flagged as having answered "missing"; true when any turned out to be gone. */
export async function confirmMissing(ctx: StoreContext, missing: readonly boolean[]): Promise<boolean> {
  const alive = await Promise.all(ctx.drives.map((d, i) => (missing[i] ? d.confirmAlive() : Promise.resolve(true))));
  return alive.some((a) => !a);
}

export function quorumLost(what: string): StorageError {
  return new StorageError('QuorumLost', `${what}: not enough drives online`);
}

/** Runs fn on every online drive; returns per-drive outcome (errors recorded on the drive). */
export async function onAllDrives<T>(ctx: StoreContext, fn: (d: Drive) => Promise<T>): Promise<({ ok: true; value: T } | { ok: false; err: unknown })[]> {
  return Promise.all(ctx.drives.map(async (d) => {
    if (!d.online) return { ok: false as const, err: quorumLost('drive offline') };
    try {
      return { ok: true as const, value: await fn(d) };
    } catch (err) {
      d.noteWriteError(err);
      return { ok: false as const, err };
    }
  }));
}
