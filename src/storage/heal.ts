// Healing: rebuild missing or corrupt shards and metadata copies of one object
// on the drives that lack them, from any K good shards.
import { open } from 'node:fs/promises';
import { assertSameLayout, removeStaleData } from './commit.ts';
import { readObjectQuorum, type StoreContext } from './context.ts';
import { blockCount, blockShape, checkHash, fullShardBytes, hashBytes, shardBlockOffset, shardFileBytes, writeHash, type PartGeometry } from './bitrot.ts';
import { readBatch, type OpenSource } from './decode-stream.ts';
import type { Drive } from './drive.ts';
import { encodeMeta, type MetaAnswer, type StoredMeta } from './meta.ts';
import { dataFileName, objectMetaName, objectRel } from './paths.ts';
import { StorageError, type BucketName, type ObjectKey } from './types.ts';

const blocksPerBatch = 4;

export interface HealOptions {
  /** Verify every shard hash (true) or only that files exist with the right size (scanner). */
  deep: boolean;
}

/** Checks an inline shard stream held in a metadata copy. */
function inlineGood(bytes: Uint8Array | null | undefined, g: PartGeometry, deep: boolean): boolean {
  if (bytes === null || bytes === undefined || bytes.length !== shardFileBytes(g)) return false;
  if (!deep) return true;
  for (let b = 0; b < blockCount(g); b++) {
    const off = shardBlockOffset(g, b);
    const { shardBytes } = blockShape(g, b);
    if (!checkHash(bytes.subarray(off, off + hashBytes + shardBytes), shardBytes)) return false;
  }
  return true;
}

