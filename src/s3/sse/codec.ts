// The encrypting ObjectCodec: SSE-S3, SSE-KMS and SSE-C on every write and read path
// (PUT, GET/HEAD with ranges and partNumber, copy in every source x destination mode,
// multipart with per-part keys). Request headers win over the bucket default. Only
// sealed material is stored; keys live in Uint8Arrays wiped when the request is done.
import { createHmac } from 'node:crypto';
import * as sse from '../../crypto/index.ts';
import type { Kms } from '../../kms/types.ts';
import type { ObjectInfo, ObjectStore, PartInfo } from '../../storage/types.ts';
import type { Random } from '../../util/random.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { plainReadPlan, type ObjectCodec, type ReadPlan, type ReadRole, type SseModeName, type WritePlan, type WriteTarget } from '../codec.ts';
import { S3Error } from '../errors.ts';
import type { PayloadResult } from '../sigv4/index.ts';
import { bucketDefaultMode } from './bucket-default.ts';
import { refuseInsecureCustomerKey, sseStep, toS3Error } from './errors.ts';
import { decodeSingle, openMultipart, openSingle, plainSizes } from './read.ts';
import { assertNever } from '../../util/assert.ts';

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
  clock?: Clock;
}

/** How long a listing or HEAD waits for the metadata key before showing stored ETags (a slow KMS must not stall them). */
const metadataKeyWaitMsMax = 1000;

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
    storedBytes: (plainBytes) => plainBytes,
    finish: (plain) => ({ etag: requireMd5(plain), internal: {} }),
    responseHeaders: {},
    sseMode: 'none',
    dispose() {},
  };
}

/**
 * An ETag for encrypted data: HMAC-SHA256 of a plaintext digest under the data's own key,
 * cut to MD5's length. The digest is SHA-256 where the write computed it (see
 * WritePlan.etagDigest), else the MD5.
 */
