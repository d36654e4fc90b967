// aws-chunked decoder: `hex-size[;chunk-signature=sig]\r\n data \r\n ... 0\r\n trailers \r\n`.
// Data is passed on as subarrays (no copies); only header lines are buffered, and
// they are bounded. Signed mode checks every chunk signature and the trailer signature.
import { S3Error } from '../errors.ts';
import { assert } from '../../util/assert.ts';
import type { ChunkSigner } from './chunk-signer.ts';
import { emptySha256Hex, sha256Hex, signaturesEqual } from './crypto.ts';

export const chunkLineBytesMax = 4096;
export const trailerCountMax = 16;
const chunkSizeHexDigitsMax = 12; // 2^48 bytes: beyond any object size S3 allows
const signedHeaderPattern = /^([0-9a-fA-F]+);chunk-signature=([0-9a-f]{64})$/;
const unsignedHeaderPattern = /^([0-9a-fA-F]+)(?:;.*)?$/;
const cr = 0x0d;
const lf = 0x0a;

export interface ChunkedOptions {
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): check the signature chain. */
  signer?: ChunkSigner;
  /** Trailer headers are expected after the final chunk (the *-TRAILER modes). */
  trailers: boolean;
}

type State = 'size' | 'data' | 'dataEnd' | 'trailer' | 'done';

const malformed = (detail: string): S3Error => new S3Error('InvalidRequest', `Malformed aws-chunked encoding: ${detail}.`);

export class AwsChunkedDecoder {
  private state: State = 'size';
  private readonly line = new Uint8Array(chunkLineBytesMax);
  private lineBytes = 0;
  private remainingBytes = 0;
  private crlfBytes = 0;
  private chunkHasher: Bun.CryptoHasher | undefined;
  private chunkSignature = '';
  private previousSignature: string;
  private readonly trailerList: Array<[string, string]> = [];
  private trailerSignature: string | undefined;
  private blankBeforeTrailers = false;

  constructor(private readonly options: ChunkedOptions) {
    this.previousSignature = options.signer?.seedSignature ?? '';
  }

  /** Feeds raw body bytes; `emit` receives decoded data pieces in order. Throws S3Error. */
  push(input: Uint8Array, emit: (data: Uint8Array) => void): void {
    let pos = 0;
    while (pos < input.length) {
      switch (this.state) {
        case 'size':
        case 'trailer':
          pos = this.readLine(input, pos);
          break;
        case 'data':
          pos = this.readData(input, pos, emit);
          break;
        case 'dataEnd':
          pos = this.readDataEnd(input, pos);
          break;
        case 'done':
          throw malformed('data after the final chunk');
      }
    }
  }

  /** Call at end of input; returns the trailers (lower-case names). Throws when truncated. */
  end(): ReadonlyMap<string, string> {
    const trailerEndOk = this.state === 'trailer' && this.lineBytes === 0;
    if (this.state !== 'done' && !trailerEndOk) throw new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk.');
    if (this.options.signer !== undefined && this.options.trailers && this.trailerSignature === undefined) {
      throw new S3Error('SignatureDoesNotMatch', 'The trailer signature is missing.');
    }
    this.state = 'done';
    return new Map(this.trailerList);
  }

  private readLine(input: Uint8Array, start: number): number {
    const nl = input.indexOf(lf, start);
    const stop = nl < 0 ? input.length : nl;
    const pieceBytes = stop - start;
    if (this.lineBytes + pieceBytes > chunkLineBytesMax) throw malformed('header line too long');
    this.line.set(input.subarray(start, stop), this.lineBytes);
    this.lineBytes += pieceBytes;
    if (nl < 0) return input.length;
    if (this.lineBytes === 0 || this.line[this.lineBytes - 1] !== cr) throw malformed('line not ended by CRLF');
    const text = Buffer.from(this.line.buffer, 0, this.lineBytes - 1).toString('latin1');
    this.lineBytes = 0;
    if (this.state === 'size') this.onSizeLine(text);
    else this.onTrailerLine(text);
    return nl + 1;
  }

  private onSizeLine(text: string): void {
    const signer = this.options.signer;
    const m = (signer === undefined ? unsignedHeaderPattern : signedHeaderPattern).exec(text);
    if (m === null) throw malformed('bad chunk header');
    const hex = m[1] ?? '';
    if (hex.length > chunkSizeHexDigitsMax) throw malformed('chunk size too large');
    const sizeBytes = Number.parseInt(hex, 16);
    this.chunkSignature = m[2] ?? '';
    if (sizeBytes > 0) {
      this.state = 'data';
      this.remainingBytes = sizeBytes;
      if (signer !== undefined) this.chunkHasher = new Bun.CryptoHasher('sha256');
      return;
    }
    if (signer !== undefined) this.verifyChunk(emptySha256Hex);
    this.state = 'trailer';
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      // AWS's own worked example puts a blank line between the final chunk and the
      // trailers; SDKs do not. Accept one there, and end on the next.
      const beforeTrailers = this.options.trailers && this.trailerList.length === 0 && this.trailerSignature === undefined;
      if (beforeTrailers && !this.blankBeforeTrailers) {
        this.blankBeforeTrailers = true;
        return;
      }
      this.state = 'done';
      return;
    }
    if (!this.options.trailers) throw malformed('trailer after the final chunk');
    if (this.trailerSignature !== undefined) throw malformed('trailer after the trailer signature');
    const colon = text.indexOf(':');
    if (colon <= 0) throw malformed('bad trailer line');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature' && this.options.signer !== undefined) {
      this.verifyTrailers(value);
      return;
    }
    if (this.trailerList.length >= trailerCountMax) throw malformed('too many trailers');
    this.trailerList.push([name, value]);
  }

  private readData(input: Uint8Array, start: number, emit: (data: Uint8Array) => void): number {
    const takeBytes = Math.min(this.remainingBytes, input.length - start);
    const piece = input.subarray(start, start + takeBytes);
    this.chunkHasher?.update(piece);
    emit(piece);
    this.remainingBytes -= takeBytes;
    if (this.remainingBytes === 0) {
      if (this.chunkHasher !== undefined) {
        this.verifyChunk(this.chunkHasher.digest('hex'));
        this.chunkHasher = undefined;
      }
      this.state = 'dataEnd';
      this.crlfBytes = 0;
    }
    return start + takeBytes;
  }

  private readDataEnd(input: Uint8Array, start: number): number {
    let pos = start;
    while (pos < input.length && this.crlfBytes < 2) {
      const expected = this.crlfBytes === 0 ? cr : lf;
      if (input[pos] !== expected) throw malformed('chunk data not followed by CRLF');
      this.crlfBytes += 1;
      pos += 1;
    }
    if (this.crlfBytes === 2) this.state = 'size';
    return pos;
  }

  private verifyChunk(dataSha256Hex: string): void {
    const signer = this.options.signer;
    assert(signer !== undefined, 'chunk verification needs a signer');
    const expected = signer.chunkSignature(this.previousSignature, dataSha256Hex);
    if (!signaturesEqual(expected, this.chunkSignature)) {
      throw new S3Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
    }
    this.previousSignature = expected;
  }

  private verifyTrailers(provided: string): void {
    const signer = this.options.signer;
    assert(signer !== undefined, 'trailer verification needs a signer');
    const canonical = this.trailerList.map(([n, v]) => `${n}:${v}\n`).join('');
    const expected = signer.trailerSignature(this.previousSignature, sha256Hex(canonical));
    if (!signaturesEqual(expected, provided)) {
      throw new S3Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
    }
    this.trailerSignature = expected;
  }
}
