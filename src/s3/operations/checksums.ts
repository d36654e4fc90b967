// Stored x-amz-checksum-* values: kept in the object's internal fields, echoed on PUT,
// and returned on GET/HEAD when the client asks with x-amz-checksum-mode: ENABLED.
import { checksumAlgorithms, checksumDigestBytes, checksumHeaderName, createChecksummer, parseChecksumAlgorithm, bytesToBase64, type ChecksumAlgorithm } from '../checksum/index.ts';
import { isBase64Of } from '../sigv4/payload-spec.ts';
import { combineCrcs, isCrcAlgorithm } from '../checksum/combine.ts';
import { S3Error } from '../errors.ts';
import type { PayloadResult } from '../sigv4/index.ts';
import type { PartInfo } from '../../storage/types.ts';

export const checksumFields = { algorithm: 'checksum-algorithm', value: 'checksum-value', type: 'checksum-type' } as const;

export function checksumAlgorithmOf(internal: Readonly<Record<string, string>>): ChecksumAlgorithm | undefined {
  const name = internal[checksumFields.algorithm];
  return name === undefined ? undefined : parseChecksumAlgorithm(name);
}

/** Internal fields recording the checksum the body was verified against, if any. */
export function checksumInternal(result: PayloadResult): Record<string, string> {
  if (result.checksum === undefined) return {};
  return { [checksumFields.algorithm]: result.checksum.algorithm, [checksumFields.value]: result.checksum.valueB64, [checksumFields.type]: 'FULL_OBJECT' };
}

export function checksumHeaders(internal: Readonly<Record<string, string>>): Record<string, string> {
  const algorithm = checksumAlgorithmOf(internal);
  const value = internal[checksumFields.value];
  if (algorithm === undefined || value === undefined) return {};
  return { [checksumHeaderName(algorithm)]: value, 'x-amz-checksum-type': internal[checksumFields.type] ?? 'FULL_OBJECT' };
}

export function checksumRequested(headers: Headers): boolean {
  return headers.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
}

/**
 * AWS's COMPOSITE checksum of a multipart object: the checksum of the concatenated
 * part checksums, suffixed with the part count. Only when every part has the same kind.
 */
export function compositeChecksum(parts: readonly PartInfo[]): Record<string, string> {
  const first = parts[0] === undefined ? undefined : checksumAlgorithmOf(parts[0].internal);
  if (first === undefined) return {};
  const hasher = createChecksummer(first);
  for (const part of parts) {
    const value = part.internal[checksumFields.value];
    if (checksumAlgorithmOf(part.internal) !== first || value === undefined) return {};
    hasher.update(Buffer.from(value, 'base64'));
  }
  return { [checksumFields.algorithm]: first, [checksumFields.value]: `${bytesToBase64(hasher.digest())}-${parts.length}`, [checksumFields.type]: 'COMPOSITE' };
}

/**
 * The checksum type of a new multipart upload, by AWS's rules: CRC64NVME is only
 * FULL_OBJECT (and defaults to it), SHA-1 and SHA-256 are only COMPOSITE, the CRC32s
 * take either. Undefined leaves the type to the parts (COMPOSITE when they agree).
 */
export function uploadChecksumType(header: string | null, algorithm: ChecksumAlgorithm | undefined): 'COMPOSITE' | 'FULL_OBJECT' | undefined {
  const type = header?.toUpperCase();
  if (type !== undefined && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header must be COMPOSITE or FULL_OBJECT.');
  if (algorithm === 'CRC64NVME') {
    if (type === 'COMPOSITE') throw new S3Error('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.');
    return 'FULL_OBJECT';
  }
  if (type === 'FULL_OBJECT' && algorithm !== undefined && !isCrcAlgorithm(algorithm)) {
    throw new S3Error('InvalidRequest', `The FULL_OBJECT checksum type cannot be used with the ${algorithm} checksum algorithm.`);
  }
  return type;
}

/**
 * FULL_OBJECT checksum of a multipart object: the CRC of the whole plaintext, combined
 * from the parts' CRCs and plaintext lengths. Nothing when a part has no CRC of the
 * upload's algorithm (the object then carries no checksum rather than a wrong one).
 */
export function fullObjectChecksum(uploadInternal: Readonly<Record<string, string>>, parts: readonly { internal: Readonly<Record<string, string>>; plainBytes: number }[]): Record<string, string> {
  const algorithm = checksumAlgorithmOf(uploadInternal) ?? (parts[0] === undefined ? undefined : checksumAlgorithmOf(parts[0].internal));
  if (algorithm === undefined || !isCrcAlgorithm(algorithm)) return {};
  const runs: { crc: Uint8Array; lengthBytes: number }[] = [];
  for (const part of parts) {
    const value = part.internal[checksumFields.value];
    if (checksumAlgorithmOf(part.internal) !== algorithm || value === undefined) return {};
    runs.push({ crc: Buffer.from(value, 'base64'), lengthBytes: part.plainBytes });
  }
  return { [checksumFields.algorithm]: algorithm, [checksumFields.value]: bytesToBase64(combineCrcs(algorithm, runs)), [checksumFields.type]: 'FULL_OBJECT' };
}

/**
 * x-amz-checksum-* on CompleteMultipartUpload describe the whole object: a digest, or
 * for a COMPOSITE one `<digest>-<parts>`. Anything else is refused before completing.
 */
export function checkCompleteChecksumFormat(headers: Headers): void {
  for (const algorithm of checksumAlgorithms) {
    const sent = headers.get(checksumHeaderName(algorithm));
    if (sent === null) continue;
    const digest = sent.trim().replace(/-\d{1,5}$/, '');
    if (!isBase64Of(digest, checksumDigestBytes(algorithm))) throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} header is invalid.`);
  }
}

/** A full-object checksum sent with CompleteMultipartUpload must match the one computed from the parts. */
export function checkRequestedFullObjectChecksum(headers: Headers, computed: Readonly<Record<string, string>>): void {
  for (const algorithm of checksumAlgorithms) {
    const sent = headers.get(checksumHeaderName(algorithm));
    if (sent === null) continue;
    if (computed[checksumFields.algorithm] !== algorithm || computed[checksumFields.value] !== sent.trim()) {
      throw new S3Error('BadDigest', `The ${algorithm.toLowerCase()} you specified did not match the calculated checksum.`);
    }
  }
}
