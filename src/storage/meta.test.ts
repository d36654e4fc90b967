import { expect, test } from 'bun:test';
import { decodeMeta, encodeMeta, pickQuorum, type MetaAnswer, type StoredMeta } from './meta.ts';

function meta(dataId: string, metaId: string, modTimeMs: number): StoredMeta {
  return {
    metaId, dataId, size: 1, etag: 'e', modTimeMs, userMeta: {}, internal: {}, dataShards: 2, parityShards: 2,
    blockSizeBytes: 1 << 20, shardIndex: 0, multipart: false, parts: [], inline: false, inlineData: null,
  };
}

test('metadata round-trips and rejects damage', () => {
  const m = { ...meta('d', 'm', 5), inline: true, inlineData: new Uint8Array([1, 2, 3]) };
  const bytes = encodeMeta(m);
  const back = decodeMeta(bytes)!;
  expect(back.dataId).toBe('d');
  expect(Array.from(back.inlineData!)).toEqual([1, 2, 3]);
  expect(decodeMeta(bytes, false)!.inlineData).toBeNull();
  const flipped = bytes.slice();
  flipped[40] = flipped[40]! ^ 1;
  expect(decodeMeta(flipped)).toBeNull();
  expect(decodeMeta(bytes.subarray(0, 30))).toBeNull();
});

test('quorum picks the version K drives agree on', () => {
  const a = meta('A', 'a1', 10);
  const b = meta('B', 'b1', 20);
  // 2+2: new version on 2 drives, old on 2: both readable, the newer wins.
  const both: MetaAnswer[] = [a, a, b, b];
  const r1 = pickQuorum(both, 2);
  expect(r1.kind === 'found' && r1.value.meta.dataId).toBe('B');
  // A put that reached one drive before a crash is invisible.
  expect(pickQuorum([b, 'missing', 'missing', 'missing'], 2)).toEqual({ kind: 'absent' });
  // Too few answers: cannot tell.
  expect(pickQuorum([b, 'error', 'error', 'error'], 2)).toEqual({ kind: 'lost' });
  // A metadata-only rewrite interrupted half-way: same data, the majority copy wins.
  const a2 = meta('A', 'a2', 10);
  const r2 = pickQuorum([a, a2, a2, 'missing'], 2);
  expect(r2.kind === 'found' && r2.value.meta.metaId).toBe('a2');
  expect(r2.kind === 'found' && r2.value.holders).toEqual([0, 1, 2]);
});
