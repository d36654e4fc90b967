// The encrypting ObjectCodec: SSE-S3, SSE-KMS and SSE-C on every write and read path
// (PUT, GET/HEAD with ranges and partNumber, copy in every source x destination mode,
// multipart with per-part keys). Request headers win over the bucket default. Only
// sealed material is stored; keys live in Uint8Arrays wiped when the request is done.
import * as sse from '../../crypto/index.ts';
import type { Kms } from '../../kms/types.ts';
import type { ObjectInfo, ObjectStore, PartInfo } from '../../storage/types.ts';
import type { Random } from '../../util/random.ts';
import type { ObjectCodec, ReadPlan, ReadRole, SseModeName, WritePlan, WriteTarget } from '../codec.ts';
import { S3Error } from '../errors.ts';
import type { PayloadResult } from '../sigv4/index.ts';
import { bucketDefaultMode } from './bucket-default.ts';
import { refuseInsecureCustomerKey, sseStep, toS3Error } from './errors.ts';
import { decodeSingle, fromIterator, openMultipart, openSingle, plainSizes } from './read.ts';

export interface SseCodecOptions {
  kms: Kms | undefined;
  /** KMS key for SSE-S3 and for SSE-KMS requests that name none. */
  defaultKeyId: string | undefined;
  random: Random;
  /** The store view whose bucket metadata reads go through the config cache. */
  store: ObjectStore;
  /** Whether clients reach this server over TLS (CAIRN_TLS_CERT/KEY). */
  secure: boolean;
  /** CAIRN_SSE_C_ALLOW_INSECURE: accept customer keys over plain HTTP. */
  sseCAllowInsecure: boolean;
  /** Parts but the last must hold at least this much plaintext. */
  partBytesMin: number;
}

/** Marks a stored part as an encrypted stream, so ListParts can report its plaintext size. */
const encryptedPartField = 'sse-part';

function modeName(internal: Readonly<Record<string, string>>): SseModeName {
  return sse.storedMode(internal);
}

function kmsKeyIdOf(internal: Readonly<Record<string, string>>): { kmsKeyId?: string } {
  const id = internal[sse.SseFields.kmsKeyId];
  return id === undefined ? {} : { kmsKeyId: id };
}

function plainWritePlan(): WritePlan {
  return {
    internal: {},
    encode: (plain) => plain,
    finish: (plain) => ({ etag: requireMd5(plain), internal: {} }),
    responseHeaders: {},
    sseMode: 'none',
    dispose() {},
  };
}

function requireMd5(plain: PayloadResult): string {
  if (plain.md5Hex === undefined) throw new Error('the write pipeline must compute the plaintext MD5');
  return plain.md5Hex;
}

