// Signature chain for aws-chunked bodies: each chunk's signature covers the previous
// one, starting from the request's seed signature. Holds the derived signing key,
// so it never prints it.
import { hmacHex } from './crypto.ts';

export class ChunkSigner {
  readonly #signingKey: Uint8Array;

  constructor(signingKey: Uint8Array, readonly amzDate: string, readonly scope: string, readonly seedSignature: string) {
    this.#signingKey = signingKey;
  }

  /** Signature of one chunk whose data hashes to `dataSha256Hex`. */
  chunkSignature(previousSignature: string, dataSha256Hex: string): string {
    const toSign = `AWS4-HMAC-SHA256-PAYLOAD\n${this.amzDate}\n${this.scope}\n${previousSignature}\n` +
      `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n${dataSha256Hex}`;
    return hmacHex(this.#signingKey, toSign);
  }

  /** Signature of the trailer block (canonical `name:value\n` lines hashed). */
  trailerSignature(previousSignature: string, trailersSha256Hex: string): string {
    const toSign = `AWS4-HMAC-SHA256-TRAILER\n${this.amzDate}\n${this.scope}\n${previousSignature}\n${trailersSha256Hex}`;
    return hmacHex(this.#signingKey, toSign);
  }

  toJSON(): Record<string, string> {
    return { amzDate: this.amzDate, scope: this.scope };
  }
}
