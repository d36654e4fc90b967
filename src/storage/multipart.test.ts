import { afterAll, expect, test } from 'bun:test';
import { b, bodyOf, k, openTestStore, plain, randomBytes, readAll, sha, tempDrives, type TempDrives } from './test-helpers.ts';
import { fixedClock } from '../util/clock.ts';
import type { UploadId } from './types.ts';

const mib = 1024 * 1024;
const temps: TempDrives[] = [];
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });

async function fresh(extra = {}) {
  const t = await tempDrives(4);
  temps.push(t);
  const store = await openTestStore(t.paths, extra);
  await store.makeBucket(b('bkt'));
  return store;
}

test('multipart upload: parts, listing, complete assembles in order', async () => {
  const store = await fresh();
  const id = await store.createUpload(b('bkt'), k('mp'), { userMeta: { 'content-type': 'x/y' }, internal: { sse: '1' } });
  const p1 = randomBytes(5 * mib, 1);
  const p2 = randomBytes(5 * mib + 3, 2);
  const p3 = randomBytes(1234, 3);
  const i2 = await store.putPart(b('bkt'), k('mp'), id, 2, bodyOf(p2), { internal: { plain: '2' }, md5: true });
  const i1 = await store.putPart(b('bkt'), k('mp'), id, 1, bodyOf(randomBytes(7, 9)), { internal: {}, md5: true });
  const i1b = await store.putPart(b('bkt'), k('mp'), id, 1, bodyOf(p1), { internal: {}, md5: true });
  expect(i1b.etag).not.toBe(i1.etag);
  const i3 = await store.putPart(b('bkt'), k('mp'), id, 3, bodyOf(p3), { internal: {}, md5: true });
  const listed = await store.listParts(b('bkt'), k('mp'), id, 0, 2);
  expect(listed.parts.map((p) => p.partNumber)).toEqual([1, 2]);
  expect(listed.isTruncated).toBe(true);
  expect((await store.listParts(b('bkt'), k('mp'), id, 2, 10)).parts.map((p) => p.partNumber)).toEqual([3]);
  expect((await store.listUploads(b('bkt'), { prefix: '', keyMarker: '', uploadIdMarker: '', maxUploads: 10 })).uploads.map((u) => u.uploadId)).toEqual([id]);
  await expect(store.completeUpload(b('bkt'), k('mp'), id, [{ partNumber: 2, etag: i2.etag }, { partNumber: 1, etag: i1b.etag }], {})).rejects.toMatchObject({ code: 'InvalidPartOrder' });
  await expect(store.completeUpload(b('bkt'), k('mp'), id, [{ partNumber: 1, etag: i1.etag }], {})).rejects.toMatchObject({ code: 'InvalidPart' });
  await expect(store.completeUpload(b('bkt'), k('mp'), id, [{ partNumber: 3, etag: i3.etag }, { partNumber: 4, etag: 'x' }], {})).rejects.toMatchObject({ code: 'InvalidPart' });
  const small = await store.createUpload(b('bkt'), k('small'), { userMeta: {}, internal: {} });
  const s1 = await store.putPart(b('bkt'), k('small'), small, 1, bodyOf(p3), { internal: {}, md5: true });
  const s2 = await store.putPart(b('bkt'), k('small'), small, 2, bodyOf(p3), { internal: {}, md5: true });
  await expect(store.completeUpload(b('bkt'), k('small'), small, [{ partNumber: 1, etag: s1.etag }, { partNumber: 2, etag: s2.etag }], {})).rejects.toMatchObject({ code: 'EntityTooSmall' });
  const info = await store.completeUpload(b('bkt'), k('mp'), id, [{ partNumber: 1, etag: `"${i1b.etag}"` }, { partNumber: 2, etag: i2.etag }, { partNumber: 3, etag: i3.etag }], {});
  expect(info.etag).toMatch(/^[0-9a-f]{32}-3$/);
  expect(info.parts?.map((p) => p.size)).toEqual([p1.length, p2.length, p3.length]);
  expect(info.parts?.[1]?.internal.plain).toBe('2');
  const all = new Uint8Array(p1.length + p2.length + p3.length);
  all.set(p1, 0);
  all.set(p2, p1.length);
  all.set(p3, p1.length + p2.length);
  const got = await store.get(b('bkt'), k('mp'));
  expect(got.info.userMeta['content-type']).toBe('x/y');
  expect(sha(await readAll(got.stream))).toBe(sha(all));
  const ranged = await store.get(b('bkt'), k('mp'), { offset: p1.length - 10, length: p2.length + 20 });
  expect(sha(await readAll(ranged.stream))).toBe(sha(all.subarray(p1.length - 10, p1.length + p2.length + 10)));
  await expect(store.getUpload(b('bkt'), k('mp'), id)).rejects.toMatchObject({ code: 'NoSuchUpload' });
  await store.abortUpload(b('bkt'), k('small'), small);
  expect((await store.listUploads(b('bkt'), { prefix: '', keyMarker: '', uploadIdMarker: '', maxUploads: 10 })).uploads).toHaveLength(0);
  await expect(store.putPart(b('bkt'), k('mp'), 'zz' as UploadId, 1, bodyOf(p3), { internal: {}, md5: true })).rejects.toMatchObject({ code: 'NoSuchUpload' });
  await store.close();
});

