// The five S3 additional checksums behind one incremental interface with base64 output.
import { assertNever } from '../../util/assert.ts';
import { crc32cUpdate } from './crc32c.ts';
import { crc64nvmeBytes, crc64nvmeInit, crc64nvmeUpdate } from './crc64nvme.ts';

export const checksumAlgorithms = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const;
export type ChecksumAlgorithm = (typeof checksumAlgorithms)[number];

export interface Checksummer {
  readonly algorithm: ChecksumAlgorithm;
  update(data: Uint8Array): void;
  /** Raw digest bytes (CRCs big-endian). Call once, after the last update. */
  digest(): Uint8Array;
}

/** Parses 'crc32', 'CRC32C', ... (any case); undefined when unknown. */
export function parseChecksumAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const upper = name.toUpperCase();
  return (checksumAlgorithms as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

/** The request/response header carrying this checksum, e.g. `x-amz-checksum-crc32`. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** Digest length in bytes, used to validate incoming base64 values. */
export function checksumDigestBytes(algorithm: ChecksumAlgorithm): number {
  switch (algorithm) {
    case 'CRC32':
    case 'CRC32C':
      return 4;
    case 'CRC64NVME':
      return 8;
    case 'SHA1':
      return 20;
    case 'SHA256':
      return 32;
    default:
      return assertNever(algorithm);
  }
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

class Crc32Checksummer implements Checksummer {
  readonly algorithm = 'CRC32' as const;
  private crc = 0;
  update(data: Uint8Array): void {
    this.crc = Bun.hash.crc32(data, this.crc);
  }
  digest(): Uint8Array {
    return u32be(this.crc);
  }
}

class Crc32cChecksummer implements Checksummer {
  readonly algorithm = 'CRC32C' as const;
  private crc = 0;
  update(data: Uint8Array): void {
    this.crc = crc32cUpdate(this.crc, data);
  }
  digest(): Uint8Array {
    return u32be(this.crc);
  }
}

class Crc64nvmeChecksummer implements Checksummer {
  readonly algorithm = 'CRC64NVME' as const;
  private readonly state = crc64nvmeInit();
  update(data: Uint8Array): void {
    crc64nvmeUpdate(this.state, data);
  }
  digest(): Uint8Array {
    return crc64nvmeBytes(this.state);
  }
}

class HashChecksummer implements Checksummer {
  private readonly hasher: Bun.CryptoHasher;
  constructor(readonly algorithm: 'SHA1' | 'SHA256') {
    this.hasher = new Bun.CryptoHasher(algorithm === 'SHA1' ? 'sha1' : 'sha256');
  }
  update(data: Uint8Array): void {
    this.hasher.update(data);
  }
  digest(): Uint8Array {
    return new Uint8Array(this.hasher.digest());
  }
}

export function createChecksummer(algorithm: ChecksumAlgorithm): Checksummer {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32Checksummer();
    case 'CRC32C':
      return new Crc32cChecksummer();
    case 'CRC64NVME':
      return new Crc64nvmeChecksummer();
    case 'SHA1':
    case 'SHA256':
      return new HashChecksummer(algorithm);
    default:
      return assertNever(algorithm);
  }
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** One-shot checksum of `data`, base64 as S3 sends it. */
export function checksumBase64(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  const c = createChecksummer(algorithm);
  c.update(data);
  return bytesToBase64(c.digest());
}
