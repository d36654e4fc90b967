// Request body verification while streaming: payload SHA-256, aws-chunked signatures,
// Content-MD5, x-amz-checksum-* and length. A failed check errors the stream before
// its last piece is delivered, so a consumer that commits on end never commits bad data.
import { S3Error, isS3Error } from '../errors.ts';
import { assert } from '../../util/assert.ts';
import { bytesToBase64, createChecksummer } from '../checksum/index.ts';
import type { ChecksumAlgorithm, Checksummer } from '../checksum/index.ts';
import type { AuthResult } from './authenticate.ts';
import { AwsChunkedDecoder } from './chunked.ts';
import { readPayloadSpec } from './payload-spec.ts';
import type { PayloadSpec } from './payload-spec.ts';

export interface PayloadResult {
  checksum?: { algorithm: ChecksumAlgorithm; valueB64: string };
  md5Hex?: string;
  /** The body's SHA-256, when it was computed (a signed payload, or preferSha256). */
  sha256Hex?: string;
  sizeBytes: number;
}

export interface VerifiedBody {
  stream: ReadableStream<Uint8Array>;
  /** Decoded length the client promised (x-amz-decoded-content-length for aws-chunked). */
  contentLength: number | undefined;
  /** Valid once the stream has ended without error. */
  result(): PayloadResult;
  /**
   * With computeMd5, before the body is read: the digest for the ETag may be SHA-256
   * instead (one already computed is used as it is). No effect once reading began.
   */
  preferSha256(): void;
}

export interface VerifyOptions {
  /** Always compute a digest for the ETag: MD5, or SHA-256 after preferSha256. Without it, MD5 only for Content-MD5. */
  computeMd5?: boolean;
  /** Compute this checksum for the result even when the client sent none. */
  computeChecksum?: ChecksumAlgorithm;
  /** Larger bodies fail with EntityTooLarge. */
  sizeBytesMax?: number;
}

/** Per-piece checks over the decoded body; `finish` runs the end-of-body comparisons. */
class BodyChecks {
  private sizeBytes = 0;
  private sha256: Bun.CryptoHasher | undefined;
  private md5: Bun.CryptoHasher | undefined;
  private readonly checksummer: Checksummer | undefined;
  private finished: PayloadResult | undefined;
  /** The ETag digest is chosen when the first byte arrives (or at the end, for an empty body). */
  private started = false;
  private sha256Preferred = false;

  constructor(private readonly spec: PayloadSpec, private readonly options: VerifyOptions) {
    this.sha256 = spec.mode.kind === 'sha256' ? new Bun.CryptoHasher('sha256') : undefined;
    this.md5 = spec.md5B64 !== undefined ? new Bun.CryptoHasher('md5') : undefined;
    this.checksummer = spec.checksum === undefined ? undefined : createChecksummer(spec.checksum.algorithm);
  }

  preferSha256(): void {
    if (!this.started) this.sha256Preferred = true;
  }

  private start(): void {
    this.started = true;
    if (this.options.computeMd5 !== true) return;
    if (!this.sha256Preferred) this.md5 ??= new Bun.CryptoHasher('md5');
    // Any digest of the body serves: one the checks compute anyway, else SHA-256.
    else if (this.sha256 === undefined && this.md5 === undefined) this.sha256 = new Bun.CryptoHasher('sha256');
  }

  update(piece: Uint8Array): void {
    if (!this.started) this.start();
    this.sizeBytes += piece.length;
    const limit = this.spec.lengthBytes ?? this.options.sizeBytesMax;
    if (limit !== undefined && this.sizeBytes > limit) {
      throw this.spec.lengthBytes === undefined ? new S3Error('EntityTooLarge') : new S3Error('IncompleteBody', 'The body is longer than the length the request declared.');
    }
    this.sha256?.update(piece);
    this.md5?.update(piece);
    this.checksummer?.update(piece);
  }

