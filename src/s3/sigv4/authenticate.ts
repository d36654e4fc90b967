// SigV4 request authentication: header or presigned query. Returns who signed and
// what the body must be checked against; throws S3Error with AWS's codes.
import { S3Error } from '../errors.ts';
import type { CredentialStore } from '../credentials.ts';
import type { Clock } from '../../util/clock.ts';
import { canonicalHeaders, canonicalQuery, canonicalRequest, canonicalUriCandidates, parseQuery, stringToSign } from './canonical.ts';
import type { QueryPair } from './canonical.ts';
import { ChunkSigner } from './chunk-signer.ts';
import { deriveSigningKey, emptySha256Hex, hmacHex, sha256Hex, signaturesEqual, type SigningKeyCache } from './crypto.ts';
import { amzDateFromHttpDate, isPresigned, parseAmzDate, parseAuthorizationHeader, parsePresignQuery } from './parse.ts';
import type { CredentialScope, ParsedHeaderAuth, ParsedPresignAuth } from './parse.ts';
import { checkV2Presign, isV2Presigned, checkV2Header, isV2Header } from './v2-presign.ts';

export const clockSkewMsMax = 15 * 60 * 1000;
export const unsignedPayload = 'UNSIGNED-PAYLOAD';

export interface AuthRequest {
  method: string;
  /** Path as received, still percent-encoded. */
  rawPath: string;
  /** Query as received, without or with the leading '?'. */
  rawQuery: string;
  headers: Headers;
  /** The bucket named by the Host (virtual-host style): SigV2 signs it as the resource's first segment. */
  virtualHostBucket?: string | undefined;
}

export interface AuthDeps {
  credentials: CredentialStore;
  clock: Clock;
  /** The region clients must sign for; '' accepts any region (as MinIO does without one). */
  region: string;
  /** Accepted signing service names; default ['s3']. */
  services?: readonly string[];
  keyCache?: SigningKeyCache;
}

export interface AuthResult {
  readonly accessKey: string;
  readonly isRoot: boolean;
  readonly presigned: boolean;
  /** The payload hash the signature covers: hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* mode. */
  readonly payloadHash: string;
  /** Seed signature and key for chunk and trailer signatures. */
  readonly signer: ChunkSigner;
  /** 2 for the legacy HMAC-SHA1 scheme, which signs no body; 4 otherwise. */
  readonly signatureVersion: 2 | 4;
}

interface Checked {
  scope: CredentialScope;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
  presigned: boolean;
}

export function authenticate(req: AuthRequest, deps: AuthDeps): AuthResult {
  const pairs = parseQuery(req.rawQuery);
  const rawAuthorization = req.headers.get('authorization');
  // An empty header carries no credentials at all: refused as anonymous, as S3 does (403).
  const authorization = rawAuthorization?.trim() === '' ? null : rawAuthorization;
  const presigned = isPresigned(pairs);
  if (authorization !== null && presigned) {
    throw new S3Error('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.');
  }
  if (authorization === null && !presigned && isV2Presigned(pairs)) {
    const v2 = checkV2Presign(req, pairs, deps);
    // No chunk signatures exist for SigV2; the signer is never consulted for an unsigned payload.
    return { ...v2, presigned: true, payloadHash: unsignedPayload, signer: new ChunkSigner(new Uint8Array(32), '', '', ''), signatureVersion: 2 };
  }
  if (authorization !== null && isV2Header(authorization)) {
    // SigV2 signs no payload and has no streaming (aws-chunked) form.
    const declared = req.headers.get('x-amz-content-sha256');
    if (declared !== null && declared.startsWith('STREAMING-')) throw new S3Error('InvalidRequest', 'Streaming (aws-chunked) uploads need AWS4-HMAC-SHA256.');
    const v2 = checkV2Header(req, pairs, authorization, { ...deps, clockSkewMsMax });
    return { ...v2, presigned: false, payloadHash: unsignedPayload, signer: new ChunkSigner(new Uint8Array(32), '', '', ''), signatureVersion: 2 };
  }
  let checked: Checked;
  if (authorization !== null) checked = checkHeaderAuth(parseAuthorizationHeader(authorization), req.headers, deps);
  else if (presigned) checked = checkPresignAuth(parsePresignQuery(pairs), deps);
  else throw new S3Error('AccessDenied', 'Anonymous access is not allowed.');

  const { scope } = checked;
  checkScope(scope, checked.amzDate, deps, presigned);
  if (!checked.signedHeaders.includes('host')) {
    throw presigned
      ? new S3Error('AuthorizationQueryParametersError', 'Query-string authentication requires the host header to be signed.')
      : new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; the host header must be signed.');
  }
  const entry = deps.credentials.lookup(scope.accessKey);
  if (entry === undefined) throw new S3Error('InvalidAccessKeyId');

  const signingKey = deps.keyCache?.get(entry.secretKey, scope.date, scope.region, scope.service) ??
    deriveSigningKey(entry.secretKey, scope.date, scope.region, scope.service);
  const scopeText = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  if (!signatureMatches(req, pairs, checked, signingKey, scopeText)) throw new S3Error('SignatureDoesNotMatch');
  return {
    accessKey: scope.accessKey,
    isRoot: entry.isRoot,
    presigned,
    payloadHash: checked.payloadHash,
    signer: new ChunkSigner(signingKey, checked.amzDate, scopeText, checked.signature),
    signatureVersion: 4,
  };
}

