// Per-object metadata: one copy per drive. Layout: magic(8) | version u32 LE |
// json length u32 LE | xxHash3-64 of the json (u64 LE) | json | inline shard bytes.
// Small objects keep their shard in the metadata file itself (one file per drive).
// Copies are chosen by quorum: same metaId (one metadata write), or failing that
// the same dataId (a crash during a metadata-only rewrite leaves two valid views).
import { assert } from '../util/assert.ts';
import { StorageError, type ObjectInfo, type PartInfo, type BucketName, type ObjectKey } from './types.ts';

const magic = new TextEncoder().encode('CAIRNOBJ');
export const metaFormatVersion = 1;
export const metaHeaderBytes = 8 + 4 + 4 + 8;
export const metaBytesMax = 4 * 1024 * 1024;
export const userMetaBytesMax = 64 * 1024;

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
  internal: Record<string, string>;
}

export interface StoredMeta {
  metaId: string;
  dataId: string;
  size: number;
  etag: string;
  modTimeMs: number;
  userMeta: Record<string, string>;
  internal: Record<string, string>;
  dataShards: number;
  parityShards: number;
  blockSizeBytes: number;
  /** Which shard (0..K+M-1) of every block this drive holds. */
  shardIndex: number;
  multipart: boolean;
  parts: StoredPart[];
  /** The single part's shard is stored in the metadata file (small objects). */
  inline: boolean;
  /** This drive's inline shard bytes (not part of the JSON); null when not loaded. */
  inlineData?: Uint8Array | null;
}

export function encodeMeta(meta: StoredMeta): Uint8Array {
  const { inlineData, ...fields } = meta;
  const json = new TextEncoder().encode(JSON.stringify(fields));
  const tail = meta.inline ? (inlineData ?? null) : null;
  assert(!meta.inline || tail !== null, 'inline metadata carries its shard');
  const out = new Uint8Array(metaHeaderBytes + json.length + (tail?.length ?? 0));
  out.set(magic, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, metaFormatVersion, true);
  view.setUint32(12, json.length, true);
  view.setBigUint64(16, Bun.hash.xxHash3(json), true);
  out.set(json, metaHeaderBytes);
  if (tail !== null) out.set(tail, metaHeaderBytes + json.length);
  if (out.length > metaBytesMax) throw new StorageError('MetadataTooLarge');
  return out;
}

/** Bytes needed to decode the JSON of a metadata file whose first bytes are given, or null if not metadata. */
export function metaJsonEnd(head: Uint8Array): number | null {
  if (head.length < metaHeaderBytes) return null;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return null;
  return metaHeaderBytes + new DataView(head.buffer, head.byteOffset, metaHeaderBytes).getUint32(12, true);
}

/**
 * Returns null for bytes that are not a valid metadata file (treated as a missing copy).
 * `bytes` may stop after the JSON (listing): inlineData is then null.
 */
export function decodeMeta(bytes: Uint8Array, complete = true): StoredMeta | null {
  const end = metaJsonEnd(bytes);
  if (end === null || bytes.length < end) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, metaHeaderBytes);
  if (view.getUint32(8, true) !== metaFormatVersion) return null;
  const json = bytes.subarray(metaHeaderBytes, end);
  if (view.getBigUint64(16, true) !== Bun.hash.xxHash3(json)) return null;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(json)) as StoredMeta;
    if (typeof parsed.metaId !== 'string' || !Array.isArray(parsed.parts)) return null;
    parsed.inlineData = parsed.inline && complete ? bytes.subarray(end) : null;
    return parsed;
  } catch {
    return null;
  }
}

export function checkUserMetaSize(userMeta: Record<string, string>, internal: Record<string, string>): void {
  let bytes = 0;
  for (const [k, v] of Object.entries(userMeta)) bytes += k.length + v.length;
  for (const [k, v] of Object.entries(internal)) bytes += k.length + v.length;
  if (bytes > userMetaBytesMax) throw new StorageError('MetadataTooLarge');
}

export function toObjectInfo(bucket: BucketName, key: ObjectKey, meta: StoredMeta): ObjectInfo {
  const info: ObjectInfo = {
    bucket,
    key,
    size: meta.size,
    etag: meta.etag,
    modTimeMs: meta.modTimeMs,
    userMeta: { ...meta.userMeta },
    internal: { ...meta.internal },
  };
  if (meta.multipart) info.parts = meta.parts.map((p): PartInfo => ({ partNumber: p.partNumber, size: p.size, etag: p.etag, internal: { ...p.internal } }));
  return info;
}

/**
 * One drive's answer: its metadata copy, 'missing' (no copy), 'corrupt' (a copy
 * that does not decode: bit rot or a torn file) or 'error' (drive failed).
 */
export type MetaAnswer = StoredMeta | 'missing' | 'corrupt' | 'error';

export interface QuorumMeta {
  meta: StoredMeta;
  /** Drive indices whose copy describes the same data (dataId). */
  holders: number[];
}

export type QuorumResult = { kind: 'found'; value: QuorumMeta } | { kind: 'absent' } | { kind: 'lost' };

/**
 * Picks the object version that at least readQuorum drives agree on. 'absent'
 * means enough drives answered and no version has quorum (never written, deleted,
 * or a put that crashed before quorum); 'lost' means too few drives answered.
 */
export function pickQuorum(answers: readonly MetaAnswer[], readQuorum: number): QuorumResult {
  assert(readQuorum >= 1, 'read quorum');
  const byData = new Map<string, number[]>();
  let answered = 0;
  answers.forEach((a, i) => {
    // A corrupt copy says an object is there but not which: it must not count towards "absent".
    if (a === 'error' || a === 'corrupt') return;
    answered++;
    if (a === 'missing') return;
    const list = byData.get(a.dataId) ?? [];
    list.push(i);
    byData.set(a.dataId, list);
  });
  let best: QuorumMeta | null = null;
  for (const holders of byData.values()) {
    if (holders.length < readQuorum) continue;
    const meta = newestCopy(answers, holders);
    if (best === null || meta.modTimeMs > best.meta.modTimeMs || (meta.modTimeMs === best.meta.modTimeMs && meta.metaId > best.meta.metaId)) {
      best = { meta, holders };
    }
  }
  if (best !== null) return { kind: 'found', value: best };
  return answered >= readQuorum ? { kind: 'absent' } : { kind: 'lost' };
}

/** Among copies of the same data, the metadata rewrite that most drives hold wins; ties are broken by id so every reader picks the same copy. */
function newestCopy(answers: readonly MetaAnswer[], holders: readonly number[]): StoredMeta {
  const counts = new Map<string, { meta: StoredMeta; count: number }>();
  for (const i of holders) {
    const m = answers[i] as StoredMeta;
    const entry = counts.get(m.metaId) ?? { meta: m, count: 0 };
    entry.count++;
    counts.set(m.metaId, entry);
  }
  let best: { meta: StoredMeta; count: number } | null = null;
  for (const e of counts.values()) {
    if (best === null || e.count > best.count || (e.count === best.count && e.meta.metaId > best.meta.metaId)) best = e;
  }
  assert(best !== null, 'holders not empty');
  return best.meta;
}
