// Request -> one S3 operation. The set of operations is closed; the app dispatches
// through Record<S3Operation, Handler>, so a missing handler fails to compile.
import { S3Error } from './errors.ts';

export const s3Operations = [
  'ListBuckets',
  'CreateBucket', 'HeadBucket', 'DeleteBucket', 'GetBucketLocation', 'GetBucketVersioning', 'GetBucketAcl', 'PutBucketAcl',
  'GetBucketPolicy', 'GetBucketTagging', 'PutBucketTagging', 'DeleteBucketTagging', 'GetBucketCors', 'PutBucketCors', 'DeleteBucketCors', 'GetBucketLifecycle', 'CorsPreflight',
  'GetBucketEncryption', 'PutBucketEncryption', 'DeleteBucketEncryption',
  'GetBucketPolicyStatus', 'DeleteBucketPolicy', 'DeleteBucketLifecycle', 'GetObjectLockConfiguration', 'GetBucketWebsite', 'GetBucketReplication',
  'GetPublicAccessBlock', 'PutPublicAccessBlock', 'DeletePublicAccessBlock', 'GetBucketOwnershipControls', 'GetBucketLogging', 'GetBucketNotificationConfiguration', 'GetBucketRequestPayment',
  'GetBucketAccelerateConfiguration',
  'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads', 'DeleteObjects', 'PostObject',
  'GetObject', 'HeadObject', 'PutObject', 'CopyObject', 'DeleteObject', 'GetObjectAcl', 'PutObjectAcl', 'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging', 'GetObjectAttributes',
  'GetObjectRetention', 'GetObjectLegalHold', 'PutObjectRetention', 'PutObjectLegalHold', 'PutObjectLockConfiguration',
  'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListParts',
  'NotImplemented',
] as const;

export type S3Operation = (typeof s3Operations)[number];

/** Where the request points. `bucket`/`key` are decoded but not yet validated. */
export interface Target {
  bucket: string | undefined;
  key: string | undefined;
}

export interface Route extends Target {
  operation: S3Operation;
  /** For NotImplemented: the subresource or method that is not supported. */
  detail?: string;
}

/** Query parameters that select a sub-resource; anything else (x-id, prefix, ...) is an argument. */
const bucketSubresources = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'encryption', 'intelligent-tiering', 'inventory', 'lifecycle', 'location', 'logging',
  'metrics', 'notification', 'object-lock', 'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'tagging', 'versioning', 'website', 'uploads', 'versions', 'delete', 'metadataTable', 'session',
]);
const objectSubresources = new Set([
  'acl', 'tagging', 'legal-hold', 'retention', 'torrent', 'restore', 'select', 'attributes', 'uploads', 'uploadId', 'renameObject',
]);

function decodePathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

/** Bucket and key from the Host header (virtual-host style under `domain`) or the path. */
export function targetOf(rawPath: string, host: string | null, domain: string | undefined): Target {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (domain !== undefined && host !== null) {
    const hostname = host.replace(/:\d+$/, '').toLowerCase();
    const bare = domain.replace(/:\d+$/, '');
    if (hostname.endsWith(`.${bare}`)) {
      const bucket = hostname.slice(0, -(bare.length + 1));
      return { bucket, key: path === '' ? undefined : decodePathPart(path) };
    }
  }
  if (path === '') return { bucket: undefined, key: undefined };
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decodePathPart(path), key: undefined };
  const key = path.slice(slash + 1);
  return { bucket: decodePathPart(path.slice(0, slash)), key: key === '' ? undefined : decodePathPart(key) };
}

function firstSubresource(query: URLSearchParams, known: ReadonlySet<string>): string | undefined {
  for (const name of query.keys()) if (known.has(name)) return name;
  return undefined;
}

const unsupported = (target: Target, detail: string): Route => ({ ...target, operation: 'NotImplemented', detail });

function routeService(method: string, target: Target): Route {
  if (method === 'GET') return { ...target, operation: 'ListBuckets' };
  throw new S3Error('MethodNotAllowed');
}

