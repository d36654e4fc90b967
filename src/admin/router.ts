// The admin API under /cairn/admin/v1: SigV4 signed by the root user (anything
// else is refused before routing), payload hash checked, config changes rate
// limited (429 SlowDown), and every call audited and counted.
import { authenticate, type AuthRequest } from '../s3/sigv4/index.ts';
import { rawRequestOf } from '../s3/raw-target.ts';
import { sha256Hex } from '../s3/sigv4/crypto.ts';
import * as h from './handlers.ts';
import { rewrapStart, rewrapStatus } from './rewrap.ts';
import { AdminError, errorResponse, readBody, toAdminError } from './http.ts';
import { toBucketName } from './names.ts';
import { adminPrefix, type AdminCall, type AdminDeps, type AdminHandler } from './types.ts';

export type AdminOperation =
  | 'info'
  | 'kms.keys.list'
  | 'kms.key.create'
  | 'kms.key.status'
  | 'kms.key.rotate'
  | 'bucket.encryption.get'
  | 'bucket.encryption.put'
  | 'bucket.encryption.delete'
  | 'bucket.bandwidth.get'
  | 'bucket.bandwidth.put'
  | 'bucket.bandwidth.delete'
  | 'bucket.owner.get'
  | 'bucket.owner.put'
  | 'heal.start'
  | 'heal.status'
  | 'rewrap.start'
  | 'rewrap.status'
  | 'transfers.list';

interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Path segments after the prefix; `:bucket` and `:keyId` capture. */
  path: readonly string[];
  /** Changes configuration or starts work: rate limited and audited as a config event. */
  change: boolean;
  handler: AdminHandler;
}

/** Record over the closed union: a missing route fails to compile. */
export const adminRoutes: Record<AdminOperation, Route> = {
  info: { method: 'GET', path: ['info'], change: false, handler: h.info },
  'kms.keys.list': { method: 'GET', path: ['kms', 'keys'], change: false, handler: h.kmsKeysList },
  'kms.key.create': { method: 'POST', path: ['kms', 'keys', ':keyId'], change: true, handler: h.kmsKeyCreate },
  'kms.key.status': { method: 'GET', path: ['kms', 'keys', ':keyId'], change: false, handler: h.kmsKeyStatus },
  'kms.key.rotate': { method: 'POST', path: ['kms', 'keys', ':keyId', 'rotate'], change: true, handler: h.kmsKeyRotate },
  'bucket.encryption.get': { method: 'GET', path: ['bucket', ':bucket', 'encryption'], change: false, handler: h.bucketEncryptionGet },
  'bucket.encryption.put': { method: 'PUT', path: ['bucket', ':bucket', 'encryption'], change: true, handler: h.bucketEncryptionPut },
  'bucket.encryption.delete': { method: 'DELETE', path: ['bucket', ':bucket', 'encryption'], change: true, handler: h.bucketEncryptionDelete },
  'bucket.bandwidth.get': { method: 'GET', path: ['bucket', ':bucket', 'bandwidth'], change: false, handler: h.bucketBandwidthGet },
  'bucket.bandwidth.put': { method: 'PUT', path: ['bucket', ':bucket', 'bandwidth'], change: true, handler: h.bucketBandwidthPut },
  'bucket.bandwidth.delete': { method: 'DELETE', path: ['bucket', ':bucket', 'bandwidth'], change: true, handler: h.bucketBandwidthDelete },
  'bucket.owner.get': { method: 'GET', path: ['bucket', ':bucket', 'owner'], change: false, handler: h.bucketOwnerGet },
  'bucket.owner.put': { method: 'PUT', path: ['bucket', ':bucket', 'owner'], change: true, handler: h.bucketOwnerPut },
  'heal.start': { method: 'POST', path: ['heal'], change: true, handler: h.healStart },
  'heal.status': { method: 'GET', path: ['heal'], change: false, handler: h.healStatus },
  'rewrap.start': { method: 'POST', path: ['rewrap'], change: true, handler: rewrapStart },
  'rewrap.status': { method: 'GET', path: ['rewrap'], change: false, handler: rewrapStatus },
  'transfers.list': { method: 'GET', path: ['transfers'], change: false, handler: h.transfersList },
};

interface Match {
  operation: AdminOperation;
  route: Route;
  params: AdminCall['params'];
}

function matchPath(pattern: readonly string[], segments: readonly string[]): AdminCall['params'] | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: AdminCall['params'] = {};
  for (const [i, p] of pattern.entries()) {
    const s = segments[i] ?? '';
    if (p === ':bucket') {
      const bucket = toBucketName(s);
      if (bucket === undefined) throw new AdminError(400, 'InvalidBucketName', 'the bucket name is not valid');
      params.bucket = bucket;
    } else if (p === ':keyId') params.keyId = s;
    else if (p !== s) return undefined;
  }
  return params;
}

