// Ordered traversal of a bucket's key tree. Directory levels do not sort like
// keys ('a/b' > 'a-c' although dir 'a' < 'a-c'), so traversal is best-first:
// a heap holds exact keys and unexpanded directories keyed by their string
// prefix (a lower bound of every key below them); popping a key means no
// smaller key remains. Candidates are unverified: callers confirm them by quorum.
import type { Drive } from './drive.ts';
import { MinHeap } from './heap.ts';
import { compareUtf8, isLevelName, objectMetaName, unescapeName } from './paths.ts';

export type WalkItem =
  | { kind: 'key'; key: string }
  | { kind: 'node'; s: string; rel: string; ended: boolean; root: boolean };

export interface WalkFilter {
  prefix: string;
  /** Keys <= marker are skipped. */
  marker: string;
  /** When set, a node whose string already contains the delimiter past the prefix is returned unexpanded. */
  delimiter: string;
}

export type NodeItem = Extract<WalkItem, { kind: 'node' }>;

export function rootNode(rootRel: string): NodeItem {
  return { kind: 'node', s: '', rel: rootRel, ended: false, root: true };
}

function itemString(item: WalkItem): string {
  return item.kind === 'key' ? item.key : item.s;
}

function less(a: WalkItem, b: WalkItem): boolean {
  const c = compareUtf8(itemString(a), itemString(b));
  if (c !== 0) return c < 0;
  return a.kind === 'key' && b.kind === 'node';
}

/** Could any key at or below this node pass the prefix and marker filters? */
function nodeMayMatch(s: string, f: WalkFilter): boolean {
  if (!(s.startsWith(f.prefix) || f.prefix.startsWith(s))) return false;
  if (f.marker !== '' && compareUtf8(s, f.marker) < 0 && !f.marker.startsWith(s)) return false;
  return true;
}

export function collapsesAt(s: string, f: WalkFilter): string | null {
  if (f.delimiter === '' || !s.startsWith(f.prefix)) return null;
  const idx = s.indexOf(f.delimiter, f.prefix.length);
  return idx < 0 ? null : s.slice(0, idx + f.delimiter.length);
}

/** Union of directory entries over the given drives (enough of them that any quorum-held key shows up). */
async function unionEntries(drives: readonly Drive[], rel: string): Promise<string[]> {
  const lists = await Promise.all(drives.map((d) => d.readdir(rel).catch(() => [] as string[])));
  if (lists.length === 1) return lists[0]!;
  return [...new Set(lists.flat())];
}

function childItems(node: Extract<WalkItem, { kind: 'node' }>, entries: readonly string[]): WalkItem[] {
  const out: WalkItem[] = [];
  for (const name of entries) {
    if (name === objectMetaName && node.ended && !node.root) {
      out.push({ kind: 'key', key: node.s });
      continue;
    }
    if (!isLevelName(name)) continue;
    const piece = unescapeName(name);
    const s = node.root ? piece : node.ended ? `${node.s}/${piece}` : node.s + piece;
    out.push({ kind: 'node', s, rel: `${node.rel}/${name}`, ended: name.startsWith('_'), root: false });
  }
  return out;
}

/**
 * Yields candidate keys in UTF-8 order, and (with a delimiter) unexpanded nodes
 * whose keys all share one common prefix. `listDrives` are the drives to read directories from.
 */
export async function* walkTree(listDrives: readonly Drive[], start: NodeItem, f: WalkFilter): AsyncGenerator<WalkItem> {
  const heap = new MinHeap<WalkItem>(less);
  heap.push(start);
  for (;;) {
    const item = heap.pop();
    if (item === undefined) return;
    if (item.kind === 'key') {
      if (item.key.startsWith(f.prefix) && compareUtf8(item.key, f.marker) > 0) yield item;
      continue;
    }
    if (!item.root && !nodeMayMatch(item.s, f)) continue;
    if (!item.root && item !== start && collapsesAt(item.s, f) !== null) {
      yield item;
      continue;
    }
    for (const child of childItems(item, await unionEntries(listDrives, item.rel))) heap.push(child);
  }
}
