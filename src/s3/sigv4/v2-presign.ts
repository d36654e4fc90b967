// Legacy (SigV2) authentication: the query form `?AWSAccessKeyId=..&Expires=..&Signature=..`
// (boto3 and botocore still presign S3 URLs this way by default with a custom endpoint)
// and the header form `Authorization: AWS <access key>:<signature>` (older clients and
// libraries). Both sign METHOD, Content-MD5, Content-Type, a date (Expires, or Date, or
// empty when x-amz-date is sent), the x-amz-* headers and the resource with HMAC-SHA1.
// SigV2 signs no payload: bodies are checked only by Content-MD5 and checksums if sent.
import { createHmac } from 'node:crypto';
import { S3Error } from '../errors.ts';
import { canonicalUriCandidates, signedHeaderText, type QueryPair } from './canonical.ts';
import { signaturesEqual } from './crypto.ts';
import { parseAmzDate } from './parse.ts';
import type { CredentialStore } from '../credentials.ts';
import type { Clock } from '../../util/clock.ts';

/** Sub-resources and response overrides that SigV2 puts into the canonical resource. */
const signedSubresources = new Set([
  'accelerate', 'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy',
  'replication', 'requestPayment', 'restore', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
  'versions', 'website', 'object-lock', 'select', 'select-type', 'encryption',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);

export interface V2PresignRequest {
  method: string;
  rawPath: string;
  headers: Headers;
  virtualHostBucket?: string | undefined;
}

export function isV2Presigned(pairs: readonly QueryPair[]): boolean {
  return pairs.some((p) => p.key === 'AWSAccessKeyId') && pairs.some((p) => p.key === 'Signature');
}

function canonicalSubresources(pairs: readonly QueryPair[]): string {
  const kept = pairs.filter((p) => signedSubresources.has(p.key)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (kept.length === 0) return '';
  return `?${kept.map((p) => (p.value === '' ? p.key : `${p.key}=${p.value}`)).join('&')}`;
}

function canonicalAmzHeaders(headers: Headers): string {
  const entries: Array<[string, string]> = [];
  for (const [name, value] of headers) if (name.startsWith('x-amz-')) entries.push([name, signedHeaderText(value).trim()]);
  // By name: a name that is a prefix of another sorts first (…-key before …-key-md5),
  // which sorting whole "name:value" lines gets wrong (':' sorts after '-').
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries.map(([name, value]) => `${name}:${value}\n`).join('');
}

type V2Deps = { credentials: CredentialStore; clock: Clock };

/** Checks a SigV2 presigned request; returns the access key and whether it is the root user. */
export function checkV2Presign(req: V2PresignRequest, pairs: readonly QueryPair[], deps: V2Deps): { accessKey: string; isRoot: boolean } {
  const get = (key: string): string | undefined => pairs.find((p) => p.key === key)?.value;
  const accessKey = get('AWSAccessKeyId') ?? '';
  // A raw '+' in the base64 signature arrives form-decoded as a space.
  const signature = (get('Signature') ?? '').replaceAll(' ', '+');
  const expires = get('Expires');
  if (expires === undefined || !/^\d+$/.test(expires)) throw new S3Error('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  if (deps.clock.nowMs() > Number(expires) * 1000) throw new S3Error('AccessDenied', 'Request has expired');
  return checkV2Signature(req, pairs, { accessKey, signature, dateLine: expires }, deps);
}

export function isV2Header(authorization: string): boolean {
  return authorization.startsWith('AWS ') && !authorization.startsWith('AWS4-');
}

/** Checks `Authorization: AWS <access key>:<signature>`, with Date (or x-amz-date) within the allowed skew. */
export function checkV2Header(req: V2PresignRequest, pairs: readonly QueryPair[], authorization: string, deps: V2Deps & { clockSkewMsMax: number }): { accessKey: string; isRoot: boolean } {
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (m === null) throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; expecting AWS <AccessKeyId>:<Signature>.');
  const amzDate = req.headers.get('x-amz-date');
  const date = amzDate ?? req.headers.get('date');
  // x-amz-date may also come in SigV4's basic ISO form.
  const dateMs = date === null ? Number.NaN : (parseAmzDate(date) ?? Date.parse(date));
  if (!Number.isFinite(dateMs)) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(deps.clock.nowMs() - dateMs) > deps.clockSkewMsMax) throw new S3Error('RequestTimeTooSkewed');
  // With x-amz-date, the date travels among the x-amz-* headers and the Date line is empty.
  return checkV2Signature(req, pairs, { accessKey: m[1] ?? '', signature: m[2] ?? '', dateLine: amzDate === null ? (date ?? '') : '' }, deps);
}

function checkV2Signature(req: V2PresignRequest, pairs: readonly QueryPair[], given: { accessKey: string; signature: string; dateLine: string }, deps: V2Deps): { accessKey: string; isRoot: boolean } {
  const { accessKey, signature } = given;
  const entry = deps.credentials.lookup(accessKey);
  if (entry === undefined) throw new S3Error('InvalidAccessKeyId');
  const head = `${req.method.toUpperCase()}\n${req.headers.get('content-md5') ?? ''}\n${signedHeaderText(req.headers.get('content-type') ?? '')}\n${given.dateLine}\n${canonicalAmzHeaders(req.headers)}`;
  const resourceQuery = canonicalSubresources(pairs);
  let matched = false;
  // Every candidate is computed and compared so the time taken does not reveal which matched.
  // The resource starts with the bucket, also when the Host named it (virtual-host style).
  const rawPath = req.virtualHostBucket === undefined ? req.rawPath : `/${req.virtualHostBucket}${req.rawPath}`;
  // A bucket's own resource is `/bucket/` in SigV2, whether or not the slash was sent.
  const bucketOnly = /^\/[^/]+$/.test(rawPath) ? [`${rawPath}/`] : [];
  for (const path of new Set([rawPath, ...bucketOnly, ...canonicalUriCandidates(rawPath)])) {
    const expected = createHmac('sha1', entry.secretKey).update(`${head}${path}${resourceQuery}`).digest('base64');
    if (signaturesEqual(expected, signature)) matched = true;
  }
  if (!matched) throw new S3Error('SignatureDoesNotMatch');
  return { accessKey, isRoot: entry.isRoot };
}
