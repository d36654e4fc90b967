// Bucket operations: list, create (name rules, LocationConstraint), head, delete, location,
// and the read-only bucket sub-resources that have one honest answer without configuration.
import { S3Error } from '../errors.ts';
import { StorageError } from '../../storage/types.ts';
import { el, type XmlElement } from '../xml/writer.ts';
import { isoTime } from '../xml/writer.ts';
import { parseCreateBucketConfiguration, parsePublicAccessBlock, publicAccessBlockFlags, type PublicAccessBlock } from '../xml/bodies.ts';
import { emptyResponse, xmlResponse } from '../response.ts';
import { drainBody, ownerElement, readXmlBody } from './common.ts';
import { bucketHandler, serviceHandler, type Handler } from './types.ts';
import { bucketOwner, bucketOwnerKey, ownerSettings, owns, requesterOwner } from '../owners.ts';
import type { BucketName } from '../../storage/types.ts';
import type { BucketContext, S3Deps } from '../context.ts';

const allowedAcls = new Set(['private', 'bucket-owner-full-control', 'bucket-owner-read']);

/** Canned ACLs that grant access beyond the owner: what a public access block refuses. */
const publicAcls = new Set(['public-read', 'public-read-write', 'authenticated-read']);

/**
 * checkCannedAcl for a request on an existing bucket: where the bucket's public access
 * block has BlockPublicAcls, a public ACL is refused as AWS refuses it (403), not as
 * unsupported (501).
 */
export async function checkCannedAclOn(deps: S3Deps, bucket: BucketName, headers: Headers): Promise<void> {
  try {
    checkCannedAcl(headers);
  } catch (e) {
    const acl = headers.get('x-amz-acl')?.trim() ?? '';
    if (publicAcls.has(acl) && (await publicAccessBlockOf(deps, bucket))?.BlockPublicAcls === true) {
      throw new S3Error('AccessDenied', 'Access Denied: the bucket\'s public access block refuses public ACLs.');
    }
    throw e;
  }
}

/** Only the owner ever has access; a canned ACL that grants others cannot be honoured. */
export function checkCannedAcl(headers: Headers): void {
  const acl = headers.get('x-amz-acl');
  if (acl !== null && !allowedAcls.has(acl.trim())) throw new S3Error('NotImplemented', `The canned ACL ${acl} is not supported; objects are private to the owner.`);
  for (const name of ['x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control']) {
    if (headers.has(name)) throw new S3Error('NotImplemented', `${name} is not supported; objects are private to the owner.`);
  }
}

export const listBuckets: Handler = serviceHandler(async (ctx, deps) => {
  const all = await deps.store.listBuckets();
  // Each user sees the buckets it owns; root sees every bucket.
  const visible = ctx.auth.isRoot ? all : (await Promise.all(all.map(async (b) => ((await bucketOwnerKey(deps, b.name).catch(() => undefined)) === ctx.auth.accessKey ? b : null)))).filter((b) => b !== null);
  const sorted = [...visible].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return xmlResponse(el('ListAllMyBucketsResult', ownerElement(requesterOwner(deps, ctx.auth)),
    el('Buckets', sorted.map((b) => el('Bucket', el('Name', b.name), el('CreationDate', isoTime(b.createdMs)), el('BucketRegion', deps.region))))));
});

async function alreadyExists(ctx: BucketContext, deps: S3Deps): Promise<S3Error> {
  // Root administers every bucket: to root (and tools run as root that create before writing) any bucket is its own.
  const mine = ctx.auth.isRoot || owns(await bucketOwnerKey(deps, ctx.bucket), ctx.auth);
  return new S3Error(mine ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', undefined, { BucketName: ctx.bucket });
}

export const createBucket: Handler = bucketHandler(async (ctx, deps) => {
  const location = parseCreateBucketConfiguration(await readXmlBody(ctx, deps));
  // us-east-1 is the empty constraint; AWS refuses to see it spelled out.
  if (location === 'us-east-1') throw new S3Error('InvalidLocationConstraint', undefined, { LocationConstraint: location });
  if (location !== '' && location !== deps.region) throw new S3Error('IllegalLocationConstraintException', undefined, { LocationConstraint: location });
  // A taken name is the answer before any unsupported option is.
  const exists = await deps.store.headBucket(ctx.bucket).then(() => true, (e: unknown) => {
    if (e instanceof StorageError && e.code === 'NoSuchBucket') return false;
    throw e;
  });
  if (exists) throw await alreadyExists(ctx, deps);
  checkCannedAcl(ctx.headers);
  if (ctx.headers.get('x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true') {
    throw new S3Error('NotImplemented', 'Object lock is not supported.');
  }
  try {
    await deps.store.makeBucket(ctx.bucket, ownerSettings(ctx.auth));
  } catch (e) {
    if (!(e instanceof StorageError && e.code === 'BucketExists')) throw e;
    throw await alreadyExists(ctx, deps);
  }
  return emptyResponse(200, { location: `/${ctx.bucket}` });
});

export const headBucket: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  return emptyResponse(200, { 'x-amz-bucket-region': deps.region });
});

