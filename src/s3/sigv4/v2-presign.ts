// Legacy (SigV2) query-string authentication: `?AWSAccessKeyId=..&Expires=..&Signature=..`.
// boto3 and botocore still presign S3 URLs this way by default with a custom endpoint, so
// presigned links made by Python users only work if this form is accepted. Header SigV2
// stays refused; only the query form is checked here.
import { createHmac } from 'node:crypto';
import { S3Error } from '../errors.ts';
import { canonicalUriCandidates, type QueryPair } from './canonical.ts';
import { signaturesEqual } from './crypto.ts';
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
  const lines: string[] = [];
  for (const [name, value] of headers) if (name.startsWith('x-amz-')) lines.push(`${name}:${value.trim()}\n`);
  return lines.sort().join('');
}

/** Checks a SigV2 presigned request; returns the access key and whether it is the root user. */
export function checkV2Presign(req: V2PresignRequest, pairs: readonly QueryPair[], deps: { credentials: CredentialStore; clock: Clock }): { accessKey: string; isRoot: boolean } {
  const get = (key: string): string | undefined => pairs.find((p) => p.key === key)?.value;
  const accessKey = get('AWSAccessKeyId') ?? '';
  // A raw '+' in the base64 signature arrives form-decoded as a space.
  const signature = (get('Signature') ?? '').replaceAll(' ', '+');
  const expires = get('Expires');
  if (expires === undefined || !/^\d+$/.test(expires)) throw new S3Error('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  if (deps.clock.nowMs() > Number(expires) * 1000) throw new S3Error('AccessDenied', 'Request has expired');
  const entry = deps.credentials.lookup(accessKey);
  if (entry === undefined) throw new S3Error('InvalidAccessKeyId');
  const head = `${req.method.toUpperCase()}\n${req.headers.get('content-md5') ?? ''}\n${req.headers.get('content-type') ?? ''}\n${expires}\n${canonicalAmzHeaders(req.headers)}`;
  const resourceQuery = canonicalSubresources(pairs);
  let matched = false;
  // Every candidate is computed and compared so the time taken does not reveal which matched.
  for (const path of new Set([req.rawPath, ...canonicalUriCandidates(req.rawPath)])) {
    const expected = createHmac('sha1', entry.secretKey).update(`${head}${path}${resourceQuery}`).digest('base64');
    if (signaturesEqual(expected, signature)) matched = true;
  }
  if (!matched) throw new S3Error('SignatureDoesNotMatch');
  return { accessKey, isRoot: entry.isRoot };
}
