// The seam between S3 semantics and stored bytes. PUT, GET, copy and multipart build
// their byte pipelines through an ObjectCodec: plain storage by default; server-side
// encryption supplies another codec (seal keys, encrypt/decrypt, sealed ETags, headers).
import { S3Error } from './errors.ts';
import type { BeforeCommitResult, BucketName, ByteRange, ObjectInfo, ObjectKey, ObjectStore, PartInfo, UploadInfo } from '../storage/types.ts';
import type { PayloadResult } from './sigv4/index.ts';

export type SseModeName = 'none' | 'sse-s3' | 'sse-kms' | 'sse-c';

export interface WriteTarget {
  bucket: BucketName;
  key: ObjectKey;
  /** Request headers (SSE headers of the destination). */
  headers: Headers;
  /** UploadPart / UploadPartCopy: the upload being written to. */
  part?: { partNumber: number; upload: UploadInfo };
}

/** How one body becomes stored bytes. Built per request; dispose() always runs. */
export interface WritePlan {
  /** Fields stored with the object (or part) from the start. */
  readonly internal: Record<string, string>;
  /**
   * Verified plaintext -> stored bytes. The chunks of `plain` are handed over: every
   * stage before (verifiers, hashers, throttles) is done with a chunk once it passed it
   * on, so encode may overwrite it (SSE encrypts in place, saving a fresh buffer per package).
   * (The MD5 offload defers hashing a piece, moving it to its worker, only when encode
   * returns `plain` itself: with a codec stage it must copy each piece as it passes.)
   */
  encode(plain: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
  /** Stored bytes that `encode` makes of this many plaintext bytes. */
  storedBytes(plainBytes: number): number;
  /**
   * 'sha256': the ETag is not the plaintext MD5 (SSE-KMS, SSE-C, as in AWS), so the body is
   * hashed with SHA-256 unless a digest the request needs anyway is there (Content-MD5, a
   * signed payload). Otherwise finish needs the MD5.
   */
  readonly etagDigest?: 'sha256';
  /** After the body ended cleanly: the ETag and any fields known only at the end. */
  finish(plain: PayloadResult): Promise<{ etag: string; internal: Record<string, string> }> | { etag: string; internal: Record<string, string> };
  readonly responseHeaders: Record<string, string>;
  readonly sseMode: SseModeName;
  readonly kmsKeyId?: string;
  dispose(): void;
}

/** Where a read's headers come from: the request itself, or the x-amz-copy-source-* set. */
export type ReadRole = 'object' | 'copy-source';

/** How one stored object is read back as plaintext. */
export interface ReadPlan {
  /** Plaintext size reported to clients. */
  readonly size: number;
  /** ETag shown to clients (without quotes). */
  readonly etag: string;
  /** Plaintext sizes of the parts of a multipart object, in order. */
  readonly partSizes: readonly number[] | undefined;
  readonly responseHeaders: Record<string, string>;
  readonly sseMode: SseModeName;
  /** A plaintext range [offset, offset + length), already clamped to `size`. */
  open(range: ByteRange | undefined): Promise<ReadableStream<Uint8Array>>;
  /** The plaintext of a whole-object stream already fetched from storage (may open a key first, so errors still answer). */
  decodeWhole(stored: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>;
  /** Called when no stream was opened (HEAD, 304, errors). A stream that was opened owns the plan's resources. */
  dispose(): void;
}

export interface ObjectCodec {
  planWrite(target: WriteTarget): Promise<WritePlan>;
  /** CreateMultipartUpload: fields stored with the upload, and headers to echo. */
  planUpload(target: Omit<WriteTarget, 'part'>): Promise<{ internal: Record<string, string>; responseHeaders: Record<string, string> }>;
  /** CompleteMultipartUpload: the final object's fields from the upload's and its parts'. */
  planComplete(upload: UploadInfo, parts: readonly PartInfo[], etag: string): Promise<BeforeCommitResult> | BeforeCommitResult;
  planRead(info: ObjectInfo, headers: Headers, role: ReadRole, store: ObjectStore): Promise<ReadPlan>;
  /** Size and ETag shown in listings (plaintext view, no per-object key material needed). */
  listed(info: ObjectInfo): { size: number; etag: string };
  /** Called once per listing page before `listed`: lets a codec load what it needs (e.g. a server-wide key). */
  prepareListing?(objects: readonly ObjectInfo[]): Promise<void>;
  /** Size and ETag of an uploaded part shown by ListParts. */
  listedPart(part: PartInfo): { size: number; etag: string };
}

const sseHeaderNames = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-context',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
];

/** Plain codec: asking it to encrypt is refused (storing plaintext would be a wrong success). */
function refuseSse(headers: Headers, prefix = ''): void {
  for (const name of sseHeaderNames) {
    const full = prefix === '' ? name : name.replace('x-amz-', prefix);
    if (headers.has(full)) throw new S3Error('NotImplemented', 'Server-side encryption is not enabled on this server.', { Header: full });
  }
}

export const plainCodec: ObjectCodec = {
  listed: (info) => ({ size: info.size, etag: info.etag }),
  listedPart: (part) => ({ size: part.size, etag: part.etag }),
  async planWrite(target) {
    refuseSse(target.headers);
    return {
      internal: {},
      encode: (plain) => plain,
      storedBytes: (plainBytes) => plainBytes,
      finish: (plain) => {
        if (plain.md5Hex === undefined) throw new Error('plain codec needs the payload MD5');
        return { etag: plain.md5Hex, internal: {} };
      },
      responseHeaders: {},
      sseMode: 'none',
      dispose() {},
    };
  },
  async planUpload(target) {
    refuseSse(target.headers);
    return { internal: {}, responseHeaders: {} };
  },
  planComplete: () => ({}),
  async planRead(info, headers, role, store) {
    if (role === 'copy-source') refuseSse(headers, 'x-amz-copy-source-');
    return plainReadPlan(info, store);
  },
};

/** Reading an unencrypted object: stored bytes are the plaintext. */
export function plainReadPlan(info: ObjectInfo, store: ObjectStore): ReadPlan {
  return {
    size: info.size,
    etag: info.etag,
    partSizes: info.parts?.map((p) => p.size),
    responseHeaders: {},
    sseMode: 'none',
    open: async (range) => (await store.get(info.bucket, info.key, range)).stream,
    decodeWhole: (stored) => stored,
    dispose() {},
  };
}
