export {
  checksumAlgorithms, checksumBase64, checksumDigestBytes, checksumHeaderName, createChecksummer,
  parseChecksumAlgorithm, bytesToBase64,
} from './checksum.ts';
export type { ChecksumAlgorithm, Checksummer } from './checksum.ts';