export function createSseCodec(o: SseCodecOptions): ObjectCodec {
  const deps: sse.SseDeps = { kms: o.kms ?? null, defaultKeyId: o.defaultKeyId ?? null, random: o.random };
  const secure = o.secure || o.sseCAllowInsecure;
  /** Encrypted objects show a random ETag: the plaintext MD5 is never stored in clear. */
  const opaqueEtag = (): string => Buffer.from(o.random.bytes(16)).toString('hex');

  /** The destination mode of an object write or upload: its own headers, else the bucket default. */
  async function destinationMode(target: Omit<WriteTarget, 'part'>): Promise<sse.SseMode> {
    refuseInsecureCustomerKey(target.headers, secure);
    const own = await sseStep(() => sse.parsePutSse(target.headers));
    return own ?? (await bucketDefaultMode(o.store, target.bucket)) ?? { kind: 'none' };
  }

  function encryptedWritePlan(objectKey: Uint8Array, internal: Record<string, string>, responseHeaders: Record<string, string>, sealEtag: boolean, extra: Record<string, string>): WritePlan {
    let wiped = false;
    const plan: WritePlan = {
      internal: { ...internal, ...extra },
      encode: (plain) => plain.pipeThrough(sse.encryptStream(objectKey, { random: o.random })),
      finish: async (plain) => {
        const md5 = requireMd5(plain);
        if (!sealEtag) return { etag: opaqueEtag(), internal: {} };
        // SSE-S3: clients see the plaintext MD5 (this response, GET, HEAD); only its sealed form is stored.
        responseHeaders['etag'] = `"${md5}"`;
        return { etag: opaqueEtag(), internal: { [sse.SseFields.sealedEtag]: await sse.sealEtag(objectKey, md5, o.random) } };
      },
      responseHeaders,
      sseMode: modeName(internal),
      ...kmsKeyIdOf(internal),
      dispose() {
        if (!wiped) sse.wipe(objectKey);
        wiped = true;
      },
    };
    return plan;
  }

  async function planObjectWrite(target: WriteTarget): Promise<WritePlan> {
    const mode = await destinationMode(target);
    if (mode.kind === 'none') return plainWritePlan();
    const sealed = await sseStep(() => sse.sealNewObject(mode, { bucket: target.bucket, key: target.key }, deps));
    const objectKey = sealed.objectKey;
    if (objectKey === null) return plainWritePlan();
    const sseC = mode.kind === 'sse-c' ? mode : null;
    const headers = sse.describe(sealed.internal, { sseC, includeContext: true });
    if (sseC !== null) sse.wipe(sseC.key);
    return encryptedWritePlan(objectKey, sealed.internal, headers, mode.kind === 'sse-s3', {});
  }

  /** UploadPart / UploadPartCopy: the part key comes from the upload's sealed object key. */
  async function planPartWrite(target: WriteTarget & { part: NonNullable<WriteTarget['part']> }): Promise<WritePlan> {
    const { upload, partNumber } = target.part;
    refuseInsecureCustomerKey(target.headers, secure);
    const sseC = await sseStep(() => sse.parseReadSse(target.headers));
    try {
      const objectKey = await sseStep(() => sse.openObject(upload.internal, { bucket: target.bucket, key: target.key }, sseC, deps));
      if (objectKey === null) return plainWritePlan();
      const partKey = sse.partKey(objectKey, partNumber);
      sse.wipe(objectKey);
      return encryptedWritePlan(partKey, upload.internal, sse.describe(upload.internal, { sseC }), false, { [encryptedPartField]: 'true' });
    } finally {
      sse.wipe(sseC?.key);
    }
  }

  async function planRead(info: ObjectInfo, headers: Headers, role: ReadRole, store: ObjectStore): Promise<ReadPlan> {
    refuseInsecureCustomerKey(headers, secure);
    const sseC = await sseStep(() => (role === 'object' ? sse.parseReadSse(headers) : sse.parseCopySourceSse(headers)));
    let objectKey: Uint8Array | null;
    try {
      objectKey = await sseStep(() => sse.openObject(info.internal, { bucket: info.bucket, key: info.key }, sseC, deps));
    } finally {
      sse.wipe(sseC?.key);
    }
    if (objectKey === null) return plainReadPlan(info, store);
    const key = objectKey;
    let released = false;
    const release = (): void => {
      if (!released) sse.wipe(key);
      released = true;
    };
    try {
      const { size, partSizes } = await sseStep(() => plainSizes(info));
      const etag = (await sseStep(() => sse.openEtag(key, info.internal))) ?? info.etag;
      // Copy sources echo nothing: the destination's headers describe the result.
      const responseHeaders = role === 'object' ? sse.describe(info.internal, { sseC }) : {};
      return {
        size,
        etag,
        partSizes,
        responseHeaders,
        sseMode: modeName(info.internal),
        open: async (range) => {
          try {
            if (partSizes === undefined) {
              const stream = await openSingle(store, info, key, size, range);
              release(); // the decrypt stage copied the key
              return stream;
            }
            return await openMultipart(store, info, key, partSizes, range, release);
          } catch (e) {
            release();
            throw toS3Error(e);
          }
        },
        decodeWhole: (stored) => {
          if (partSizes === undefined) {
            const stream = decodeSingle(stored, key, size);
            release();
            return stream;
          }
          // Parts are separate streams under separate keys: read them through the ranged path.
          void stored.cancel().catch(() => undefined);
          const opened = openMultipart(store, info, key, partSizes, undefined, release);
          return lazyStream(opened);
        },
        dispose: release,
      };
    } catch (e) {
      release();
      throw e;
    }
  }

  return {
    listed: (info) => ({ size: listedSize(info), etag: info.etag }),
    listedPart: (part) => ({ size: part.internal[encryptedPartField] === 'true' ? safePlainSize(part.size) : part.size, etag: part.etag }),
    planWrite: (target) => (target.part === undefined ? planObjectWrite(target) : planPartWrite({ ...target, part: target.part })),
    async planUpload(target) {
      const mode = await destinationMode(target);
      if (mode.kind === 'none') return { internal: {}, responseHeaders: {} };
      const sealed = await sseStep(() => sse.sealNewObject(mode, { bucket: target.bucket, key: target.key }, deps));
      sse.wipe(sealed.objectKey);
      const sseC = mode.kind === 'sse-c' ? mode : null;
      const responseHeaders = sse.describe(sealed.internal, { sseC, includeContext: true });
      sse.wipe(sseC?.key);
      return { internal: sealed.internal, responseHeaders };
    },
    planComplete(upload, parts) {
      if (sse.storedMode(upload.internal) === 'none') return {};
      checkPartSizes(parts, o.partBytesMin);
      return { internal: { ...upload.internal } };
    },
    planRead,
  };
}

/** Storage checks stored part sizes; encrypted parts are bigger than their plaintext, so check that too. */
function checkPartSizes(parts: readonly PartInfo[], partBytesMin: number): void {
  for (let i = 0; i + 1 < parts.length; i++) {
    const part = parts[i]!;
    const plain = safePlainSize(part.size);
    if (plain < partBytesMin) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', { PartNumber: String(part.partNumber), ProposedSize: String(plain), MinSizeAllowed: String(partBytesMin) });
    }
  }
}

function safePlainSize(storedBytes: number): number {
  try {
    return sse.plainSizeFromEncrypted(storedBytes);
  } catch {
    return storedBytes;
  }
}

function listedSize(info: ObjectInfo): number {
  if (sse.storedMode(info.internal) === 'none') return info.size;
  try {
    return plainSizes(info).size;
  } catch {
    return info.size; // damaged metadata: listing still works, reading will report it
  }
}

function plainReadPlan(info: ObjectInfo, store: ObjectStore): ReadPlan {
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

/** A stream whose source is still being opened; an open failure errors the stream. */
function lazyStream(opened: Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> {
  async function* relay(): AsyncGenerator<Uint8Array> {
    yield* await opened;
  }
  return fromIterator(relay());
}