  finish(trailers: ReadonlyMap<string, string>): void {
    if (!this.started) this.start();
    const { spec } = this;
    if (spec.lengthBytes !== undefined && this.sizeBytes !== spec.lengthBytes) throw new S3Error('IncompleteBody');
    const sha256Hex = this.sha256?.digest('hex');
    if (spec.mode.kind === 'sha256' && sha256Hex !== spec.mode.expectedHex) throw new S3Error('XAmzContentSHA256Mismatch');
    const result: PayloadResult = { sizeBytes: this.sizeBytes };
    if (sha256Hex !== undefined) result.sha256Hex = sha256Hex;
    if (this.md5 !== undefined) {
      const md5 = this.md5.digest();
      if (spec.md5B64 !== undefined && md5.toString('base64') !== spec.md5B64) throw new S3Error('BadDigest');
      result.md5Hex = md5.toString('hex');
    }
    if (this.checksummer !== undefined && spec.checksum !== undefined) {
      const { algorithm } = spec.checksum;
      const valueB64 = bytesToBase64(this.checksummer.digest());
      const expected = spec.checksum.source === 'trailer' ? trailers.get(`x-amz-checksum-${algorithm.toLowerCase()}`) : spec.checksum.valueB64;
      if (spec.checksum.source === 'trailer' && expected === undefined) {
        throw new S3Error('InvalidRequest', 'The trailer named in x-amz-trailer was not sent.');
      }
      if (expected !== undefined && expected !== valueB64) {
        throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
      }
      result.checksum = { algorithm, valueB64 };
    }
    this.finished = result;
  }

  result(): PayloadResult {
    assert(this.finished !== undefined, 'payload result read before the body ended');
    return this.finished;
  }
}

/**
 * Wraps a request body so it verifies itself while it is read. Header-level problems
 * (malformed Content-MD5, bad checksum header, unknown payload mode) throw S3Error now;
 * body-level problems error the returned stream with an S3Error.
 */
export function verifiedBody(
  body: ReadableStream<Uint8Array> | null,
  auth: AuthResult,
  headers: Headers,
  options: VerifyOptions = {},
): VerifiedBody {
  const spec = readPayloadSpec(auth.payloadHash, headers, options.computeChecksum);
  const checks = new BodyChecks(spec, options);
  const decoder = spec.mode.kind === 'chunked'
    ? new AwsChunkedDecoder(spec.mode.signed ? { signer: auth.signer, trailers: spec.mode.trailers } : { trailers: spec.mode.trailers })
    : undefined;
  const stream = holdBackStream(body, {
    push(input, emit) {
      if (decoder === undefined) {
        checks.update(input);
        emit(input);
        return;
      }
      decoder.push(input, (piece) => {
        checks.update(piece);
        emit(piece);
      });
    },
    end() {
      checks.finish(decoder === undefined ? new Map() : decoder.end());
    },
  });
  return { stream, contentLength: spec.lengthBytes, result: () => checks.result(), preferSha256: () => checks.preferSha256() };
}

interface Stage {
  push(input: Uint8Array, emit: (piece: Uint8Array) => void): void;
  end(): void;
}

/**
 * Pull-based pass-through that always holds the latest piece back until the next
 * one arrives, and releases the last only after `end()` passed: a failed final
 * check errors the stream instead of completing it.
 */
function holdBackStream(body: ReadableStream<Uint8Array> | null, stage: Stage): ReadableStream<Uint8Array> {
  const reader: ByteReader | undefined = body?.getReader();
  let held: Uint8Array | undefined;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (cancelled) return;
      try {
        let released = false;
        const emit = (piece: Uint8Array): void => {
          if (piece.length === 0) return;
          if (held !== undefined) {
            controller.enqueue(held);
            released = true;
          }
          held = piece;
        };
        while (!released) {
          const next = reader === undefined ? { done: true as const } : await readUpstream(reader);
          if (cancelled) return;
          if (next.done) {
            stage.end();
            if (held !== undefined) controller.enqueue(held);
            held = undefined;
            controller.close();
            return;
          }
          if (cancelled) return;
          stage.push(next.value, emit);
        }
      } catch (error) {
        held = undefined;
        if (cancelled) return;
        controller.error(error);
        await reader?.cancel(error).catch(() => undefined);
      }
    },
    async cancel(reason) {
      cancelled = true;
      held = undefined;
      await reader?.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

type ReadResult = { done: true; value?: Uint8Array | undefined } | { done: false; value: Uint8Array };
interface ByteReader {
  read(): Promise<ReadResult>;
  cancel(reason?: unknown): Promise<void>;
}

async function readUpstream(reader: ByteReader): Promise<ReadResult> {
  try {
    return await reader.read();
  } catch (error) {
    if (isS3Error(error)) throw error;
    // The client went away or the transport broke mid-body.
    throw new S3Error('IncompleteBody', 'The request body ended early.');
  }
}
