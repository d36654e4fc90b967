// Lower-layer errors -> S3 errors. Storage errors that describe the client's request
// are passed up on purpose; everything else is InternalError (and logged by the app).
import { S3Error } from './errors.ts';
import { StorageError, type StorageErrorCode } from '../storage/types.ts';
import type { S3ErrorCode } from './errors.ts';

const storageToS3: Record<StorageErrorCode, { code: S3ErrorCode; status?: number; message?: string }> = {
  NoSuchBucket: { code: 'NoSuchBucket' },
  BucketExists: { code: 'BucketAlreadyOwnedByYou' },
  BucketNotEmpty: { code: 'BucketNotEmpty' },
  NoSuchKey: { code: 'NoSuchKey' },
  NoSuchUpload: { code: 'NoSuchUpload' },
  InvalidPart: { code: 'InvalidPart' },
  InvalidPartOrder: { code: 'InvalidPartOrder' },
  EntityTooSmall: { code: 'EntityTooSmall' },
  EntityTooLarge: { code: 'EntityTooLarge' },
  InvalidRange: { code: 'InvalidRange' },
  PreconditionFailed: { code: 'PreconditionFailed' },
  MetadataTooLarge: { code: 'MetadataTooLarge' },
  QuorumLost: { code: 'ServiceUnavailable', message: 'Not enough drives are online to serve this request. Please try again.' },
  DataCorrupt: { code: 'InternalError', message: 'The object could not be read: too few intact shards.' },
  DiskFull: { code: 'InternalError', status: 507, message: 'The drives are full.' },
  ReadOnly: { code: 'ServiceUnavailable', message: 'The server is read-only at the moment.' },
};

/** Whether a translated error came from a lower layer's fault rather than the request. */
export function isServerFault(e: S3Error): boolean {
  return e.status >= 500;
}

export function translateError(e: unknown): S3Error {
  if (e instanceof S3Error) return e;
  if (e instanceof StorageError) {
    const t = storageToS3[e.code];
    return new S3Error(t.code, t.message, {}, t.status);
  }
  return new S3Error('InternalError');
}
