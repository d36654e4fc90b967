// Small documents copied whole to every drive (bucket settings, system documents).
// Each copy carries a sequence number and a checksum; the newest valid copy wins,
// and a write must reach the write quorum.
import { confirmMissing, onAllDrives, quorumLost, type StoreContext } from './context.ts';
import { toStorageError } from './drive.ts';
import { StorageError } from './types.ts';

const magic = 'CAIRNDOC';
const docVersion = 1;
const headerBytes = 8 + 4 + 8 + 8;
export const docBytesMax = 16 * 1024 * 1024;

export interface DocRead {
  /** Payload of the newest valid copy, or null when no drive holds one. */
  payload: Uint8Array | null;
  seq: number;
  /** Drives holding a valid copy of that newest version. */
  copies: number;
  /** Drives that answered (held a valid copy or definitely none; a corrupt copy is no answer). */
  answered: number;
  /** Drives whose copy is there but does not decode. */
  corrupt: number;
}

/** The error for a read without enough answers, naming corrupt copies when that is the cause. */
export function unreadable(r: DocRead, what: string): StorageError {
  return r.corrupt > 0 ? new StorageError('QuorumLost', `${what}: not enough readable copies (${r.corrupt} corrupt)`) : quorumLost(what);
}

function encodeDoc(seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerBytes + payload.length);
  out.set(new TextEncoder().encode(magic), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, docVersion, true);
  view.setBigUint64(12, BigInt(seq), true);
  view.setBigUint64(20, Bun.hash.xxHash3(payload), true);
  out.set(payload, headerBytes);
  return out;
}

function decodeDoc(bytes: Uint8Array): { seq: number; payload: Uint8Array } | null {
  if (bytes.length < headerBytes || new TextDecoder().decode(bytes.subarray(0, 8)) !== magic) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(8, true) !== docVersion) return null;
  const payload = bytes.subarray(headerBytes);
  if (view.getBigUint64(20, true) !== Bun.hash.xxHash3(payload)) return null;
  return { seq: Number(view.getBigUint64(12, true)), payload };
}

export async function readDoc(ctx: StoreContext, rel: string): Promise<DocRead> {
  const first = await readDocOnce(ctx, rel);
  if (first.copies >= ctx.readQuorum || first.answered === first.copies) return first;
  // Too few copies: drives that said "no copy" may simply be gone; check, then decide.
  return (await confirmMissing(ctx, first.missing)) ? readDocOnce(ctx, rel) : first;
}

async function readDocOnce(ctx: StoreContext, rel: string): Promise<DocRead & { missing: boolean[] }> {
  const results = await onAllDrives(ctx, (d) => d.readFile(rel));
  const missing = results.map(() => false);
  let best: { seq: number; payload: Uint8Array } | null = null;
  let copies = 0;
  let answered = 0;
  let corrupt = 0;
  for (const [i, r] of results.entries()) {
    if (!r.ok) continue;
    if (r.value === null) {
      answered++;
      missing[i] = true;
      continue;
    }
    const doc = decodeDoc(r.value);
    // A copy that is there but does not decode (bit rot, a torn file) says a document
    // exists without saying which: it must not count as "no document" (that would turn
    // a damaged bucket into NoSuchBucket, or a damaged keystore into an empty one).
    if (doc === null) {
      corrupt++;
      continue;
    }
    answered++;
    if (best === null || doc.seq > best.seq) {
      best = doc;
      copies = 1;
    } else if (doc.seq === best.seq) copies++;
  }
  // Only corrupt copies and no valid one: the document is unreadable, never "absent"
  // (an absent keystore would be started afresh over the damaged one).
  if (best === null && corrupt > 0) answered = 0;
  return { payload: best?.payload ?? null, seq: best?.seq ?? 0, copies, answered, corrupt, missing };
}

export async function writeDoc(ctx: StoreContext, rel: string, seq: number, payload: Uint8Array): Promise<void> {
  if (payload.length > docBytesMax) throw toStorageError(new Error('document too large'));
  const bytes = encodeDoc(seq, payload);
  const results = await onAllDrives(ctx, (d) => d.writeAtomic(rel, bytes));
  const ok = results.filter((r) => r.ok).length;
  if (ok >= ctx.writeQuorum) return;
  const failure = results.find((r) => !r.ok);
  const err = failure && !failure.ok ? toStorageError(failure.err) : quorumLost('write');
  throw err.code === 'DiskFull' || err.code === 'ReadOnly' ? err : quorumLost('write');
}

export async function removeDoc(ctx: StoreContext, rel: string): Promise<number> {
  const results = await onAllDrives(ctx, (d) => d.discard(rel));
  return results.filter((r) => r.ok).length;
}

/** Copies the newest valid version to every online drive that lacks it; returns copies written. */
export async function healDoc(ctx: StoreContext, rel: string): Promise<number> {
  const results = await onAllDrives(ctx, (d) => d.readFile(rel));
  const decoded = results.map((r) => (r.ok && r.value !== null ? decodeDoc(r.value) : null));
  let best: { seq: number; payload: Uint8Array } | null = null;
  for (const d of decoded) if (d !== null && (best === null || d.seq > best.seq)) best = d;
  if (best === null) return 0;
  const bytes = encodeDoc(best.seq, best.payload);
  let written = 0;
  await Promise.all(ctx.drives.map(async (drive, i) => {
    const r = results[i]!;
    const mine = decoded[i];
    if (!r.ok || !drive.online || (mine !== null && mine !== undefined && mine.seq === best.seq)) return;
    try {
      await drive.writeAtomic(rel, bytes);
      written++;
    } catch (err) {
      drive.noteError(err);
    }
  }));
  return written;
}
