// Bucket and key validation at the edge: only these functions create BucketName/ObjectKey.
import { S3Error } from './errors.ts';
import type { BucketName, ObjectKey, UploadId } from '../storage/types.ts';

export const keyBytesMax = 1024;
/** Bucket names served by Cairn itself (the /cairn/ prefix), never creatable. */
export const reservedBucketNames: ReadonlySet<string> = new Set(['cairn']);

const bucketCharsRe = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ipv4Re = /^\d{1,3}(\.\d{1,3}){3}$/;
const forbiddenPrefixes = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const forbiddenSuffixes = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why a name breaks AWS's general-purpose bucket naming rules, or undefined if it is fine. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'Bucket names must be between 3 and 63 characters long.';
  if (!bucketCharsRe.test(name)) return 'Bucket names can consist only of lowercase letters, numbers, dots and hyphens, and must begin and end with a letter or number.';
  if (name.includes('..')) return 'Bucket names must not contain two adjacent periods.';
  if (name.includes('.-') || name.includes('-.')) return 'Bucket names must not contain a period next to a hyphen.';
  if (ipv4Re.test(name)) return 'Bucket names must not be formatted as an IP address.';
  if (forbiddenPrefixes.some((p) => name.startsWith(p))) return 'Bucket names must not start with a reserved prefix.';
  if (forbiddenSuffixes.some((s) => name.endsWith(s))) return 'Bucket names must not end with a reserved suffix.';
  if (reservedBucketNames.has(name)) return `The bucket name ${name} is reserved.`;
  return undefined;
}

export function toBucketName(name: string): BucketName {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) throw new S3Error('InvalidBucketName', problem, { BucketName: name });
  return name as BucketName;
}

export function toObjectKey(key: string): ObjectKey {
  if (key.length === 0) throw new S3Error('InvalidArgument', 'Object keys must be at least one byte long.');
  if (Buffer.byteLength(key, 'utf8') > keyBytesMax) throw new S3Error('KeyTooLongError', undefined, { MaxSizeAllowed: String(keyBytesMax) });
  return key as ObjectKey;
}

const uploadIdRe = /^[A-Za-z0-9._~-]{1,256}$/;

/** Upload ids are opaque to clients; anything not shaped like ours cannot exist. */
export function toUploadId(id: string): UploadId {
  if (!uploadIdRe.test(id)) throw new S3Error('NoSuchUpload', undefined, { UploadId: id });
  return id as UploadId;
}
