// The Range header of GetObject: one byte range, open or suffix. Syntax S3 ignores
// (several ranges, other units, garbage) means the whole object, as RFC 7233 allows.
import { S3Error } from '../errors.ts';
import type { ByteRange } from '../../storage/types.ts';

export type RangeSpec =
  | { kind: 'from'; first: number; last: number | undefined }
  | { kind: 'suffix'; length: number };

export function parseRange(header: string | null): RangeSpec | undefined {
  if (header === null) return undefined;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  if (m[1] === '' && m[2] === '') return undefined;
  if (m[1] === '') return { kind: 'suffix', length: Number(m[2]) };
  const first = Number(m[1]);
  const last = m[2] === '' ? undefined : Number(m[2]);
  if (last !== undefined && last < first) return undefined;
  return { kind: 'from', first, last };
}

/** The satisfiable byte range, or InvalidRange (416). */
export function resolveRange(spec: RangeSpec, size: number): ByteRange {
  const invalid = (): S3Error => new S3Error('InvalidRange', undefined, { RangeRequested: spec.kind === 'suffix' ? `bytes=-${spec.length}` : `bytes=${spec.first}-${spec.last ?? ''}`, ActualObjectSize: String(size) });
  if (spec.kind === 'suffix') {
    if (spec.length === 0 || size === 0) throw invalid();
    const length = Math.min(spec.length, size);
    return { offset: size - length, length };
  }
  if (spec.first >= size) throw invalid();
  const last = Math.min(spec.last ?? size - 1, size - 1);
  return { offset: spec.first, length: last - spec.first + 1 };
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`;
}