export const deleteBucket: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.deleteBucket(ctx.bucket);
  return emptyResponse(204);
});

export const getBucketLocation: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  // us-east-1 is reported as an empty LocationConstraint, as AWS does.
  return xmlResponse(el('LocationConstraint', deps.region === 'us-east-1' ? undefined : deps.region));
});

/** Buckets are never versioned: an empty configuration is the true answer. */
export const getBucketVersioning: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  return xmlResponse(el('VersioningConfiguration'));
});

export async function ownerOnlyAcl(deps: S3Deps, bucket: BucketName): Promise<Response> {
  const owner = await bucketOwner(deps, bucket);
  return xmlResponse(el('AccessControlPolicy', ownerElement(owner),
    el('AccessControlList', {
      name: 'Grant',
      children: [
        { name: 'Grantee', attrs: { 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', 'xsi:type': 'CanonicalUser' }, children: [el('ID', owner.id), el('DisplayName', owner.displayName)] },
        el('Permission', 'FULL_CONTROL'),
      ],
    })));
}

export const getBucketAcl: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  return ownerOnlyAcl(deps, ctx.bucket);
});

/**
 * PUT ?acl can only restate what is already true: a canned owner-only ACL, or a policy
 * whose grants are all FULL_CONTROL for the owner. Anything granting others is refused.
 */
export async function checkAclRequest(ctx: BucketContext, deps: S3Deps): Promise<void> {
  await checkCannedAclOn(deps, ctx.bucket, ctx.headers);
  const body = await readXmlBody(ctx, deps);
  if (body.trim() === '') return;
  const permissions = [...body.matchAll(/<Permission>\s*([^<]*?)\s*<\/Permission>/g)].map((m) => m[1]);
  const ids = [...body.matchAll(/<Grantee\b[\s\S]*?<\/Grantee>/g)].map((m) => /<ID>\s*([^<]*?)\s*<\/ID>/.exec(m[0])?.[1]);
  const owner = await bucketOwner(deps, ctx.bucket);
  // At least the owner's own grant: an empty list would revoke the owner, which cannot be honoured either.
  const ownerOnly = permissions.length > 0 && permissions.every((p) => p === 'FULL_CONTROL') && ids.length === permissions.length && ids.every((id) => id === owner.id);
  if (!ownerOnly) throw new S3Error('NotImplemented', 'Only an owner-only ACL is supported; objects are private to the owner.');
}

export const putBucketAcl: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  await checkAclRequest(ctx, deps);
  return emptyResponse(200);
});

type MissingConfiguration = 'NoSuchBucketPolicy' | 'NoSuchLifecycleConfiguration' | 'ObjectLockConfigurationNotFoundError' | 'NoSuchWebsiteConfiguration'
  | 'ReplicationConfigurationNotFoundError' | 'NoSuchPublicAccessBlockConfiguration' | 'OwnershipControlsNotFoundError';

/** Sub-resources Cairn has no configuration for: the "none configured" error AWS gives. */
function noConfiguration(code: MissingConfiguration): Handler {
  return bucketHandler(async (ctx: BucketContext, deps: S3Deps) => {
    await deps.store.headBucket(ctx.bucket);
    await drainBody(ctx);
    throw new S3Error(code, undefined, { BucketName: ctx.bucket });
  });
}