function route(method: string, segments: readonly string[]): Match {
  let pathMatched = false;
  for (const [operation, r] of Object.entries(adminRoutes) as [AdminOperation, Route][]) {
    const params = matchPath(r.path, segments);
    if (params === undefined) continue;
    pathMatched = true;
    if (r.method === method) return { operation, route: r, params };
  }
  if (pathMatched) throw new AdminError(405, 'MethodNotAllowed', 'the method is not allowed on this admin resource');
  throw new AdminError(404, 'NoSuchAdminResource', 'no such admin API resource');
}

function segmentsOf(pathname: string): string[] {
  const rest = pathname.slice(adminPrefix.length).replace(/^\/+|\/+$/g, '');
  if (rest === '') return [];
  try {
    return rest.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw new AdminError(400, 'InvalidURI', 'the admin path is not valid');
  }
}

/** Root credentials only; every failure is a refusal (fail closed). */
function authenticateRoot(raw: AuthRequest, deps: AdminDeps): { accessKey: string; payloadHash: string } {
  const auth = authenticate(raw, { credentials: deps.credentials, clock: deps.clock, region: deps.region });
  // SigV4 only: SigV2 (which the S3 API takes from older clients) signs no body.
  if (auth.signatureVersion !== 4) throw new AdminError(403, 'AccessDenied', 'the admin API needs a request signed with AWS Signature V4 by the root credentials');
  if (!auth.isRoot) throw new AdminError(403, 'AccessDenied', 'the admin API needs the root credentials');
  return { accessKey: auth.accessKey, payloadHash: auth.payloadHash };
}

function checkPayload(payloadHash: string, body: Uint8Array): void {
  if (payloadHash === 'UNSIGNED-PAYLOAD') return;
  if (!/^[0-9a-f]{64}$/.test(payloadHash)) throw new AdminError(400, 'InvalidRequest', 'the admin API takes a single-chunk payload (signed hash or UNSIGNED-PAYLOAD)');
  if (sha256Hex(body) !== payloadHash) throw new AdminError(400, 'XAmzContentSHA256Mismatch', 'the body does not match x-amz-content-sha256');
}

/** The access key a request claims, for auditing refused calls; never trusted for anything else. */
function claimedAccessKey(req: Request): string | undefined {
  const fromHeader = /Credential=([^/,\s]{1,128})\//.exec(req.headers.get('authorization') ?? '')?.[1];
  return fromHeader ?? new URL(req.url).searchParams.get('X-Amz-Credential')?.split('/')[0]?.slice(0, 128);
}

export function isAdminPath(pathname: string): boolean {
  return pathname === adminPrefix || pathname.startsWith(`${adminPrefix}/`);
}

/** Handles any request under the admin prefix; undefined for other paths. Never throws. */
export async function handleAdmin(req: Request, deps: AdminDeps): Promise<Response | undefined> {
  // The path as the client sent (and signed) it, not the URL with dot segments resolved.
  const raw = rawRequestOf(req);
  if (!isAdminPath(raw.rawPath)) return undefined;
  const startMs = deps.clock.nowMs();
  const requestId = deps.newRequestId();
  const call: AdminCall = { req, requestId, accessKey: '', params: {}, body: new Uint8Array(0), audit: {} };
  let operation = 'unknown';
  let change = req.method !== 'GET' && req.method !== 'HEAD';
  let response: Response;
  let errorCode: string | undefined;
  try {
    const who = authenticateRoot(raw, deps);
    call.accessKey = who.accessKey;
    const match = route(req.method, segmentsOf(raw.rawPath));
    operation = match.operation;
    change = match.route.change;
    call.params = match.params;
    call.body = await readBody(req);
    checkPayload(who.payloadHash, call.body);
    if (match.route.change) {
      const decision = deps.rateLimiter.take();
      if (!decision.allowed) {
        deps.metrics?.rateLimited.inc({ scope: 'admin' });
        throw new AdminError(429, 'SlowDown', 'too many configuration changes; retry later', { 'retry-after': String(Math.ceil(decision.retryAfterMs / 1000)) });
      }
    }
    response = await match.route.handler(call, deps);
    response.headers.set('x-amz-request-id', requestId);
  } catch (e) {
    const err = toAdminError(e);
    if (err.status >= 500) deps.logger.warn('admin call failed', { operation, requestId, code: err.code, error: e instanceof Error ? e.message : String(e) });
    errorCode = err.code;
    response = errorResponse(err, requestId);
  }
  deps.metrics?.adminRequests.inc({ operation, status: String(response.status) });
  deps.audit.record({
    kind: change ? 'config' : 'admin',
    requestId,
    accessKey: call.accessKey !== '' ? call.accessKey : claimedAccessKey(req),
    operation: `admin.${operation}`,
    bucket: call.audit.bucket,
    kmsKeyId: call.audit.kmsKeyId,
    status: response.status,
    bytesIn: call.body.byteLength,
    durationMs: deps.clock.nowMs() - startMs,
    errorCode,
    detail: { method: req.method, ...call.audit.detail },
  });
  return response;
}
