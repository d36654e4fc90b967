// The server-wide metadata key: one 256-bit KMS data key that seals small per-object
// metadata (the SSE-S3 ETag), so listings, HEAD and GET can show it without one KMS
// call per object. Only its KMS ciphertext is stored, as a system document; the
// plaintext is fetched on first need and kept in process memory (never logged).
import type { Clock } from '../util/clock.ts';
import type { Kms } from '../kms/types.ts';
import { SseError } from './errors.ts';
import { callKms, kmsKeyName } from './sse-kms.ts';
import { wipe } from './wipe.ts';

export const metadataKeyDocName = 'kms/metadata-key';
/** Fixed purpose context: no object context can equal it (the bucket name "cairn" is reserved). */
export const metadataKeyContext = Object.freeze({ cairn: 'sse-metadata-key/v1' });
const docVersion = 1;
const keyBytes = 32;

export interface SystemDocs {
  read(name: string): Promise<Uint8Array | null>;
  write(name: string, data: Uint8Array): Promise<void>;
}

interface MetadataKeyDoc {
  version: number;
  /** KMS key name that sealed it (the default key when it was generated). */
  keyId: string;
  /** base64 KMS ciphertext of the data key. */
  ciphertext: string;
}

function parseDoc(bytes: Uint8Array): MetadataKeyDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    raw = null;
  }
  const doc = raw as Partial<MetadataKeyDoc> | null;
  if (doc === null || typeof doc !== 'object' || doc.version !== docVersion || typeof doc.keyId !== 'string' || typeof doc.ciphertext !== 'string') {
    throw new SseError('InternalError', 'the metadata key document is invalid');
  }
  return { version: doc.version, keyId: doc.keyId, ciphertext: doc.ciphertext };
}

function encodeDoc(doc: MetadataKeyDoc): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc));
}

export interface MetadataKeyDeps {
  kms: Kms;
  /** KMS key that seals a newly generated metadata key. */
  defaultKeyId: string;
  docs: SystemDocs;
  clock: Clock;
  /** After a failure, callers that may fall back do not wait on the KMS again for this long. */
  retryAfterMs?: number;
}

export class MetadataKey {
  private key: Uint8Array | null = null;
  private pending: Promise<Uint8Array> | null = null;
  private failedAtMs: number | null = null;
  private readonly retryAfterMs: number;

  constructor(private readonly deps: MetadataKeyDeps) {
    this.retryAfterMs = deps.retryAfterMs ?? 5000;
  }

  /** The key if it is already in memory (no I/O). */
  cached(): Uint8Array | null {
    return this.key;
  }

  /** The key, loading (or on first use generating) it; KMS failures become SseError (503 when down). */
  get(): Promise<Uint8Array> {
    if (this.key !== null) return Promise.resolve(this.key);
    this.pending ??= this.load().then(
      (k) => {
        this.key = k;
        this.pending = null;
        this.failedAtMs = null;
        return k;
      },
      (e: unknown) => {
        this.pending = null;
        this.failedAtMs = this.deps.clock.nowMs();
        throw e;
      },
    );
    return this.pending;
  }

  /**
   * For callers with a fallback: null when unavailable, without retrying a recent
   * failure, and after at most `waitMsMax` (a slow KMS must not hold a listing up;
   * the load goes on and later callers get the key).
   */
  async tryGet(waitMsMax = Number.POSITIVE_INFINITY): Promise<Uint8Array | null> {
    if (this.key !== null) return this.key;
    if (this.pending === null && this.failedAtMs !== null && this.deps.clock.nowMs() - this.failedAtMs < this.retryAfterMs) return null;
    const loaded = this.get().catch(() => null);
    if (!Number.isFinite(waitMsMax)) return loaded;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), waitMsMax);
    });
    try {
      return await Promise.race([loaded, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async load(): Promise<Uint8Array> {
    const { kms, docs } = this.deps;
    // A failed read throws: a new key is generated only when the document is truly absent.
    const stored = await docs.read(metadataKeyDocName);
    if (stored !== null) {
      const doc = parseDoc(stored);
      const plain = await callKms(() => kms.decrypt(doc.keyId, new Uint8Array(Buffer.from(doc.ciphertext, 'base64')), metadataKeyContext));
      if (plain.length !== keyBytes) throw new SseError('InternalError', 'the metadata key has the wrong size');
      return plain;
    }
    const keyId = kmsKeyName(this.deps.defaultKeyId);
    const dataKey = await callKms(() => kms.generateDataKey(keyId, metadataKeyContext));
    if (dataKey.plaintext.length !== keyBytes) {
      wipe(dataKey.plaintext);
      throw new SseError('InternalError', 'the metadata key has the wrong size');
    }
    await docs.write(metadataKeyDocName, encodeDoc({ version: docVersion, keyId, ciphertext: Buffer.from(dataKey.ciphertext).toString('base64') }));
    return dataKey.plaintext;
  }
}

/**
 * Re-seals the stored metadata key under its KMS key's newest version (for the rewrap
 * job, so a raised min_decryption_version still opens it). False when there is none,
 * or when `keyId` is given and names another key.
 */
export async function rewrapMetadataKey(kms: Kms, docs: SystemDocs, keyId: string | null): Promise<boolean> {
  const stored = await docs.read(metadataKeyDocName);
  if (stored === null) return false;
  const doc = parseDoc(stored);
  if (keyId !== null && doc.keyId !== keyId) return false;
  const next = await callKms(() => kms.rewrap(doc.keyId, new Uint8Array(Buffer.from(doc.ciphertext, 'base64')), metadataKeyContext));
  await docs.write(metadataKeyDocName, encodeDoc({ ...doc, ciphertext: Buffer.from(next).toString('base64') }));
  return true;
}
