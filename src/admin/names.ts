// Bucket names in admin paths and bodies, checked before they become BucketName.
import type { BucketName } from '../storage/types.ts';

const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3 naming rules; `cairn` is reserved for Cairn's own routes. */
export function isBucketName(name: string): boolean {
  return bucketPattern.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name) && name !== 'cairn';
}

export function toBucketName(name: string): BucketName | undefined {
  return isBucketName(name) ? (name as BucketName) : undefined;
}
