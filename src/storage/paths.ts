// Maps buckets, object keys and system names to paths inside a drive.
// Keys become one directory level per '/'-segment; each level name starts with
// '_' (segment ends here) or '+' (segment continues: long segments are cut into
// pieces of at most chunkBytesMax), so '.', '..', '' and 300-byte segments are all
// safe names and no key can climb out of its bucket directory.
import { assert } from '../util/assert.ts';
import { StorageError } from './types.ts';

export const sysDir = '.cairn.sys';
export const tmpDir = `${sysDir}/tmp`;
/** What waits for the reaper (reaper.ts): removed data, moved here so its directory is clean at once. */
export const trashDir = `${sysDir}/trash`;
export const formatFile = `${sysDir}/format.json`;
export const systemDocsDir = `${sysDir}/system`;
export const multipartDir = `${sysDir}/multipart`;
export const bucketsDir = 'buckets';
export const bucketMetaName = 'bucket.meta';
export const objectsDirName = 'objects';
export const objectMetaName = 'meta';
export const keyBytesMax = 1024;
const chunkBytesMax = 80;

const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const textEncoder = new TextEncoder();

export function checkBucketName(bucket: string): void {
  // The S3 layer validates names; storage re-checks so no path trick can pass.
  if (!bucketPattern.test(bucket) || bucket.includes('..')) throw new StorageError('NoSuchBucket', 'invalid bucket name');
}

export function checkKey(key: string): void {
  const bytes = textEncoder.encode(key).length;
  if (bytes < 1 || bytes > keyBytesMax) throw new StorageError('NoSuchKey', 'invalid key length');
}

export function bucketRel(bucket: string): string {
  checkBucketName(bucket);
  return `${bucketsDir}/${bucket}`;
}

export function objectsRootRel(bucket: string): string {
  return `${bucketRel(bucket)}/${objectsDirName}`;
}

function escapeChunk(chunk: string): string {
  return chunk.replace(/[%\0]/g, (c) => (c === '%' ? '%25' : '%00'));
}

export function unescapeName(name: string): string {
  return name.slice(1).replace(/%(25|00)/g, (_m, hex: string) => (hex === '25' ? '%' : '\0'));
}

/** Splits one '/'-free segment into level names. */
function segmentNames(segment: string): string[] {
  const names: string[] = [];
  let chunk = '';
  let chunkBytes = 0;
  for (const ch of segment) {
    const b = textEncoder.encode(ch).length;
    if (chunkBytes + b > chunkBytesMax) {
      names.push('+' + escapeChunk(chunk));
      chunk = '';
      chunkBytes = 0;
    }
    chunk += ch;
    chunkBytes += b;
  }
  names.push('_' + escapeChunk(chunk));
  return names;
}

/** Directory (relative to the drive) that holds the object's metadata and data files. */
export function objectRel(bucket: string, key: string): string {
  checkKey(key);
  const names = key.split('/').flatMap(segmentNames);
  for (const n of names) assert(n.length > 1 || n === '_', 'level name');
  return `${objectsRootRel(bucket)}/${names.join('/')}`;
}

/** Data file of one part of one object version, inside the object directory. */
export function dataFileName(dataId: string, partNumber: number): string {
  return `D${dataId}.${partNumber}`;
}

export function isLevelName(name: string): boolean {
  return name.startsWith('_') || name.startsWith('+');
}

/** System document names may be anything; store them hex-encoded. */
export function systemDocRel(name: string): string {
  assert(name.length > 0 && name.length <= 100, 'system doc name length');
  return `${systemDocsDir}/${Buffer.from(name, 'utf8').toString('hex')}`;
}

export function uploadRel(bucket: string, uploadId: string): string {
  checkBucketName(bucket);
  assert(/^[0-9a-f]{32}$/.test(uploadId), 'upload id shape');
  return `${multipartDir}/${bucket}/${uploadId}`;
}

/** Compare strings in UTF-8 byte order (JS `<` compares UTF-16 code units). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800) ca = ca <= 0xdfff ? ca + 0x2000 : ca - 0x800;
    if (cb >= 0xd800) cb = cb <= 0xdfff ? cb + 0x2000 : cb - 0x800;
    return ca - cb;
  }
  return a.length - b.length;
}
