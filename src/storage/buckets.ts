// Buckets: a directory per drive plus a replicated, versioned bucket document.
import { listingDrives, quorumLost, type StoreContext } from './context.ts';
import { bucketMetaName, bucketRel, bucketsDir, checkBucketName, multipartDir } from './paths.ts';
import { readDoc, removeDoc, unreadable, writeDoc } from './replicated.ts';
import { StorageError, type BucketInfo, type BucketMeta, type BucketName } from './types.ts';

interface BucketDoc extends BucketMeta {
  v: 1;
}

function docRel(bucket: string): string {
  return `${bucketRel(bucket)}/${bucketMetaName}`;
}

export async function readBucket(ctx: StoreContext, bucket: string): Promise<{ meta: BucketMeta; seq: number } | null> {
  checkBucketName(bucket);
  const r = await readDoc(ctx, docRel(bucket));
  if (r.payload === null || r.copies < ctx.readQuorum) {
    if (r.answered < ctx.readQuorum) throw unreadable(r, 'bucket');
    return null;
  }
  const doc = JSON.parse(new TextDecoder().decode(r.payload)) as BucketDoc;
  return { meta: { createdMs: doc.createdMs, settings: doc.settings }, seq: r.seq };
}

export async function requireBucket(ctx: StoreContext, bucket: string): Promise<{ meta: BucketMeta; seq: number }> {
  const b = await readBucket(ctx, bucket);
  if (b === null) throw new StorageError('NoSuchBucket');
  return b;
}

/**
 * Buckets recently found to exist, per store. Every object write checks its bucket, and
 * reading the replicated bucket document from every drive was a twentieth of a small
 * PUT's cost. Entries live briefly and are dropped when this process removes the bucket,
 * so a write after a delete is still refused.
 */
const seenBuckets = new WeakMap<StoreContext, Map<string, number>>();
const bucketSeenTtlMs = 1000;

/** Throws NoSuchBucket unless the bucket exists (or was seen to exist within the last second). */
export async function checkBucketExists(ctx: StoreContext, bucket: string): Promise<void> {
  let seen = seenBuckets.get(ctx);
  const until = seen?.get(bucket);
  if (until !== undefined && until > performance.now()) return;
  await requireBucket(ctx, bucket);
  if (seen === undefined) {
    seen = new Map();
    seenBuckets.set(ctx, seen);
  }
  if (seen.size > 10_000) seen.clear();
  seen.set(bucket, performance.now() + bucketSeenTtlMs);
}

function forgetBucket(ctx: StoreContext, bucket: string): void {
  seenBuckets.get(ctx)?.delete(bucket);
}

async function writeBucket(ctx: StoreContext, bucket: string, meta: BucketMeta, seq: number): Promise<void> {
  const doc: BucketDoc = { v: 1, createdMs: meta.createdMs, settings: meta.settings };
  await writeDoc(ctx, docRel(bucket), seq, new TextEncoder().encode(JSON.stringify(doc)));
}

/** Creates the bucket with its first settings (written with it, so no reader sees it without them). */
export async function makeBucket(ctx: StoreContext, bucket: BucketName, settings: Record<string, string> = {}): Promise<void> {
  await ctx.bucketLocks.run(bucket, async () => {
    const existing = await readBucket(ctx, bucket);
    if (existing !== null) throw new StorageError('BucketExists');
    const stale = await readDoc(ctx, docRel(bucket));
    // Leftovers of a deleted bucket (crash during removal) must not reappear in the new one.
    await Promise.all(ctx.drives.filter((d) => d.online).map(async (d) => {
      await d.discard(`${bucketRel(bucket)}/objects`).catch(() => undefined);
      await d.discard(`${multipartDir}/${bucket}`).catch(() => undefined);
    }));
    await writeBucket(ctx, bucket, { createdMs: ctx.clock.nowMs(), settings: { ...settings } }, stale.seq + 1);
  });
}

export async function headBucket(ctx: StoreContext, bucket: BucketName): Promise<BucketInfo> {
  const b = await requireBucket(ctx, bucket);
  return { name: bucket, createdMs: b.meta.createdMs };
}

export async function listBuckets(ctx: StoreContext): Promise<BucketInfo[]> {
  // Without a read quorum of drives no listing is complete: fail rather than list less.
  if (ctx.drives.filter((d) => d.online).length < ctx.readQuorum) throw quorumLost('list buckets');
  const names = new Set<string>();
  for (const d of listingDrives(ctx)) for (const n of await d.readdir(bucketsDir).catch(() => [])) names.add(n);
  const out: BucketInfo[] = [];
  for (const name of [...names].sort()) {
    try {
      checkBucketName(name);
    } catch {
      continue;
    }
    let b: Awaited<ReturnType<typeof readBucket>>;
    try {
      b = await readBucket(ctx, name);
    } catch (err) {
      // One bucket whose document cannot be read (too few drives, or corrupt copies) must not fail the whole listing.
      if (!(err instanceof StorageError && err.code === 'QuorumLost')) throw err;
      ctx.logger.error('bucket left out of the listing: its metadata cannot be read', { bucket: name, reason: err.message });
      continue;
    }
    if (b !== null) out.push({ name: name as BucketName, createdMs: b.meta.createdMs });
  }
  return out;
}

export async function putBucketSetting(ctx: StoreContext, bucket: BucketName, name: string, value: string | null): Promise<void> {
  await ctx.bucketLocks.run(bucket, async () => {
    const b = await requireBucket(ctx, bucket);
    const settings = { ...b.meta.settings };
    if (value === null) delete settings[name];
    else settings[name] = value;
    await writeBucket(ctx, bucket, { createdMs: b.meta.createdMs, settings }, b.seq + 1);
  });
}

/** Removes the bucket once the caller has checked it is empty (under the bucket lock). */
export async function removeBucket(ctx: StoreContext, bucket: BucketName): Promise<void> {
  forgetBucket(ctx, bucket);
  const removed = await removeDoc(ctx, docRel(bucket));
  if (removed < ctx.writeQuorum) throw quorumLost('delete bucket');
  await Promise.all(ctx.drives.filter((d) => d.online).map(async (d) => {
    await d.discard(bucketRel(bucket)).catch(() => undefined);
    await d.discard(`${multipartDir}/${bucket}`).catch(() => undefined);
  }));
}
