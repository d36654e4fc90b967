// Bucket ownership. Every user is an account of its own, as on AWS: a bucket belongs to
// the user who created it, and only that user (and root, who administers everything)
// can use it or its objects. Others get AccessDenied; a bucket that does not exist is
// NoSuchBucket for everyone. Buckets root created, and buckets from before owners were
// recorded, belong to root.
import { createHash } from 'node:crypto';
import type { BucketName } from '../storage/types.ts';
import type { S3Deps } from './context.ts';
import { S3Error } from './errors.ts';

/** Bucket setting holding the owner's access key (absent: root). */
export const ownerSettingName = 'owner';

export interface Owner {
  id: string;
  displayName: string;
}

export interface Requester {
  accessKey: string;
  isRoot: boolean;
}

/** Settings a new bucket starts with: who owns it. */
export function ownerSettings(requester: Requester): Record<string, string> {
  return requester.isRoot ? {} : { [ownerSettingName]: requester.accessKey };
}

/** The canonical owner shown for a user (root keeps the deployment's owner id). */
export function ownerOfKey(deps: Pick<S3Deps, 'owner'>, accessKey: string | undefined): Owner {
  if (accessKey === undefined) return deps.owner;
  return { id: createHash('sha256').update(`cairn-user\0${accessKey}`).digest('hex'), displayName: accessKey };
}

export function requesterOwner(deps: Pick<S3Deps, 'owner'>, requester: Requester): Owner {
  return ownerOfKey(deps, requester.isRoot ? undefined : requester.accessKey);
}

/** The owner's access key (undefined: root). Throws NoSuchBucket for a missing bucket. */
export async function bucketOwnerKey(deps: Pick<S3Deps, 'store'>, bucket: BucketName): Promise<string | undefined> {
  return (await deps.store.getBucketMeta(bucket)).settings[ownerSettingName];
}

export async function bucketOwner(deps: Pick<S3Deps, 'store' | 'owner'>, bucket: BucketName): Promise<Owner> {
  return ownerOfKey(deps, await bucketOwnerKey(deps, bucket));
}

export function owns(ownerKey: string | undefined, requester: Requester): boolean {
  return ownerKey === undefined ? requester.isRoot : !requester.isRoot && ownerKey === requester.accessKey;
}

/** Root, or the bucket's owner; anyone else is refused. Missing buckets stay NoSuchBucket. */
export async function checkBucketAccess(deps: Pick<S3Deps, 'store'>, bucket: BucketName, requester: Requester): Promise<void> {
  if (requester.isRoot) return;
  if (!owns(await bucketOwnerKey(deps, bucket), requester)) throw new S3Error('AccessDenied');
}
