// What every S3 handler receives: the injected dependencies and the per-request context.
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { Random } from '../util/random.ts';
import type { BucketName, ObjectKey, ObjectStore } from '../storage/types.ts';
import type { CredentialStore } from './credentials.ts';
import type { AuthResult, SigningKeyCache } from './sigv4/index.ts';
import type { ObjectCodec } from './codec.ts';
import type { S3Operation } from './router.ts';
import type { Md5Offload } from './md5-offload.ts';

/** Reported once per S3 request (metrics and audit plug in here). */
export interface RequestDoneEvent {
  requestId: string;
  operation: S3Operation | string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  accessKey: string | undefined;
  bucket: string | undefined;
  key: string | undefined;
  errorCode: string | undefined;
  /** Set by an encryption-aware codec: 'none' | 'sse-s3' | 'sse-kms' | 'sse-c'. */
  sseMode?: 'none' | 'sse-s3' | 'sse-kms' | 'sse-c' | undefined;
  kmsKeyId?: string | undefined;
}

export interface S3Limits {
  /** Request header section (names + values). */
  headerBytesMax: number;
  /** XML request bodies (CompleteMultipartUpload, Delete, configurations). */
  xmlBodyBytesMax: number;
  /** Single PutObject / UploadPart. */
  putBytesMax: number;
  /** Whole object (multipart). */
  objectBytesMax: number;
  /** x-amz-meta-* names + values, as AWS counts them. */
  userMetaBytesMax: number;
  /** Parts in an upload, except the last, must be at least this big. */
  partBytesMin: number;
}

export const defaultLimits: S3Limits = {
  headerBytesMax: 8 * 1024,
  xmlBodyBytesMax: 4 * 1024 * 1024,
  putBytesMax: 5 * 1024 ** 3,
  objectBytesMax: 5 * 1024 ** 4,
  userMetaBytesMax: 2 * 1024,
  partBytesMin: 5 * 1024 * 1024,
};

export interface S3Deps {
  store: ObjectStore;
  credentials: CredentialStore;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Region clients sign for and GetBucketLocation reports. */
  region: string;
  /** CAIRN_DOMAIN for virtual-host style; undefined = path style only. */
  domain: string | undefined;
  keyCache: SigningKeyCache;
  /** How object bytes are written and read (plain by default; SSE plugs in here). */
  codec: ObjectCodec;
  limits: S3Limits;
  /** The owner shown in listings and ACLs. */
  owner: { id: string; displayName: string };
  onRequestDone?: ((event: RequestDoneEvent) => void) | undefined;
  /** Hashes large bodies' MD5 on a worker thread; undefined hashes inline. */
  md5Offload?: Md5Offload | undefined;
}

export interface RequestContext {
  readonly requestId: string;
  readonly req: Request;
  readonly method: string;
  readonly headers: Headers;
  readonly query: URLSearchParams;
  readonly auth: AuthResult;
  readonly startedMs: number;
  /** Filled by handlers for the request-done event. */
  readonly stats: { bytesIn: number; sseMode?: RequestDoneEvent['sseMode']; kmsKeyId?: string; /** Who signed, when the handler authenticated (form uploads). */ signedBy?: string };
}

export interface BucketContext extends RequestContext {
  readonly bucket: BucketName;
}

export interface ObjectContext extends BucketContext {
  readonly key: ObjectKey;
}
