// Stored x-amz-checksum-* values: kept in the object's internal fields, echoed on PUT,
// and returned on GET/HEAD when the client asks with x-amz-checksum-mode: ENABLED.
import { checksumHeaderName, createChecksummer, parseChecksumAlgorithm, bytesToBase64, type ChecksumAlgorithm } from '../checksum/index.ts';
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
