// The sequencing rules of a DARE 2.0 stream, checked before any package is
// opened: version, cipher, sizes, shared nonce, final flag placement, and the end.
import { Dare, baseNonceOf, readHeader } from './format.ts';
import { CryptoError } from './errors.ts';
import { timingSafeEqual } from 'node:crypto';

export interface StreamBounds {
  firstSequence: number;
  /** Exact number of packages expected, or undefined: then the stream must end with a final package. */
  packageCount: number | undefined;
  /** With packageCount: whether the last expected package is the final one. */
  lastIsFinal: boolean;
}

export class PackageChecker {
  private refNonce: Uint8Array | undefined;
  private seen = 0;
  private done = false;

  constructor(private readonly bounds: StreamBounds) {}

  /** Returns the sequence number of the package, or throws CryptoError. */
  check(pkg: Uint8Array): number {
    if (this.done) throw new CryptoError('UnexpectedData', 'data after the last package');
    const header = readHeader(pkg);
    if (header.version !== Dare.version) throw new CryptoError('UnsupportedVersion');
    if (header.cipher !== Dare.cipherAes256Gcm) throw new CryptoError('UnsupportedCipher');
    if (!header.final && header.payloadBytes !== Dare.payloadBytesMax) throw new CryptoError('InvalidPayloadSize', 'short non-final package');
    const nonce = baseNonceOf(pkg);
    this.refNonce ??= nonce;
    if (!timingSafeEqual(nonce, this.refNonce)) throw new CryptoError('NonceMismatch', 'package from another stream');
    const { packageCount, lastIsFinal, firstSequence } = this.bounds;
    const isLastExpected = packageCount !== undefined && this.seen === packageCount - 1;
    if (packageCount !== undefined) {
      const finalExpected = isLastExpected && lastIsFinal;
      if (header.final && !finalExpected) throw new CryptoError('UnexpectedData', 'final package before the expected end');
      if (!header.final && finalExpected) throw new CryptoError('MissingFinal', 'expected the final package');
    }
    const sequence = firstSequence + this.seen;
    if (sequence >= Dare.sequenceCount) throw new CryptoError('UnexpectedData', 'stream too long');
    this.seen++;
    this.done = header.final || isLastExpected;
    return sequence;
  }

  /** Throws unless the stream may end here. */
  finish(pendingBytes: number): void {
    if (pendingBytes > 0) throw new CryptoError('InvalidPayloadSize', 'stream ends inside a package');
    if (this.done) return;
    if (this.bounds.packageCount === 0) return;
    throw new CryptoError('MissingFinal', 'stream ends before its last package');
  }
}
