// The commit point of an object write, shared by put and multipart complete:
// under the key lock, check the precondition, then on every participating drive
// move (or link) the data files into the object directory and atomically
// replace its metadata file. The write succeeds once a write quorum committed.
import { objectLockName } from './locks.ts';
import { assert } from '../util/assert.ts';
import { quorumLost, readObjectQuorum, type StoreContext } from './context.ts';
import { toStorageError, type Drive } from './drive.ts';
import { encodeMeta, toObjectInfo, type MetaAnswer, type StoredMeta } from './meta.ts';
import { dataFileName, objectMetaName, objectsRootRel } from './paths.ts';
import { StorageError, type BucketName, type ObjectInfo, type ObjectKey } from './types.ts';

export interface DataFileMove {
  fromRel: string;
  partNumber: number;
  /** Link instead of move, so the source (a multipart part) survives a crash before commit. */
  link: boolean;
  /** Set once the file was moved: its temp name is gone and needs no cleanup. */
  moved?: boolean;
}

/** One drive's share of a commit: data files to move in, or its inline shard bytes. */
export interface DriveCommit {
  moves: DataFileMove[];
  inlineData: Uint8Array | null;
}

export interface CommitPlan {
  bucket: BucketName;
  key: ObjectKey;
  objRel: string;
  /** Per drive index: its data, or null when the drive does not take part. */
  perDrive: (DriveCommit | null)[];
  /** Metadata shared by all copies; shardIndex and inline bytes are set per drive. */
  meta: Omit<StoredMeta, 'shardIndex' | 'inlineData'>;
  precondition?: ((current: ObjectInfo | null) => void) | undefined;
}

/**
 * The object a write replaces. With every drive answering but too few readable
 * copies (corrupt metadata), the old version is unreadable and `damaged`: a
 * write may supersede it and a delete must still clear it.
 */
export async function currentInfo(ctx: StoreContext, bucket: BucketName, key: ObjectKey, objRel: string): Promise<{ info: ObjectInfo | null; damaged: boolean; answers: MetaAnswer[] }> {
  const { answers, result } = await readObjectQuorum(ctx, objRel);
  if (result.kind === 'lost') {
    if (answers.some((a) => a === 'error')) throw quorumLost('read metadata');
    return { info: null, damaged: true, answers };
  }
  if (result.kind === 'absent') return { info: null, damaged: false, answers };
  return { info: toObjectInfo(bucket, key, result.value.meta), damaged: false, answers };
}

/**
 * A commit that missed the write quorum must not leave the new version readable
 * (with K == M, K copies are enough to read): put back each drive's previous copy.
 */
async function rollBack(ctx: StoreContext, plan: CommitPlan, committed: readonly boolean[], previous: readonly MetaAnswer[]): Promise<void> {
  await Promise.all(ctx.drives.map(async (d, i) => {
    if (!committed[i]) return;
    const old = previous[i];
    try {
      if (typeof old === 'object') await d.writeAtomic(`${plan.objRel}/${objectMetaName}`, encodeMeta(old));
      else await d.discard(`${plan.objRel}/${objectMetaName}`);
      await removeStaleData(d, plan.objRel, typeof old === 'object' ? old.dataId : null);
    } catch (err) {
      d.noteWriteError(err);
      ctx.queueHeal(plan.bucket, plan.key);
    }
  }));
}

