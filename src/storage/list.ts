// ListObjects over the key tree: candidates come from walkTree in UTF-8 order and
// are confirmed by a quorum metadata read, so crashed or half-deleted writes never show.
import { listingDrives, readMetaAnswers, readObjectQuorum, type StoreContext } from './context.ts';
import { pickQuorum, toObjectInfo, type StoredMeta } from './meta.ts';
import { compareUtf8, objectRel, objectsRootRel } from './paths.ts';
import { collapsesAt, rootNode, walkTree, type NodeItem, type WalkFilter } from './walk.ts';
import type { BucketName, ListOptions, ListResult, ObjectInfo, ObjectKey } from './types.ts';

const verifyBatch = 16;

/**
 * Listing's metadata read: K copies that agree settle it (K reads instead of N);
 * anything else falls back to the full quorum read.
 */
export async function statKey(ctx: StoreContext, bucket: BucketName, key: string): Promise<ObjectInfo | null> {
  const objRel = objectRel(bucket, key);
  const firstK = new Set(ctx.drives.filter((d) => d.online).slice(0, ctx.readQuorum).map((d) => d.index));
  if (firstK.size === ctx.readQuorum && firstK.size < ctx.drives.length) {
    const answers = await readMetaAnswers(ctx, objRel, true, firstK);
    const quick = pickQuorum(answers, ctx.readQuorum);
    if (quick.kind === 'found' && quick.value.holders.every((i) => (answers[i] as StoredMeta).metaId === quick.value.meta.metaId)) {
      return toObjectInfo(bucket, key as ObjectKey, quick.value.meta);
    }
  }
  const { result } = await readObjectQuorum(ctx, objRel, true);
  return result.kind === 'found' ? toObjectInfo(bucket, key as ObjectKey, result.value.meta) : null;
}

/** Does any valid object live under this node? (Decides whether its common prefix is shown.) */
async function nodeHasObject(ctx: StoreContext, bucket: BucketName, node: NodeItem): Promise<boolean> {
  const sub: WalkFilter = { prefix: '', marker: '', delimiter: '' };
  for await (const item of walkTree(listingDrives(ctx), node, sub)) {
    if (item.kind !== 'key') continue;
    if (await statKey(ctx, bucket, item.key)) return true;
  }
  return false;
}

export async function* walkObjects(ctx: StoreContext, bucket: BucketName, prefix = '', marker = ''): AsyncGenerator<ObjectInfo> {
  const filter: WalkFilter = { prefix, marker, delimiter: '' };
  let batch: string[] = [];
  const flush = async function* (): AsyncGenerator<ObjectInfo> {
    const infos = await Promise.all(batch.map((k) => statKey(ctx, bucket, k)));
    batch = [];
    for (const info of infos) if (info !== null) yield info;
  };
  for await (const item of walkTree(listingDrives(ctx), rootNode(objectsRootRel(bucket)), filter)) {
    if (item.kind !== 'key') continue;
    batch.push(item.key);
    if (batch.length >= verifyBatch) yield* flush();
  }
  yield* flush();
}

export async function listObjects(ctx: StoreContext, bucket: BucketName, opts: ListOptions): Promise<ListResult> {
  const out: ListResult = { objects: [], commonPrefixes: [], isTruncated: false, nextMarker: '' };
  if (opts.maxKeys <= 0) return out;
  const filter: WalkFilter = { prefix: opts.prefix, marker: opts.marker, delimiter: opts.delimiter };
  let lastPrefix = '';
  let count = 0;
  let pending: string[] = [];
  // Keys without a delimiter hit are verified in small concurrent batches.
  const drain = async (): Promise<boolean> => {
    const infos = await Promise.all(pending.map((k) => statKey(ctx, bucket, k)));
    pending = [];
    for (const info of infos) {
      if (info === null) continue;
      if (count === opts.maxKeys) {
        out.isTruncated = true;
        return true;
      }
      out.objects.push(info);
      out.nextMarker = info.key;
      count++;
    }
    return false;
  };
  const addPrefix = (cp: string): boolean => {
    if (count === opts.maxKeys) {
      out.isTruncated = true;
      return true;
    }
    out.commonPrefixes.push(cp);
    out.nextMarker = cp;
    lastPrefix = cp;
    count++;
    return false;
  };
  for await (const item of walkTree(listingDrives(ctx), rootNode(objectsRootRel(bucket)), filter)) {
    const s = item.kind === 'key' ? item.key : item.s;
    const cp = collapsesAt(s, filter);
    if (cp === null) {
      pending.push(s);
      if (pending.length >= Math.min(verifyBatch, opts.maxKeys - count + 1) && (await drain())) break;
      continue;
    }
    if (cp === lastPrefix || (opts.marker !== '' && compareUtf8(cp, opts.marker) <= 0)) continue;
    if (await drain()) break;
    const exists = item.kind === 'key' ? (await statKey(ctx, bucket, item.key)) !== null : await nodeHasObject(ctx, bucket, item);
    if (exists && addPrefix(cp)) break;
  }
  if (!out.isTruncated) await drain();
  return out;
}
