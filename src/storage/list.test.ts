import { afterAll, expect, test } from 'bun:test';
import { seededRandom } from '../util/random.ts';
import { compareUtf8 } from './paths.ts';
import { b, bodyOf, k, openTestStore, plain, tempDrives, type TempDrives } from './test-helpers.ts';
import type { ListOptions } from './types.ts';

const temps: TempDrives[] = [];
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });

const rnd = seededRandom(7);
const pick = <T>(xs: readonly T[]): T => xs[rnd.bytes(1)[0]! % xs.length]!;
const pieces = ['a', 'b', '/', '/', '-', '.', '..', 'é', '\u{1F600}', '\uFFFD', 'x'.repeat(79), 'y'.repeat(81), '%', ' '];

function randomKey(): string {
  let key = '';
  const n = 1 + (rnd.bytes(1)[0]! % 6);
  for (let i = 0; i < n; i++) key += pick(pieces);
  return key;
}

/** The model: what a correct listing returns, from a sorted array of keys. */
function modelList(sorted: readonly string[], o: ListOptions): { keys: string[]; prefixes: string[]; truncated: boolean; next: string } {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let next = '';
  for (const key of sorted) {
    if (!key.startsWith(o.prefix) || compareUtf8(key, o.marker) <= 0) continue;
    const idx = o.delimiter === '' ? -1 : key.indexOf(o.delimiter, o.prefix.length);
    const cp = idx < 0 ? null : key.slice(0, idx + o.delimiter.length);
    if (cp !== null && (cp === prefixes.at(-1) || compareUtf8(cp, o.marker) <= 0)) continue;
    if (keys.length + prefixes.length === o.maxKeys) return { keys, prefixes, truncated: true, next };
    if (cp === null) keys.push(key);
    else prefixes.push(cp);
    next = cp ?? key;
  }
  return { keys, prefixes, truncated: false, next };
}

test('listing matches a sorted in-memory model on random keys, prefixes and delimiters', async () => {
  const t = await tempDrives(4);
  temps.push(t);
  const store = await openTestStore(t.paths);
  await store.makeBucket(b('bkt'));
  const live = new Set<string>();
  for (let i = 0; i < 160; i++) {
    const key = randomKey();
    await store.put(b('bkt'), k(key), bodyOf(new Uint8Array(0)), plain);
    live.add(key);
  }
  for (const key of [...live].slice(0, 30)) {
    await store.delete(b('bkt'), k(key));
    live.delete(key);
  }
  const sorted = [...live].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  expect(sorted.map((x) => x)).toEqual([...live].sort(compareUtf8));
  for (let trial = 0; trial < 60; trial++) {
    const base = pick(sorted);
    const prefix = trial % 5 === 0 ? '' : base.slice(0, rnd.bytes(1)[0]! % (base.length + 1));
    const delimiter = pick(['', '/', '/', 'a', '..', 'é']);
    const maxKeys = pick([1, 2, 3, 7, 1000]);
    const initialMarker = trial % 3 === 0 ? pick(sorted).slice(0, 3) : '';
    let marker = initialMarker;
    const seenKeys: string[] = [];
    const seenPrefixes: string[] = [];
    for (let page = 0; page < 500; page++) {
      const opts = { prefix, delimiter, marker, maxKeys };
      const got = await store.list(b('bkt'), opts);
      const want = modelList(sorted, opts);
      expect({ keys: got.objects.map((o): string => o.key), prefixes: got.commonPrefixes, truncated: got.isTruncated }).toEqual({ keys: want.keys, prefixes: want.prefixes, truncated: want.truncated });
      seenKeys.push(...want.keys);
      seenPrefixes.push(...want.prefixes);
      if (!got.isTruncated) break;
      expect(got.nextMarker).toBe(want.next);
      marker = got.nextMarker;
    }
    const all = modelList(sorted, { prefix, delimiter, marker: initialMarker, maxKeys: 100000 });
    expect({ k: seenKeys, p: seenPrefixes }).toEqual({ k: all.keys, p: all.prefixes });
  }
  const walked: string[] = [];
  for await (const info of store.walk(b('bkt'))) walked.push(info.key);
  expect(walked).toEqual(sorted);
  await store.close();
}, 60_000);
