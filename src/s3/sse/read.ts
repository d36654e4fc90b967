// Reading an encrypted object back as plaintext: a plaintext range maps to the packages
// that hold it (per part for multipart objects, each part its own stream under its part
// key), and only those are read and decrypted. A stream that fails authentication errors,
// which ends the response early: clients never get wrong bytes.
import * as sse from '../../crypto/index.ts';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../storage/types.ts';
import { S3Error } from '../errors.ts';

/**
 * Storage hands each chunk of a read over (fresh per request, read by nothing else), so
 * the decrypt stage writes the plaintext into it instead of allocating per package.
 */
const handedOver = { reuseInput: true } as const;

const emptyStream = (): ReadableStream<Uint8Array> => new ReadableStream({ start: (c) => c.close() });

/** Plaintext sizes of an encrypted object and its parts (stored sizes are deterministic). */
export function plainSizes(info: ObjectInfo): { size: number; partSizes: number[] | undefined } {
  const stored = info.parts?.map((p) => p.size);
  return { size: sse.plainSizeOfObject(info.size, stored), partSizes: stored === undefined ? undefined : sse.partPlainSizes(stored) };
}

/** Reads stored bytes of the object as it was when planned: a concurrent overwrite is refused before any byte is sent. */
async function storedRange(store: ObjectStore, info: ObjectInfo, offset: number, length: number): Promise<ReadableStream<Uint8Array>> {
  const got = await store.get(info.bucket, info.key, { offset, length });
  if (got.info.etag !== info.etag || got.info.modTimeMs !== info.modTimeMs) {
    await got.stream.cancel().catch(() => undefined);
    throw new S3Error('InternalError', 'The object changed while it was being read. Please retry.');
  }
  return got.stream;
}

/** A single-part object: one package stream under the object key. */
export async function openSingle(store: ObjectStore, info: ObjectInfo, objectKey: Uint8Array, plainSize: number, range: ByteRange | undefined): Promise<ReadableStream<Uint8Array>> {
  const r = range === undefined ? sse.wholeStream(plainSize) : sse.mapRange(range.offset, range.length, plainSize);
  if (r.packageCount === 0) return emptyStream();
  const stored = await storedRange(store, info, r.storedOffset, r.storedLength);
  return sse.decryptRange(stored, objectKey, r, handedOver);
}

export function decodeSingle(stored: ReadableStream<Uint8Array>, objectKey: Uint8Array, plainSize: number): ReadableStream<Uint8Array> {
  return sse.decryptRange(stored, objectKey, sse.wholeStream(plainSize), handedOver);
}

/**
 * A multipart object: the range's share of each part, read and decrypted one part after
 * another. The object key is needed until the last part is opened; `release` wipes it.
 */
export async function openMultipart(store: ObjectStore, info: ObjectInfo, objectKey: Uint8Array, partSizes: readonly number[], range: ByteRange | undefined, release: () => void): Promise<ReadableStream<Uint8Array>> {
  const total = partSizes.reduce((a, b) => a + b, 0);
  const r = range ?? { offset: 0, length: total };
  const segments = sse.mapMultipartRange(r.offset, r.length, partSizes);
  const parts = info.parts ?? [];
  const openSegment = async (i: number): Promise<ReadableStream<Uint8Array>> => {
    const seg = segments[i]!;
    const part = parts[seg.partIndex];
    if (part === undefined) throw new S3Error('InternalError', 'object part list is inconsistent');
    const stored = await storedRange(store, info, seg.partStoredOffset + seg.storedOffset, seg.storedLength);
    const partKey = sse.partKey(objectKey, part.partNumber);
    try {
      return sse.decryptRange(stored, partKey, seg, handedOver);
    } finally {
      sse.wipe(partKey); // the decrypt stage holds its own copy
    }
  };
  if (segments.length === 0) {
    release();
    return emptyStream();
  }
  // The first part is opened now, so storage errors still become a proper S3 error answer.
  let current: ReadableStream<Uint8Array> | undefined;
  try {
    current = await openSegment(0);
  } catch (e) {
    release();
    throw e;
  }
  async function* all(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; i < segments.length; i++) {
        const stream = current ?? (await openSegment(i));
        current = undefined;
        if (i === segments.length - 1) release();
        yield* stream;
      }
    } finally {
      release();
    }
  }
  return fromIterator(all());
}

/** A pull-based stream over an async iterator; cancelling it returns the iterator (its finally blocks run). */
export function fromIterator(it: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await it.return?.(undefined);
    },
  });
}