function routeBucket(method: string, query: URLSearchParams, headers: Headers, target: Target): Route {
  const sub = firstSubresource(query, bucketSubresources);
  const op = (operation: S3Operation): Route => ({ ...target, operation });
  switch (method) {
    case 'HEAD':
      return op('HeadBucket');
    case 'GET': {
      const gets: Record<string, S3Operation> = {
        location: 'GetBucketLocation', versioning: 'GetBucketVersioning', acl: 'GetBucketAcl', uploads: 'ListMultipartUploads',
        versions: 'ListObjectVersions', encryption: 'GetBucketEncryption', policy: 'GetBucketPolicy', tagging: 'GetBucketTagging',
        cors: 'GetBucketCors', lifecycle: 'GetBucketLifecycle', policyStatus: 'GetBucketPolicyStatus', 'object-lock': 'GetObjectLockConfiguration',
        website: 'GetBucketWebsite', replication: 'GetBucketReplication', publicAccessBlock: 'GetPublicAccessBlock',
        ownershipControls: 'GetBucketOwnershipControls', logging: 'GetBucketLogging', notification: 'GetBucketNotificationConfiguration',
        requestPayment: 'GetBucketRequestPayment', accelerate: 'GetBucketAccelerateConfiguration',
      };
      if (sub === undefined) return op(query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects');
      return gets[sub] === undefined ? unsupported(target, `GET ?${sub}`) : op(gets[sub]);
    }
    case 'PUT':
      if (sub === undefined) return op('CreateBucket');
      if (sub === 'acl') return op('PutBucketAcl');
      if (sub === 'cors') return op('PutBucketCors');
      if (sub === 'tagging') return op('PutBucketTagging');
      if (sub === 'object-lock') return op('PutObjectLockConfiguration');
      if (sub === 'publicAccessBlock') return op('PutPublicAccessBlock');
      return sub === 'encryption' ? op('PutBucketEncryption') : unsupported(target, `PUT ?${sub}`);
    case 'DELETE':
      if (sub === undefined) return op('DeleteBucket');
      if (sub === 'cors') return op('DeleteBucketCors');
      if (sub === 'tagging') return op('DeleteBucketTagging');
      if (sub === 'policy') return op('DeleteBucketPolicy');
      if (sub === 'lifecycle') return op('DeleteBucketLifecycle');
      if (sub === 'publicAccessBlock') return op('DeletePublicAccessBlock');
      return sub === 'encryption' ? op('DeleteBucketEncryption') : unsupported(target, `DELETE ?${sub}`);
    case 'OPTIONS':
      return op('CorsPreflight');
    case 'POST':
      if (sub === 'delete') return op('DeleteObjects');
      // A browser form upload: signed by its policy field, not by headers.
      if (sub === undefined && /^multipart\/form-data\b/i.test(headers.get('content-type')?.trim() ?? '')) return op('PostObject');
      return unsupported(target, sub === undefined ? 'POST without a form' : `POST ?${sub}`);
    default:
      throw new S3Error('MethodNotAllowed');
  }
}

function routeObject(method: string, query: URLSearchParams, headers: Headers, target: Target): Route {
  const op = (operation: S3Operation): Route => ({ ...target, operation });
  const copy = headers.has('x-amz-copy-source');
  const isPart = query.has('partNumber') && query.has('uploadId');
  const sub = firstSubresource(query, objectSubresources);
  switch (method) {
    case 'OPTIONS':
      return op('CorsPreflight');
    case 'HEAD':
      return op('HeadObject');
    case 'GET':
      if (sub === undefined) return op('GetObject');
      if (sub === 'uploadId') return op('ListParts');
      if (sub === 'acl') return op('GetObjectAcl');
      if (sub === 'tagging') return op('GetObjectTagging');
      if (sub === 'attributes') return op('GetObjectAttributes');
      if (sub === 'retention') return op('GetObjectRetention');
      if (sub === 'legal-hold') return op('GetObjectLegalHold');
      return unsupported(target, `GET ?${sub}`);
    case 'PUT':
      if (isPart) return op(copy ? 'UploadPartCopy' : 'UploadPart');
      if (sub === 'acl') return op('PutObjectAcl');
      if (sub === 'tagging') return op('PutObjectTagging');
      if (sub === 'retention') return op('PutObjectRetention');
      if (sub === 'legal-hold') return op('PutObjectLegalHold');
      if (sub !== undefined) return unsupported(target, `PUT ?${sub}`);
      return op(copy ? 'CopyObject' : 'PutObject');
    case 'POST':
      if (sub === 'uploads') return op('CreateMultipartUpload');
      if (sub === 'uploadId') return op('CompleteMultipartUpload');
      return unsupported(target, sub === undefined ? 'POST' : `POST ?${sub}`);
    case 'DELETE':
      if (sub === 'uploadId') return op('AbortMultipartUpload');
      if (sub === 'tagging') return op('DeleteObjectTagging');
      if (sub !== undefined) return unsupported(target, `DELETE ?${sub}`);
      return op('DeleteObject');
    default:
      throw new S3Error('MethodNotAllowed');
  }
}

export function routeRequest(method: string, query: URLSearchParams, headers: Headers, target: Target): Route {
  if (target.bucket === undefined) return routeService(method, target);
  if (target.key === undefined) return routeBucket(method, query, headers, target);
  return routeObject(method, query, headers, target);
}