/** Reads a shard file and checks every block hash. */
async function shardFileGood(d: Drive, rel: string, g: PartGeometry, deep: boolean): Promise<boolean> {
  try {
    const fh = await open(d.abs(rel), 'r');
    try {
      const st = await fh.stat();
      if (st.size !== shardFileBytes(g)) return false;
      if (!deep) return true;
      const blocks = blockCount(g);
      for (let b0 = 0; b0 < blocks; b0 += blocksPerBatch) {
        const b1 = Math.min(blocks, b0 + blocksPerBatch);
        const start = shardBlockOffset(g, b0);
        const end = shardBlockOffset(g, b1 - 1) + hashBytes + blockShape(g, b1 - 1).shardBytes;
        const buf = new Uint8Array(end - start);
        const r = await fh.read(buf, 0, buf.length, start);
        if (r.bytesRead !== buf.length) return false;
        for (let b = b0; b < b1; b++) {
          const off = shardBlockOffset(g, b) - start;
          const { shardBytes } = blockShape(g, b);
          if (!checkHash(buf.subarray(off, off + hashBytes + shardBytes), shardBytes)) return false;
        }
      }
      return true;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/** Rebuilds one part's shards for the target drives into temp files; returns their temp paths. */
async function rebuildPart(ctx: StoreContext, sources: OpenSource[], targets: readonly { drive: Drive; shardIndex: number }[], g: PartGeometry): Promise<string[]> {
  const tmps = targets.map((t) => t.drive.tmpRel());
  const handles = await Promise.all(targets.map((t, i) => t.drive.openTemp(tmps[i]!)));
  try {
    const blocks = blockCount(g);
    const slot = new Uint8Array(hashBytes + fullShardBytes(g));
    const noteBad = (): void => undefined;
    let position = 0;
    for (let b0 = 0; b0 < blocks; b0 += blocksPerBatch) {
      const b1 = Math.min(blocks, b0 + blocksPerBatch);
      const shardsByBlock = await readBatch(sources, { erasure: ctx.erasure, geometry: g, onBadShard: noteBad }, b0, b1);
      for (let b = b0; b < b1; b++) {
        const { shardBytes } = blockShape(g, b);
        const outs = targets.map(() => new Uint8Array(shardBytes));
        ctx.erasure.reconstruct(shardsByBlock[b - b0]!, shardBytes, targets.map((t) => t.shardIndex), outs);
        for (let i = 0; i < targets.length; i++) {
          slot.set(outs[i]!, hashBytes);
          writeHash(slot, shardBytes);
          await handles[i]!.write(slot, 0, hashBytes + shardBytes, position);
        }
        position += hashBytes + shardBytes;
      }
    }
    if (ctx.fsync) await Promise.all(handles.map((h) => h.sync()));
    return tmps;
  } catch (err) {
    await Promise.all(targets.map((t, i) => t.drive.discard(tmps[i]!).catch(() => undefined)));
    throw err;
  } finally {
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
  }
}

/** Heals one object; the caller holds the key lock. */
/** healedShards: shard streams rebuilt; metaWrites: metadata copies (re)written. */
export async function healObject(ctx: StoreContext, bucket: BucketName, key: ObjectKey, opts: HealOptions): Promise<{ healedShards: number; metaWrites: number }> {
  const objRel = objectRel(bucket, key);
  const { answers, result } = await readObjectQuorum(ctx, objRel);
  if (result.kind === 'lost') throw new StorageError('QuorumLost', 'heal: not enough drives');
  if (result.kind === 'absent') {
    await removeLeftovers(ctx, objRel, answers);
    return { healedShards: 0, metaWrites: 0 };
  }
  const { meta, holders } = result.value;
  assertSameLayout(ctx, meta);
  // Per part: which holders have a good shard file.
  const partGood = await Promise.all(meta.parts.map((p) => {
    const g = { sizeBytes: p.size, blockSizeBytes: meta.blockSizeBytes, dataShards: meta.dataShards };
    return Promise.all(ctx.drives.map((d, i) => {
      if (!holders.includes(i) || !d.online) return Promise.resolve(false);
      if (meta.inline) return Promise.resolve(inlineGood((answers[i] as StoredMeta).inlineData, g, opts.deep));
      return shardFileGood(d, `${objRel}/${dataFileName(meta.dataId, p.partNumber)}`, g, opts.deep);
    }));
  }));
  const lacking = ctx.drives.map((d, i) => d.online && (partGood.some((good) => !good[i]) || !holders.includes(i) || (answers[i] as StoredMeta).metaId !== meta.metaId));
  // A drive that lacks everything may be gone rather than empty: only heal onto live drives.
  await Promise.all(ctx.drives.map((d, i) => (lacking[i] ? d.confirmAlive() : Promise.resolve(true))));
  const needData = ctx.drives.map((d, i) => d.online && partGood.some((good) => !good[i]));
  const needMeta = ctx.drives.map((d, i) => d.online && (needData[i] || !holders.includes(i) || (answers[i] as StoredMeta).metaId !== meta.metaId));
  if (!needMeta.some(Boolean)) {
    // Whole: what may be left is data no version names (a write that crashed after moving
    // its files in, before its metadata). Writes remove only the version they replace.
    await Promise.all(ctx.drives.map((d, i) => (d.online && holders.includes(i) ? removeStaleData(d, objRel, meta.dataId) : undefined)));
    return { healedShards: 0, metaWrites: 0 };
  }
  let healedShards = 0;
  let metaWrites = 0;
  const tmpByDrive = new Map<number, { partNumber: number; tmp: string }[]>();
  for (let pi = 0; pi < meta.parts.length; pi++) {
    const p = meta.parts[pi]!;
    const good = partGood[pi]!;
    const targets = ctx.drives.flatMap((d, i) => (needData[i] ? [{ drive: d, shardIndex: i, driveIndex: i }] : []));
    if (targets.length === 0) continue;
    const sources: OpenSource[] = ctx.drives.flatMap((d, i) => {
      if (!good[i]) return [];
      const copy = answers[i] as StoredMeta;
      const inline = meta.inline ? (copy.inlineData ?? null) : null;
      return [{ drive: d, shardIndex: copy.shardIndex, rel: `${objRel}/${dataFileName(meta.dataId, p.partNumber)}`, inline, fh: null, dead: false }];
    });
    const g = { sizeBytes: p.size, blockSizeBytes: meta.blockSizeBytes, dataShards: meta.dataShards };
    try {
      const tmps = await rebuildPart(ctx, sources, targets, g);
      targets.forEach((t, i) => {
        const list = tmpByDrive.get(t.driveIndex) ?? [];
        list.push({ partNumber: p.partNumber, tmp: tmps[i]! });
        tmpByDrive.set(t.driveIndex, list);
      });
    } finally {
      await Promise.all(sources.map((s) => s.fh?.close().catch(() => undefined)));
    }
  }
  await Promise.all(ctx.drives.map(async (d, i) => {
    if (!needMeta[i]) return;
    try {
      let inlineData = meta.inline && !needData[i] ? ((answers[i] as StoredMeta).inlineData ?? null) : null;
      for (const { partNumber, tmp } of tmpByDrive.get(i) ?? []) {
        if (meta.inline) {
          // Small objects keep their shard in the metadata file: fold the rebuilt stream in.
          inlineData = await d.readFile(tmp);
          await d.discard(tmp);
        } else {
          await d.moveInto(tmp, `${objRel}/${dataFileName(meta.dataId, partNumber)}`);
        }
        healedShards++;
      }
      await d.writeAtomic(`${objRel}/${objectMetaName}`, encodeMeta({ ...meta, shardIndex: i, inlineData }));
      metaWrites++;
      await removeStaleData(d, objRel, meta.dataId);
    } catch (err) {
      d.noteError(err);
      ctx.counters.failures++;
    }
  }));
  return { healedShards, metaWrites };
}

/** No version has quorum: copies left by a put that crashed before quorum are garbage. */
async function removeLeftovers(ctx: StoreContext, objRel: string, answers: readonly MetaAnswer[]): Promise<void> {
  if (answers.some((a) => a === 'error')) return;
  await Promise.all(ctx.drives.map(async (d, i) => {
    if (answers[i] !== 'missing') await d.discard(`${objRel}/${objectMetaName}`).catch(() => undefined);
    await removeStaleData(d, objRel, null);
    await d.pruneEmptyDirs(objRel, objRel.slice(0, objRel.indexOf('/objects') + '/objects'.length));
  }));
}
