// Size and range arithmetic between plaintext bytes and DARE package streams,
// so a ranged GET reads and decrypts only the packages that hold its bytes.
import { assert } from '../util/assert.ts';
import { Dare } from './format.ts';
import { CryptoError } from './errors.ts';

/** Stored bytes of a stream carrying `plainBytes`. An empty plaintext is an empty stream (as in sio). */
export function encryptedSize(plainBytes: number): number {
  assert(Number.isSafeInteger(plainBytes) && plainBytes >= 0, 'encryptedSize: bad size');
  return plainBytes + packageCountOf(plainBytes) * Dare.overheadBytes;
}

/** Number of packages in a stream carrying `plainBytes`. */
export function packageCountOf(plainBytes: number): number {
  return Math.ceil(plainBytes / Dare.payloadBytesMax);
}

/** Inverse of encryptedSize. Throws CryptoError for a size no DARE stream can have. */
export function plainSizeFromEncrypted(storedBytes: number): number {
  assert(Number.isSafeInteger(storedBytes) && storedBytes >= 0, 'plainSizeFromEncrypted: bad size');
  const fullPackages = Math.floor(storedBytes / Dare.packageBytesMax);
  const restBytes = storedBytes % Dare.packageBytesMax;
  if (restBytes === 0) return fullPackages * Dare.payloadBytesMax;
  if (restBytes < Dare.packageBytesMin) throw new CryptoError('InvalidSize', 'stored size is not a valid package stream');
  return fullPackages * Dare.payloadBytesMax + restBytes - Dare.overheadBytes;
}

/** Where a plaintext range lives in one package stream, and how to cut it out again. */
export interface PackageRange {
  /** Offset of the first needed package in the stored stream. */
  storedOffset: number;
  storedLength: number;
  /** Sequence number of the first needed package. */
  firstSequence: number;
  packageCount: number;
  /** Whether the last needed package is the stream's final package. */
  lastIsFinal: boolean;
  /** Plaintext bytes to drop from the first decrypted package. */
  skipBytes: number;
  /** Plaintext bytes to keep after skipping. */
  takeBytes: number;
  /** Plaintext bytes the range's packages hold in all: a stored stream that disagrees with the size is refused. */
  packagePlainBytes: number;
}

/** Maps `[plainOffset, plainOffset + plainLength)` of a `plainSize`-byte stream to its packages. */
export function mapRange(plainOffset: number, plainLength: number, plainSize: number): PackageRange {
  assert(Number.isSafeInteger(plainSize) && plainSize >= 0, 'mapRange: bad size');
  assert(Number.isSafeInteger(plainOffset) && plainOffset >= 0, 'mapRange: bad offset');
  assert(Number.isSafeInteger(plainLength) && plainLength >= 0, 'mapRange: bad length');
  assert(plainOffset + plainLength <= plainSize, 'mapRange: range past the end');
  if (plainLength === 0) {
    return { storedOffset: 0, storedLength: 0, firstSequence: 0, packageCount: 0, lastIsFinal: false, skipBytes: 0, takeBytes: 0, packagePlainBytes: 0 };
  }
  const firstSequence = Math.floor(plainOffset / Dare.payloadBytesMax);
  const lastSequence = Math.floor((plainOffset + plainLength - 1) / Dare.payloadBytesMax);
  const lastIsFinal = lastSequence === packageCountOf(plainSize) - 1;
  const lastPayloadBytes = lastIsFinal ? plainSize - lastSequence * Dare.payloadBytesMax : Dare.payloadBytesMax;
  return {
    storedOffset: firstSequence * Dare.packageBytesMax,
    storedLength: (lastSequence - firstSequence) * Dare.packageBytesMax + lastPayloadBytes + Dare.overheadBytes,
    firstSequence,
    packageCount: lastSequence - firstSequence + 1,
    lastIsFinal,
    skipBytes: plainOffset - firstSequence * Dare.payloadBytesMax,
    takeBytes: plainLength,
    packagePlainBytes: (lastSequence - firstSequence) * Dare.payloadBytesMax + lastPayloadBytes,
  };
}

/** The whole stream as a range: lets whole-object reads detect truncation to zero packages too. */
export function wholeStream(plainSize: number): PackageRange {
  return mapRange(0, plainSize, plainSize);
}

/** One part's share of a range over a multipart object (each part is its own package stream). */
export interface PartRange extends PackageRange {
  /** Index into the parts array given to mapMultipartRange. */
  partIndex: number;
  /** Offset of this part's first stored byte within the whole stored object. */
  partStoredOffset: number;
}

/**
 * Maps a plaintext range over an object assembled from parts, each encrypted as
 * its own stream, given each part's plaintext size in part order.
 */
export function mapMultipartRange(plainOffset: number, plainLength: number, partPlainSizes: readonly number[]): PartRange[] {
  const out: PartRange[] = [];
  let partPlainStart = 0;
  let partStoredStart = 0;
  const end = plainOffset + plainLength;
  for (let partIndex = 0; partIndex < partPlainSizes.length; partIndex++) {
    const size = partPlainSizes[partIndex]!;
    const partEnd = partPlainStart + size;
    const from = Math.max(plainOffset, partPlainStart);
    const to = Math.min(end, partEnd);
    if (to > from) {
      out.push({ ...mapRange(from - partPlainStart, to - from, size), partIndex, partStoredOffset: partStoredStart });
    }
    partPlainStart = partEnd;
    partStoredStart += encryptedSize(size);
  }
  assert(end <= partPlainStart, 'mapMultipartRange: range past the end');
  return out;
}

/**
 * Plaintext size of a stored encrypted object. A multipart object is one
 * stream per part, so its size is the sum over parts (pass their stored sizes).
 */
export function plainSizeOfObject(storedBytes: number, partStoredSizes?: readonly number[]): number {
  if (partStoredSizes === undefined || partStoredSizes.length === 0) return plainSizeFromEncrypted(storedBytes);
  let plain = 0;
  let stored = 0;
  for (const size of partStoredSizes) {
    plain += plainSizeFromEncrypted(size);
    stored += size;
  }
  if (stored !== storedBytes) throw new CryptoError('InvalidSize', 'part sizes do not add up to the object size');
  return plain;
}

/** Plaintext size of each part, for mapMultipartRange. */
export function partPlainSizes(partStoredSizes: readonly number[]): number[] {
  return partStoredSizes.map(plainSizeFromEncrypted);
}
