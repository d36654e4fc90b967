// The dispatch table: one handler per S3 operation. Record<S3Operation, Handler> makes
// a missing handler a compile error.
import { S3Error } from '../errors.ts';
import { emptyResponse } from '../response.ts';
import * as buckets from './buckets.ts';
import { drainBody } from './common.ts';
import { copyObject } from './copy.ts';
import { deleteObject, deleteObjects } from './delete.ts';
import { checkVersionId, getObject, headObject } from './get.ts';
import { listObjects, listObjectsV2, listObjectVersions } from './list.ts';
import * as multipart from './multipart.ts';
import { postObject } from './post.ts';
import { putObject } from './put.ts';
import { getObjectAttributes } from './attributes.ts';
import { corsPreflight, deleteBucketCors, getBucketCors, putBucketCors } from './cors.ts';
import { deleteBucketTagging, deleteObjectTagging, getBucketTagging, getObjectTagging, putBucketTagging, putObjectTagging } from './tagging.ts';
import { objectHandler, serviceHandler, type HandlerTable } from './types.ts';

/** Only the owner has access; an object's ACL says exactly that. */
const getObjectAcl = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  await deps.store.head(ctx.bucket, ctx.key);
  return buckets.ownerOnlyAcl(deps, ctx.bucket);
});

const putObjectAcl = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  await deps.store.head(ctx.bucket, ctx.key);
  await buckets.checkAclRequest(ctx, deps);
  return emptyResponse(200);
});

/** No bucket can have Object Lock, so no object has a retention period or a legal hold: AWS's answer for such buckets. */
const objectLockMissing = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  await deps.store.head(ctx.bucket, ctx.key);
  await drainBody(ctx);
  throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
});

const notImplemented = serviceHandler(async () => {
  throw new S3Error('NotImplemented');
});

export const defaultHandlers: HandlerTable = {
  ListBuckets: buckets.listBuckets,
  CreateBucket: buckets.createBucket,
  HeadBucket: buckets.headBucket,
  DeleteBucket: buckets.deleteBucket,
  GetBucketLocation: buckets.getBucketLocation,
  GetBucketVersioning: buckets.getBucketVersioning,
  GetBucketAcl: buckets.getBucketAcl,
  PutBucketAcl: buckets.putBucketAcl,
  GetBucketPolicy: buckets.getBucketPolicy,
  GetBucketTagging: getBucketTagging,
  PutBucketTagging: putBucketTagging,
  DeleteBucketTagging: deleteBucketTagging,
  GetBucketCors: getBucketCors,
  PutBucketCors: putBucketCors,
  DeleteBucketCors: deleteBucketCors,
  CorsPreflight: corsPreflight,
  GetBucketLifecycle: buckets.getBucketLifecycle,
  DeleteBucketLifecycle: buckets.deleteBucketLifecycle,
  DeleteBucketPolicy: buckets.deleteBucketPolicy,
  GetBucketPolicyStatus: buckets.getBucketPolicyStatus,
  GetObjectLockConfiguration: buckets.getObjectLockConfiguration,
  GetBucketWebsite: buckets.getBucketWebsite,
  GetBucketReplication: buckets.getBucketReplication,
  GetPublicAccessBlock: buckets.getPublicAccessBlock,
  PutPublicAccessBlock: buckets.putPublicAccessBlock,
  DeletePublicAccessBlock: buckets.deletePublicAccessBlock,
  GetBucketOwnershipControls: buckets.getBucketOwnershipControls,
  GetBucketLogging: buckets.getBucketLogging,
  GetBucketNotificationConfiguration: buckets.getBucketNotificationConfiguration,
  GetBucketRequestPayment: buckets.getBucketRequestPayment,
  GetBucketAccelerateConfiguration: buckets.getBucketAccelerateConfiguration,
  GetObjectRetention: objectLockMissing,
  GetObjectLegalHold: objectLockMissing,
  PutObjectRetention: objectLockMissing,
  PutObjectLegalHold: objectLockMissing,
  PutObjectLockConfiguration: buckets.putObjectLockConfiguration,
  GetBucketEncryption: buckets.getBucketEncryption,
  PutBucketEncryption: buckets.putBucketEncryption,
  DeleteBucketEncryption: buckets.deleteBucketEncryption,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  ListObjectVersions: listObjectVersions,
  ListMultipartUploads: multipart.listMultipartUploads,
  DeleteObjects: deleteObjects,
  PostObject: postObject,
  GetObject: getObject,
  HeadObject: headObject,
  PutObject: putObject,
  CopyObject: copyObject,
  DeleteObject: deleteObject,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  GetObjectTagging: getObjectTagging,
  GetObjectAttributes: getObjectAttributes,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  UploadPartCopy: multipart.uploadPartCopy,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  ListParts: multipart.listParts,
  NotImplemented: notImplemented,
};
