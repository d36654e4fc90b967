// Shard-file format: every shard block is [xxHash3-64 LE (8 bytes)][shard bytes].
// Full blocks all have the same shard size, so block b starts at b * (8 + shardSize).
import { assert } from '../util/assert.ts';

export const hashBytes = 8;
export const blockSizeBytesDefault = 1024 * 1024;

export function writeHash(slot: Uint8Array, shardBytes: number): void {
  const view = new DataView(slot.buffer, slot.byteOffset, hashBytes);
  view.setBigUint64(0, Bun.hash.xxHash3(slot.subarray(hashBytes, hashBytes + shardBytes)), true);
}

export function checkHash(slot: Uint8Array, shardBytes: number): boolean {
  if (slot.length < hashBytes + shardBytes) return false;
  const view = new DataView(slot.buffer, slot.byteOffset, hashBytes);
  return view.getBigUint64(0, true) === Bun.hash.xxHash3(slot.subarray(hashBytes, hashBytes + shardBytes));
}

/** Geometry of one erasure-coded stream (one part) of sizeBytes. */
export interface PartGeometry {
  sizeBytes: number;
  blockSizeBytes: number;
  dataShards: number;
}

export function blockCount(g: PartGeometry): number {
  return Math.ceil(g.sizeBytes / g.blockSizeBytes);
}

export function fullShardBytes(g: PartGeometry): number {
  return Math.ceil(g.blockSizeBytes / g.dataShards);
}

/** Bytes of block b and of each of its shards. */
export function blockShape(g: PartGeometry, block: number): { blockBytes: number; shardBytes: number } {
  const blockBytes = Math.min(g.blockSizeBytes, g.sizeBytes - block * g.blockSizeBytes);
  assert(blockBytes > 0, 'block index in range');
  return { blockBytes, shardBytes: Math.ceil(blockBytes / g.dataShards) };
}

export function shardBlockOffset(g: PartGeometry, block: number): number {
  return block * (hashBytes + fullShardBytes(g));
}

/** Total size of one shard file for the part. */
export function shardFileBytes(g: PartGeometry): number {
  const blocks = blockCount(g);
  if (blocks === 0) return 0;
  return shardBlockOffset(g, blocks - 1) + hashBytes + blockShape(g, blocks - 1).shardBytes;
}