export async function commitObject(ctx: StoreContext, plan: CommitPlan): Promise<ObjectInfo> {
  return ctx.keyLocks.run(objectLockName(plan.bucket, plan.key), async () => {
    const current = await currentInfo(ctx, plan.bucket, plan.key, plan.objRel);
    plan.precondition?.(current.info);
    const results = await Promise.all(ctx.drives.map(async (d, i) => {
      const share = plan.perDrive[i];
      if (share === null || share === undefined || !d.online) return { ok: false as const, err: quorumLost('drive offline') };
      try {
        await ctx.hooks.beforeDriveCommit?.('put', i);
        await commitOnDrive(d, plan, share, i);
        return { ok: true as const };
      } catch (err) {
        d.noteWriteError(err);
        return { ok: false as const, err };
      }
    }));
    const committed = results.filter((r) => r.ok).length;
    if (committed < ctx.writeQuorum) {
      await rollBack(ctx, plan, results.map((r) => r.ok), current.answers);
      const failure = results.find((r) => !r.ok);
      const err = failure && !failure.ok ? toStorageError(failure.err) : quorumLost('commit');
      throw err.code === 'DiskFull' || err.code === 'ReadOnly' ? err : quorumLost('commit');
    }
    if (committed < ctx.drives.length) ctx.queueHeal(plan.bucket, plan.key);
    await Promise.all(ctx.drives.map((d, i) => (results[i]!.ok ? removeReplacedData(d, plan.objRel, current.answers[i], plan.meta.dataId) : undefined)));
    return toObjectInfo(plan.bucket, plan.key, { ...plan.meta, shardIndex: 0, inlineData: null });
  });
}

async function commitOnDrive(d: Drive, plan: CommitPlan, share: DriveCommit, driveIndex: number): Promise<void> {
  for (const mv of share.moves) {
    const target = `${plan.objRel}/${dataFileName(plan.meta.dataId, mv.partNumber)}`;
    if (mv.link) await d.hardLink(mv.fromRel, target);
    else {
      await d.moveInto(mv.fromRel, target);
      mv.moved = true;
    }
  }
  const meta: StoredMeta = { ...plan.meta, shardIndex: driveIndex, inlineData: share.inlineData };
  // writeAtomic fsyncs the object directory, which also makes the data renames durable.
  await d.writeAtomic(`${plan.objRel}/${objectMetaName}`, encodeMeta(meta));
}

/**
 * After a drive committed a new version: removes the data files of the version it replaced
 * there. That drive's old metadata names them, so nothing is listed (a directory read per
 * drive made small PUTs ~30% slower); only when its copy was unreadable is the directory
 * listed instead. Files of a write that crashed after moving its data in but before its
 * metadata are removed by the scanner (healObject) or by a delete.
 */
async function removeReplacedData(d: Drive, objRel: string, old: MetaAnswer | undefined, keepDataId: string): Promise<void> {
  if (old === 'missing') return;
  if (old === undefined || typeof old !== 'object') {
    await removeStaleData(d, objRel, keepDataId);
    return;
  }
  if (old.inline || old.dataId === keepDataId) return;
  try {
    for (const part of old.parts) await d.discard(`${objRel}/${dataFileName(old.dataId, part.partNumber)}`);
  } catch (err) {
    d.noteError(err);
  }
}

/** Removes data files of older versions (and of crashed writes) from one object directory. */
export async function removeStaleData(d: Drive, objRel: string, keepDataId: string | null): Promise<void> {
  try {
    const entries = await d.readdir(objRel);
    for (const name of entries) {
      if (!name.startsWith('D')) continue;
      if (keepDataId !== null && name.startsWith(`D${keepDataId}.`)) continue;
      await d.discard(`${objRel}/${name}`);
    }
  } catch (err) {
    d.noteError(err);
  }
}

/** Deletes one object's metadata on a drive (the per-drive commit point of a delete), then its data. */
export async function deleteOnDrive(d: Drive, bucket: string, objRel: string): Promise<void> {
  await d.discard(`${objRel}/${objectMetaName}`);
  await d.fsyncPath(objRel).catch(() => undefined);
  await removeStaleData(d, objRel, null);
  await d.pruneEmptyDirs(objRel, objectsRootRel(bucket));
}

export function assertSameLayout(ctx: StoreContext, meta: Pick<StoredMeta, 'dataShards' | 'parityShards' | 'blockSizeBytes'>): void {
  assert(meta.dataShards === ctx.erasure.dataShards && meta.parityShards === ctx.erasure.parityShards, 'object layout matches deployment');
  if (meta.blockSizeBytes <= 0) throw new StorageError('DataCorrupt', 'bad block size');
}