test('stale uploads are removed by the scan', async () => {
  const clock = fixedClock(1_000_000);
  const store = await fresh({ clock, staleUploadAgeMs: 60_000 });
  const old = await store.createUpload(b('bkt'), k('old'), { userMeta: {}, internal: {} });
  clock.advanceMs(120_000);
  const young = await store.createUpload(b('bkt'), k('young'), { userMeta: {}, internal: {} });
  await store.healAll();
  const left = (await store.listUploads(b('bkt'), { prefix: '', keyMarker: '', uploadIdMarker: '', maxUploads: 10 })).uploads.map((u) => u.uploadId);
  expect(left).toEqual([young]);
  expect(left).not.toContain(old);
  await store.close();
});

test('an empty part is stored, listed, and completes as the last part', async () => {
  const store = await fresh();
  const id = await store.createUpload(b('bkt'), k('empty-tail'), { userMeta: {}, internal: {} });
  const p1 = randomBytes(5 * mib, 4);
  const i1 = await store.putPart(b('bkt'), k('empty-tail'), id, 1, bodyOf(p1), { internal: {}, md5: true });
  const i2 = await store.putPart(b('bkt'), k('empty-tail'), id, 2, bodyOf(new Uint8Array(0)), { internal: {}, md5: true });
  expect(i2.size).toBe(0);
  expect(i2.etag).toBe('d41d8cd98f00b204e9800998ecf8427e');
  const info = await store.completeUpload(b('bkt'), k('empty-tail'), id, [{ partNumber: 1, etag: i1.etag }, { partNumber: 2, etag: i2.etag }], {});
  expect(info.size).toBe(5 * mib);
  const got = await store.get(b('bkt'), k('empty-tail'));
  expect(sha(await readAll(got.stream))).toBe(sha(p1));
});

test('listed parts carry their own upload time, not the upload start', async () => {
  const clock = fixedClock(1_000_000);
  const store = await fresh({ clock });
  const id = await store.createUpload(b('bkt'), k('timed'), { userMeta: {}, internal: {} });
  clock.advanceMs(60_000);
  await store.putPart(b('bkt'), k('timed'), id, 1, bodyOf(randomBytes(100, 1)), { internal: {}, md5: true });
  clock.advanceMs(60_000);
  await store.putPart(b('bkt'), k('timed'), id, 2, bodyOf(randomBytes(100, 2)), { internal: {}, md5: true });
  const listed = await store.listParts(b('bkt'), k('timed'), id, 0, 10);
  expect(listed.parts.map((p) => p.modTimeMs)).toEqual([1_060_000, 1_120_000]);
  expect((await store.getUpload(b('bkt'), k('timed'), id)).initiatedMs).toBe(1_000_000);
});
