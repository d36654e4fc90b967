// The contract between the storage layer and everything above it. Storage
// stores opaque bytes plus metadata maps; it knows nothing of HTTP or crypto.

/** Checked at the edge (s3 layer) before reaching storage. */
export type BucketName = string & { readonly __brand: 'BucketName' };
export type ObjectKey = string & { readonly __brand: 'ObjectKey' };
export type UploadId = string & { readonly __brand: 'UploadId' };

export type StorageErrorCode =
  | 'NoSuchBucket'
  | 'BucketExists'
  | 'BucketNotEmpty'
  | 'NoSuchKey'
  | 'NoSuchUpload'
  | 'InvalidPart'
  | 'InvalidPartOrder'
  | 'EntityTooSmall'
  | 'EntityTooLarge'
  | 'InvalidRange'
  | 'PreconditionFailed'
  | 'MetadataTooLarge'
  | 'QuorumLost' // not enough drives online / agreeing: 503 to clients
  | 'DataCorrupt' // fewer than K good shards for a block: 500 to clients
  | 'DiskFull'
  | 'ReadOnly';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(readonly code: StorageErrorCode, message?: string) {
    super(message ?? code);
  }
}

/** Byte range over the *stored* bytes. `length` may run past the end only if the caller checked size. */
export interface ByteRange {
  offset: number;
  length: number;
}

export interface PartInfo {
  partNumber: number;
  /** Stored bytes of this part. */
  size: number;
  etag: string;
  /** Upper-layer fields for this part (e.g. plaintext size of an encrypted part). */
  internal: Record<string, string>;
  /** When the part was uploaded (listings of uploads in progress); absent once completed. */
  modTimeMs?: number;
}

export interface ObjectInfo {
  bucket: BucketName;
  key: ObjectKey;
  /** Stored bytes. Upper layers may report a different (plaintext) size from `internal`. */
  size: number;
  /** Without quotes. Multipart: "<hex>-<n>". */
  etag: string;
  modTimeMs: number;
  /** Public metadata: content-type, cache-control, x-amz-meta-*, ... (lower-cased names). */
  userMeta: Record<string, string>;
  /** Private metadata for upper layers (encryption fields, checksums). Never shown to clients as-is. */
  internal: Record<string, string>;
  /** Present for objects assembled by CompleteMultipartUpload, in part order. */
  parts?: PartInfo[];
}

export interface BeforeCommitResult {
  etag?: string;
  userMeta?: Record<string, string>;
  internal?: Record<string, string>;
}

export interface PutOptions {
  userMeta: Record<string, string>;
  internal: Record<string, string>;
  /** Compute MD5 of the stored bytes as the ETag (plain objects). False when the caller supplies the ETag. */
  md5: boolean;
  /**
   * Called after the body stream has ended and every byte is on the drives,
   * before the commit. Lets the caller add fields known only at the end
   * (plaintext MD5, checksum trailers, sealed ETag). Throwing aborts the put.
   */
  beforeCommit?: (storedSize: number, md5Hex: string | undefined) => Promise<BeforeCommitResult> | BeforeCommitResult;
  /** Checked under the per-key lock at commit time (If-Match / If-None-Match). Throw to refuse. */
  precondition?: (current: ObjectInfo | null) => void;
  /** Upper bound on stored bytes; exceeding it aborts with EntityTooLarge. */
  sizeMaxBytes?: number;
  /** Stored bytes expected, when known up front (picks the block size; see blockSizeFor). */
  sizeHintBytes?: number;
}

export interface GetResult {
  info: ObjectInfo;
  /** Requested range of stored bytes (whole object when no range was asked). */
  stream: ReadableStream<Uint8Array>;
}

export interface ListOptions {
  prefix: string;
  delimiter: string;
  /** Exclusive: keys (and common prefixes) strictly greater than this. */
  marker: string;
  maxKeys: number; // 0..1000
}

export interface ListResult {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Last key or prefix returned, to resume with as `marker`. */
  nextMarker: string;
}

export interface BucketInfo {
  name: BucketName;
  createdMs: number;
}

/** Small, versioned, replicated per-bucket document. Settings values are opaque strings (JSON/XML). */
export interface BucketMeta {
  createdMs: number;
  settings: Record<string, string>;
}

export interface UploadInfo {
  bucket: BucketName;
  key: ObjectKey;
  uploadId: UploadId;
  initiatedMs: number;
  userMeta: Record<string, string>;
  internal: Record<string, string>;
}

