// HTTP conditional requests with S3's precedence: If-Match / If-Unmodified-Since can
// only fail with 412; If-None-Match / If-Modified-Since turn a GET into 304. A true
// If-Match overrides a false If-Unmodified-Since; a false If-None-Match overrides a
// true If-Modified-Since (RFC 7232 §6, as AWS documents).
import { S3Error } from '../errors.ts';

export interface Validators {
  etag: string;
  modTimeMs: number;
}

/** Comma-separated entity tags, quoted or not, with `*` matching anything. */
export function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some((raw) => {
    const t = raw.trim().replace(/^W\//, '');
    if (t === '*') return true;
    const bare = t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
    return bare === etag;
  });
}

/** HTTP date to ms; unparseable dates are ignored, as the RFC says. */
export function parseHttpDate(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Last-Modified has second precision; compare on that. */
function modifiedAfter(modTimeMs: number, dateMs: number): boolean {
  return Math.floor(modTimeMs / 1000) * 1000 > dateMs;
}

export interface ConditionHeaders {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
}

export function readConditions(headers: Headers, prefix = 'if-'): ConditionHeaders {
  return {
    ifMatch: headers.get(`${prefix}match`),
    ifNoneMatch: headers.get(`${prefix}none-match`),
    ifModifiedSince: headers.get(`${prefix}modified-since`),
    ifUnmodifiedSince: headers.get(`${prefix}unmodified-since`),
  };
}

export type ConditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

export function evaluateConditions(c: ConditionHeaders, v: Validators): ConditionOutcome {
  if (c.ifMatch !== null) {
    if (!etagMatches(c.ifMatch, v.etag)) return 'precondition-failed';
  } else {
    const since = parseHttpDate(c.ifUnmodifiedSince);
    if (since !== undefined && modifiedAfter(v.modTimeMs, since)) return 'precondition-failed';
  }
  if (c.ifNoneMatch !== null) {
    if (etagMatches(c.ifNoneMatch, v.etag)) return 'not-modified';
  } else {
    const since = parseHttpDate(c.ifModifiedSince);
    if (since !== undefined && !modifiedAfter(v.modTimeMs, since)) return 'not-modified';
  }
  return 'proceed';
}

/** GET/HEAD: 304 carries the validators; 412 is an error. */
export function checkReadConditions(headers: Headers, v: Validators, notModifiedHeaders: () => Record<string, string>): void {
  const outcome = evaluateConditions(readConditions(headers), v);
  if (outcome === 'precondition-failed') throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  if (outcome === 'not-modified') throw new NotModified(notModifiedHeaders());
}

/** CopyObject / UploadPartCopy: every failed x-amz-copy-source-if-* is 412. */
export function checkCopySourceConditions(headers: Headers, v: Validators): void {
  const outcome = evaluateConditions(readConditions(headers, 'x-amz-copy-source-if-'), v);
  if (outcome !== 'proceed') throw new S3Error('PreconditionFailed', undefined, { Condition: 'x-amz-copy-source-If' });
}

/** A 304 answer; not an error, but it leaves the handler the same way. */
export class NotModified extends Error {
  override name = 'NotModified';
  constructor(readonly headers: Record<string, string>) {
    super('not modified');
  }
}

/** PutObject / CompleteMultipartUpload: If-None-Match: * and If-Match: etag, checked at commit. */
export function writePrecondition(headers: Headers): ((current: { etag: string } | null) => void) | undefined {
  const ifNoneMatch = headers.get('if-none-match');
  const ifMatch = headers.get('if-match');
  if (ifNoneMatch === null && ifMatch === null) return undefined;
  if (ifNoneMatch !== null && ifNoneMatch.trim() !== '*') throw new S3Error('NotImplemented', 'If-None-Match only supports *.', { Header: 'If-None-Match' });
  return (current) => {
    if (ifNoneMatch !== null && current !== null) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
    if (ifMatch !== null) {
      if (current === null) throw new S3Error('NoSuchKey');
      if (!etagMatches(ifMatch, current.etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
    }
  };
}
