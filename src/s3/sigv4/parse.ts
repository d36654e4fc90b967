// Parses where a SigV4 signature comes from: the Authorization header or the
// presigned X-Amz-* query. Shape errors become the S3 codes AWS answers with.
import { S3Error } from '../errors.ts';
import { algorithmName } from './crypto.ts';
import type { QueryPair } from './canonical.ts';

export const presignExpiresSecMax = 7 * 24 * 3600;

export interface CredentialScope {
  accessKey: string;
  date: string; // YYYYMMDD
  region: string;
  service: string;
}

export interface ParsedHeaderAuth {
  kind: 'header';
  scope: CredentialScope;
  signedHeaders: string[];
  signature: string;
}

export interface ParsedPresignAuth {
  kind: 'presign';
  scope: CredentialScope;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  expiresSec: number;
  payloadHash: string | undefined;
}

export type ParsedAuth = ParsedHeaderAuth | ParsedPresignAuth | { kind: 'anonymous' };

const amzDatePattern = /^\d{8}T\d{6}Z$/;
const signaturePattern = /^[0-9a-f]{64}$/;
const headerNamePattern = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function parseScope(credential: string, fail: (msg: string) => S3Error): CredentialScope {
  // The access key may itself contain '/', so take the scope from the right.
  const parts = credential.split('/');
  if (parts.length < 5) throw fail('Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  const terminator = parts.pop() ?? '';
  const service = parts.pop() ?? '';
  const region = parts.pop() ?? '';
  const date = parts.pop() ?? '';
  const accessKey = parts.join('/');
  if (terminator !== 'aws4_request') throw fail(`Error parsing the X-Amz-Credential parameter; incorrect terminal "${terminator}". This endpoint uses "aws4_request".`);
  if (!/^\d{8}$/.test(date)) throw fail(`Error parsing the X-Amz-Credential parameter; incorrect date format "${date}". This date in the credential must be in the format "yyyyMMdd".`);
  if (accessKey === '' || region === '' || service === '') throw fail('Error parsing the X-Amz-Credential parameter; the Credential is mal-formed.');
  return { accessKey, date, region, service };
}

function parseSignedHeaders(value: string, fail: (msg: string) => S3Error): string[] {
  const names = value.split(';');
  for (const n of names) if (!headerNamePattern.test(n)) throw fail('The SignedHeaders list is malformed.');
  return names;
}

/** `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..` */
export function parseAuthorizationHeader(header: string): ParsedHeaderAuth {
  const fail = (msg: string): S3Error => new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${msg}`);
  if (!header.startsWith(`${algorithmName} `)) {
    throw new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  }
  const fields = new Map<string, string>();
  for (const piece of header.slice(algorithmName.length + 1).split(',')) {
    const item = piece.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw fail(`the authorization component "${item}" is malformed.`);
    fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined) throw fail('missing Credential.');
  if (signed === undefined) throw fail('missing SignedHeaders.');
  if (signature === undefined) throw fail('missing Signature.');
  if (!signaturePattern.test(signature)) throw fail('the Signature is malformed.');
  return {
    kind: 'header',
    scope: parseScope(credential, fail),
    signedHeaders: parseSignedHeaders(signed, fail),
    signature,
  };
}

export function isPresigned(pairs: readonly QueryPair[]): boolean {
  return pairs.some((p) => p.key === 'X-Amz-Algorithm' || p.key === 'X-Amz-Signature' || p.key === 'X-Amz-Credential');
}

export function parsePresignQuery(pairs: readonly QueryPair[]): ParsedPresignAuth {
  const fail = (msg: string): S3Error => new S3Error('AuthorizationQueryParametersError', msg);
  const get = (key: string): string | undefined => pairs.find((p) => p.key === key)?.value;
  const required = (key: string): string => {
    const v = get(key);
    if (v === undefined) throw fail(`Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.`);
    return v;
  };
  const algorithm = required('X-Amz-Algorithm');
  if (algorithm !== algorithmName) throw fail('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".');
  const credential = required('X-Amz-Credential');
  const signature = required('X-Amz-Signature');
  const amzDate = required('X-Amz-Date');
  const signed = required('X-Amz-SignedHeaders');
  const expires = required('X-Amz-Expires');
  if (!amzDatePattern.test(amzDate)) throw fail('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'".');
  if (/^-\d+$/.test(expires)) throw fail('X-Amz-Expires must be non-negative.');
  if (!/^\d{1,7}$/.test(expires)) throw fail('X-Amz-Expires should be a number.');
  const expiresSec = Number(expires);
  if (expiresSec > presignExpiresSecMax) throw fail('X-Amz-Expires must be less than a week (in seconds) that is 604800.');
  if (!signaturePattern.test(signature)) throw new S3Error('SignatureDoesNotMatch');
  return {
    kind: 'presign',
    scope: parseScope(credential, fail),
    signedHeaders: parseSignedHeaders(signed, fail),
    signature,
    amzDate,
    expiresSec,
    payloadHash: get('X-Amz-Content-Sha256'),
  };
}

/** Converts an RFC 1123 `Date` header to SigV4's basic ISO form, or undefined. */
export function amzDateFromHttpDate(value: string): string | undefined {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  return formatAmzDate(ms);
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Milliseconds since the epoch of a `YYYYMMDDTHHMMSSZ` value, or undefined when malformed. */
export function parseAmzDate(value: string): number | undefined {
  if (!amzDatePattern.test(value)) return undefined;
  const iso = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}Z`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}