function keyedEtag(key: Uint8Array, plain: PayloadResult): string {
  const input = plain.sha256Hex !== undefined ? `cairn-etag-sha256\0${plain.sha256Hex}` : `cairn-etag\0${requireMd5(plain)}`;
  return createHmac('sha256', key).update(input).digest('hex').slice(0, 32);
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
  const store = o.store;
  /** Seals SSE-S3 ETags so that listings and HEAD open them without a KMS call per object. */
  const metadataKey = o.kms === undefined || o.defaultKeyId === undefined ? null : new sse.MetadataKey({
    kms: o.kms,
    defaultKeyId: o.defaultKeyId,
    docs: { read: (n) => store.readSystem(n), write: (n, b) => store.writeSystem(n, b) },
    clock: o.clock ?? systemClock,
  });
  const etags = etagView(metadataKey);

  /** The destination mode of an object write or upload: its own headers, else the bucket default. */
  async function destinationMode(target: Omit<WriteTarget, 'part'>): Promise<sse.SseMode> {
    refuseInsecureCustomerKey(target.headers, secure);
    const own = await sseStep(() => sse.parsePutSse(target.headers));
    return own ?? (await bucketDefaultMode(o.store, target.bucket)) ?? { kind: 'none' };
  }

  /** `etagKey`: SSE-S3 object writes seal the plaintext MD5 under the metadata key. */
  function encryptedWritePlan(objectKey: Uint8Array, internal: Record<string, string>, responseHeaders: Record<string, string>, etagKey: { key: Uint8Array; ref: sse.ObjectRef } | null, extra: Record<string, string>): WritePlan {
    let wiped = false;
    const plan: WritePlan = {
      internal: { ...internal, ...extra },
      // The write pipeline hands body chunks over (WritePlan.encode): encrypt them in place.
      encode: (plain) => plain.pipeThrough(sse.encryptStream(objectKey, { random: o.random, reuseInput: true })),
      storedBytes: (plainBytes) => sse.encryptedSize(plainBytes),
      // SSE-KMS and SSE-C ETags are not the MD5: SHA-256 serves as well and costs less.
      ...(etagKey === null ? { etagDigest: 'sha256' as const } : {}),
      finish: async (plain) => {
        // Keyed by this object's (or part's) key, the ETag reveals nothing of the plaintext,
        // yet the same bytes uploaded again as the same part of an upload get the same ETag.
        if (etagKey === null) return { etag: keyedEtag(objectKey, plain), internal: {} };
        const md5 = requireMd5(plain);
        // SSE-S3: clients see the plaintext MD5 (this response, listings, GET, HEAD); only its sealed form is stored.
        responseHeaders['etag'] = `"${md5}"`;
        return { etag: opaqueEtag(), internal: { [sse.SseFields.sealedEtagV2]: sse.sealEtagLocal(etagKey.key, md5, internal, etagKey.ref, o.random) } };
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
    const ref = { bucket: target.bucket, key: target.key };
    // Before the body is read: a KMS that cannot give the metadata key fails the PUT up front.
    const etagKey = mode.kind === 'sse-s3' ? { key: await sseStep(() => requireMetadataKey(metadataKey)), ref } : null;
    const sealed = await sseStep(() => sse.sealNewObject(mode, ref, deps));
    const objectKey = sealed.objectKey;
    if (objectKey === null) return plainWritePlan();
    const sseC = mode.kind === 'sse-c' ? mode : null;
    const headers = sse.describe(sealed.internal, { sseC, includeContext: true });
    if (sseC !== null) sse.wipe(sseC.key);
    return encryptedWritePlan(objectKey, sealed.internal, headers, etagKey, {});
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
      return encryptedWritePlan(partKey, upload.internal, sse.describe(upload.internal, { sseC }), null, { [encryptedPartField]: 'true' });
    } finally {
      sse.wipe(sseC?.key);
    }
  }

  async function planRead(info: ObjectInfo, headers: Headers, role: ReadRole, store: ObjectStore): Promise<ReadPlan> {
    refuseInsecureCustomerKey(headers, secure);
    const sseC = await sseStep(() => (role === 'object' ? sse.parseReadSse(headers) : sse.parseCopySourceSse(headers)));
    const ref = { bucket: info.bucket, key: info.key };
    const stored = await sseStep(() => sse.storedMode(info.internal));
    // KMS-sealed keys open lazily (only a body read needs them): HEAD works while the KMS is down.
    const lazy = (stored === 'sse-s3' || stored === 'sse-kms') && sseC === null;
    let eager: Uint8Array | null = null;
    if (!lazy) {
      try {
        eager = await sseStep(() => sse.openObject(info.internal, ref, sseC, deps));
      } finally {
        sse.wipe(sseC?.key);
      }
      if (eager === null) return plainReadPlan(info, store);
    }
    const keys = objectKeyHolder(eager, () => sseStep(() => sse.openObject(info.internal, ref, null, deps)));
    try {
      const { size, partSizes } = await sseStep(() => plainSizes(info));
      const etag = await etags.forRead(info, keys.get);
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
            const key = await keys.get();
            if (partSizes === undefined) {
              const stream = await openSingle(store, info, key, size, range);
              keys.release(); // the decrypt stage copied the key
              return stream;
            }
            return await openMultipart(store, info, key, partSizes, range, keys.release);
          } catch (e) {
            keys.release();
            throw toS3Error(e);
          }
        },
        decodeWhole: async (stored) => {
          let key: Uint8Array;
          try {
            key = await keys.get();
          } catch (e) {
            keys.release();
            throw e;
          }
          if (partSizes === undefined) {
            const stream = decodeSingle(stored, key, size);
            keys.release();
            return stream;
          }
          // Parts are separate streams under separate keys: read them through the ranged path.
          void stored.cancel().catch(() => undefined);
          return openMultipart(store, info, key, partSizes, undefined, keys.release);
        },
        dispose: keys.release,
      };
    } catch (e) {
      keys.release();
      throw e;
    }
  }

  async function prepareListing(objects: readonly ObjectInfo[]): Promise<void> {
    if (metadataKey === null || metadataKey.cached() !== null) return;
    if (objects.some((info) => sse.sealedEtagKind(info.internal) === 'v2')) await metadataKey.tryGet(metadataKeyWaitMsMax);
  }

  return {
    listed: (info) => ({ size: listedSize(info), etag: etags.forListing(info) }),
    prepareListing,
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

/** The object key of one read: given (SSE-C, already opened) or opened on first need; release() wipes it. */
function objectKeyHolder(given: Uint8Array | null, open: () => Promise<Uint8Array | null>): { get: () => Promise<Uint8Array>; release: () => void } {
  let key = given;
  let opening: Promise<Uint8Array> | null = given === null ? null : Promise.resolve(given);
  let released = false;
  const release = (): void => {
    if (!released && key !== null) sse.wipe(key);
    released = true;
  };
  const get = (): Promise<Uint8Array> => {
    opening ??= open().then((k) => {
      if (k === null) throw new S3Error('InternalError', 'object encryption metadata is invalid');
      if (released) {
        sse.wipe(k);
        throw new S3Error('InternalError', 'the read was already finished');
      }
      key = k;
      return k;
    });
    if (released) return Promise.reject(new S3Error('InternalError', 'the read was already finished'));
    return opening;
  };
  return { get, release };
}

async function requireMetadataKey(metadataKey: sse.MetadataKey | null): Promise<Uint8Array> {
  if (metadataKey === null) throw new sse.SseError('NotImplemented', 'Server side encryption specified but KMS is not configured');
  return metadataKey.get();
}

/** The ETag clients see for an encrypted object: the SSE-S3 plaintext MD5 where it can be opened, else the stored one. */
function etagView(metadataKey: sse.MetadataKey | null): {
  forListing(info: ObjectInfo): string;
  forRead(info: ObjectInfo, objectKey: () => Promise<Uint8Array>): Promise<string>;
} {
  const ref = (info: ObjectInfo): sse.ObjectRef => ({ bucket: info.bucket, key: info.key });
  return {
    forListing(info) {
      const key = metadataKey?.cached() ?? null;
      if (key === null || sse.sealedEtagKind(info.internal) !== 'v2') return info.etag;
      // A listing never fails over one object's damaged metadata; reading it reports that.
      return sse.openEtagLocal(key, info.internal, ref(info)) ?? info.etag;
    },
    async forRead(info, objectKey) {
      const kind = sse.sealedEtagKind(info.internal);
      switch (kind) {
        case 'none':
          return info.etag;
        case 'v2': {
          // KMS down since start: show the stored ETag, as listings do, rather than fail.
          const key = metadataKey === null ? null : await metadataKey.tryGet(metadataKeyWaitMsMax);
          if (key === null) return info.etag;
          const etag = sse.openEtagLocal(key, info.internal, ref(info));
          if (etag === null) throw new S3Error('InternalError', 'object encryption metadata is invalid: sealed ETag');
          return etag;
        }
        case 'v1': {
          // Written before v2: the ETag is sealed under the object key itself.
          let key: Uint8Array;
          try {
            key = await objectKey();
          } catch (e) {
            if (e instanceof S3Error && e.status === 503) return info.etag;
            throw e;
          }
          return (await sseStep(() => sse.openEtag(key, info.internal))) ?? info.etag;
        }
        default:
          return assertNever(kind);
      }
    },
  };
}