/** Sub-resources whose unconfigured state AWS reports as a document (an empty one, or its default). */
function defaultConfiguration(root: string, ...children: XmlElement[]): Handler {
  return bucketHandler(async (ctx: BucketContext, deps: S3Deps) => {
    await deps.store.headBucket(ctx.bucket);
    return xmlResponse(el(root, ...children));
  });
}

/** Removing a configuration that cannot exist succeeds, as it does on AWS when none is set. */
const nothingToDelete: Handler = bucketHandler(async (ctx: BucketContext, deps: S3Deps) => {
  await deps.store.headBucket(ctx.bucket);
  await drainBody(ctx);
  return emptyResponse(204);
});

export const getBucketPolicy = noConfiguration('NoSuchBucketPolicy');
/** Nothing in Cairn can be public: the status answers the question asked. */
export const getBucketPolicyStatus = defaultConfiguration('PolicyStatus', el('IsPublic', 'false'));
export const getBucketLifecycle = noConfiguration('NoSuchLifecycleConfiguration');
export const getObjectLockConfiguration = noConfiguration('ObjectLockConfigurationNotFoundError');
export const getBucketWebsite = noConfiguration('NoSuchWebsiteConfiguration');
export const getBucketReplication = noConfiguration('ReplicationConfigurationNotFoundError');
/** Bucket setting holding the PublicAccessBlockConfiguration (JSON of its four flags). */
const publicAccessBlockSettingName = 'public-access-block';

async function publicAccessBlockOf(deps: S3Deps, bucket: BucketName): Promise<PublicAccessBlock | undefined> {
  const stored = (await deps.store.getBucketMeta(bucket)).settings[publicAccessBlockSettingName];
  return stored === undefined ? undefined : (JSON.parse(stored) as PublicAccessBlock);
}

/**
 * Public access blocks are kept and returned as sent. No bucket or object can be public
 * in Cairn, so every setting already holds; BlockPublicAcls also turns the refusal of a
 * public canned ACL from 501 into AWS's 403.
 */
export const getPublicAccessBlock: Handler = bucketHandler(async (ctx, deps) => {
  const block = await publicAccessBlockOf(deps, ctx.bucket);
  if (block === undefined) throw new S3Error('NoSuchPublicAccessBlockConfiguration', undefined, { BucketName: ctx.bucket });
  return xmlResponse(el('PublicAccessBlockConfiguration', publicAccessBlockFlags.map((f) => el(f, String(block[f])))));
});

export const putPublicAccessBlock: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  const block = parsePublicAccessBlock(await readXmlBody(ctx, deps));
  await deps.store.putBucketSetting(ctx.bucket, publicAccessBlockSettingName, JSON.stringify(block));
  return emptyResponse(200);
});

export const deletePublicAccessBlock: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  await drainBody(ctx);
  await deps.store.putBucketSetting(ctx.bucket, publicAccessBlockSettingName, null);
  return emptyResponse(204);
});
export const getBucketOwnershipControls = noConfiguration('OwnershipControlsNotFoundError');
export const getBucketLogging = defaultConfiguration('BucketLoggingStatus');
export const getBucketNotificationConfiguration = defaultConfiguration('NotificationConfiguration');
export const getBucketRequestPayment = defaultConfiguration('RequestPaymentConfiguration', el('Payer', 'BucketOwner'));
export const getBucketAccelerateConfiguration = defaultConfiguration('AccelerateConfiguration');
export const deleteBucketPolicy = nothingToDelete;

/** Object Lock can only be enabled when a bucket is created, which Cairn does not offer: AWS's answer for an existing bucket. */
export const putObjectLockConfiguration: Handler = bucketHandler(async (ctx: BucketContext, deps: S3Deps) => {
  await deps.store.headBucket(ctx.bucket);
  await drainBody(ctx);
  throw new S3Error('InvalidBucketState', 'Object Lock configuration cannot be enabled on existing buckets.');
});
export const deleteBucketLifecycle = nothingToDelete;

/** Bucket default encryption belongs to the encryption layer; until it is plugged in there is none. */
export const getBucketEncryption: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  throw new S3Error('ServerSideEncryptionConfigurationNotFoundError', undefined, { BucketName: ctx.bucket });
});

export const putBucketEncryption: Handler = bucketHandler(async () => {
  throw new S3Error('NotImplemented', 'Server-side encryption is not enabled on this server.');
});

export const deleteBucketEncryption: Handler = putBucketEncryption;