function checkHeaderAuth(parsed: ParsedHeaderAuth, headers: Headers, deps: AuthDeps): Checked {
  const amzDateHeader = headers.get('x-amz-date');
  const dateHeader = headers.get('date');
  let amzDate: string | undefined;
  if (amzDateHeader !== null) amzDate = parseAmzDate(amzDateHeader) === undefined ? undefined : amzDateHeader;
  else if (dateHeader !== null) amzDate = amzDateFromHttpDate(dateHeader);
  if (amzDate === undefined) {
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  const requestMs = parseAmzDate(amzDate) ?? 0;
  if (Math.abs(deps.clock.nowMs() - requestMs) > clockSkewMsMax) throw new S3Error('RequestTimeTooSkewed');
  // As MinIO does: a header-signed request without the header signed an empty payload.
  const payloadHash = headers.get('x-amz-content-sha256') ?? emptySha256Hex;
  return { ...parsed, amzDate, payloadHash, presigned: false };
}

function checkPresignAuth(parsed: ParsedPresignAuth, deps: AuthDeps): Checked {
  const requestMs = parseAmzDate(parsed.amzDate);
  if (requestMs === undefined) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Date is malformed.');
  const nowMs = deps.clock.nowMs();
  if (requestMs - nowMs > clockSkewMsMax) throw new S3Error('AccessDenied', 'Request is not valid yet');
  // X-Amz-Expires=0 is a link that was never valid: expired, as S3 answers it (403).
  if (parsed.expiresSec === 0 || nowMs > requestMs + parsed.expiresSec * 1000) throw new S3Error('AccessDenied', 'Request has expired');
  return {
    scope: parsed.scope,
    signedHeaders: parsed.signedHeaders,
    signature: parsed.signature,
    amzDate: parsed.amzDate,
    payloadHash: parsed.payloadHash ?? unsignedPayload,
    presigned: true,
  };
}

function checkScope(scope: CredentialScope, amzDate: string, deps: AuthDeps, presigned: boolean): void {
  const fail = (msg: string): S3Error => presigned
    ? new S3Error('AuthorizationQueryParametersError', msg)
    : new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${msg}`);
  if (deps.region !== '' && scope.region !== deps.region) {
    throw fail(`the region '${scope.region}' is wrong; expecting '${deps.region}'`);
  }
  const services = deps.services ?? ['s3'];
  if (!services.includes(scope.service)) throw fail(`incorrect service "${scope.service}". This endpoint belongs to "${services[0] ?? 's3'}".`);
  if (scope.date !== amzDate.slice(0, 8)) throw fail('Invalid credential date. Date is not the same as X-Amz-Date.');
}

function signatureMatches(req: AuthRequest, pairs: readonly QueryPair[], c: Checked, signingKey: Uint8Array, scope: string): boolean {
  const query = canonicalQuery(pairs, c.presigned ? 'X-Amz-Signature' : undefined);
  const headers = canonicalHeaders(c.signedHeaders, (name) => req.headers.get(name));
  const signedHeaders = c.signedHeaders.join(';');
  let matched = false;
  // Every candidate is computed and compared so the time taken does not reveal which matched.
  for (const uri of canonicalUriCandidates(req.rawPath)) {
    const creq = canonicalRequest({ method: req.method.toUpperCase(), uri, query, headers, signedHeaders, payloadHash: c.payloadHash });
    const expected = hmacHex(signingKey, stringToSign(c.amzDate, scope, sha256Hex(creq)));
    if (signaturesEqual(expected, c.signature)) matched = true;
  }
  return matched;
}