export interface ListUploadsResult {
  uploads: UploadInfo[];
  isTruncated: boolean;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
}

export interface ListPartsResult {
  parts: PartInfo[];
  isTruncated: boolean;
  nextPartNumberMarker: number;
}

export interface CompletePart {
  partNumber: number;
  etag: string;
}

export interface DriveStatus {
  index: number;
  path: string;
  state: 'online' | 'offline' | 'healing';
  freeBytes: number;
  totalBytes: number;
  errors: number;
}

export interface HealCounters {
  queued: number; // current queue length
  healedObjects: number;
  healedShards: number;
  scannedObjects: number;
  bitrotDetected: number;
  failures: number;
}

export interface StorageInfo {
  deploymentId: string;
  dataShards: number;
  parityShards: number;
  blockSizeBytes: number;
  writeQuorum: number;
  readQuorum: number;
  drives: DriveStatus[];
}

export interface ObjectStore {
  // buckets
  /** Creates a bucket, with its first settings when given (BucketExists if it exists). */
  makeBucket(bucket: BucketName, settings?: Record<string, string>): Promise<void>;
  headBucket(bucket: BucketName): Promise<BucketInfo>;
  listBuckets(): Promise<BucketInfo[]>;
  deleteBucket(bucket: BucketName): Promise<void>;
  getBucketMeta(bucket: BucketName): Promise<BucketMeta>;
  /** Sets (or with null, removes) one setting; read-modify-write under a bucket lock. */
  putBucketSetting(bucket: BucketName, name: string, value: string | null): Promise<void>;

  // objects
  put(bucket: BucketName, key: ObjectKey, body: ReadableStream<Uint8Array>, opts: PutOptions): Promise<ObjectInfo>;
  get(bucket: BucketName, key: ObjectKey, range?: ByteRange): Promise<GetResult>;
  head(bucket: BucketName, key: ObjectKey): Promise<ObjectInfo>;
  delete(bucket: BucketName, key: ObjectKey): Promise<void>;
  /** Rewrites metadata only (self-copy with REPLACE, rewrap of sealed keys). Data untouched. */
  updateMeta(bucket: BucketName, key: ObjectKey, mutate: (info: ObjectInfo) => { userMeta: Record<string, string>; internal: Record<string, string>; parts?: PartInfo[] }): Promise<ObjectInfo>;
  list(bucket: BucketName, opts: ListOptions): Promise<ListResult>;
  /** Every object of a bucket (or of all buckets) in key order; for rewrap, heal scans, reports. */
  walk(bucket?: BucketName): AsyncIterable<ObjectInfo>;

  // multipart
  createUpload(bucket: BucketName, key: ObjectKey, meta: { userMeta: Record<string, string>; internal: Record<string, string> }): Promise<UploadId>;
  getUpload(bucket: BucketName, key: ObjectKey, uploadId: UploadId): Promise<UploadInfo>;
  putPart(bucket: BucketName, key: ObjectKey, uploadId: UploadId, partNumber: number, body: ReadableStream<Uint8Array>, opts: Omit<PutOptions, 'userMeta' | 'precondition'>): Promise<PartInfo>;
  listParts(bucket: BucketName, key: ObjectKey, uploadId: UploadId, partNumberMarker: number, maxParts: number): Promise<ListPartsResult>;
  listUploads(bucket: BucketName, opts: { prefix: string; keyMarker: string; uploadIdMarker: string; maxUploads: number }): Promise<ListUploadsResult>;
  abortUpload(bucket: BucketName, key: ObjectKey, uploadId: UploadId): Promise<void>;
  /** Validates parts (InvalidPart / InvalidPartOrder / EntityTooSmall), assembles without copying data. */
  completeUpload(bucket: BucketName, key: ObjectKey, uploadId: UploadId, parts: CompletePart[], opts: { precondition?: (current: ObjectInfo | null) => void; beforeCommit?: (parts: PartInfo[], etag: string) => Promise<BeforeCommitResult> | BeforeCommitResult }): Promise<ObjectInfo>;

  // system documents (keystore, generated credentials, rewrap checkpoints), replicated with quorum
  readSystem(name: string): Promise<Uint8Array | null>;
  writeSystem(name: string, data: Uint8Array): Promise<void>;

  // operations
  heal(bucket: BucketName, key: ObjectKey): Promise<{ healedShards: number }>;
  healAll(): Promise<void>;
  healCounters(): HealCounters;
  info(): Promise<StorageInfo>;
  close(): Promise<void>;
}
