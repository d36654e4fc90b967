// The S3 HTTP application: reserved routes, addressing, authentication, dispatch through
// the operation table, and the answer every request gets (request id, S3 error XML, no
// body on HEAD). A handler bug becomes InternalError and a warn log line, never a crash.
import { checkBucketAccess } from './owners.ts';
import { Elysia } from 'elysia';
import { isS3Error, S3Error } from './errors.ts';
import { authenticate, ChunkSigner, type AuthRequest, type AuthResult } from './sigv4/index.ts';
import { rawRequestOf, rawTargetHeader } from './raw-target.ts';
import type { BucketContext, ObjectContext, RequestContext, RequestDoneEvent, S3Deps } from './context.ts';
import { corsHeaders, corsSettingName, matchCorsRule, readCorsRules } from './cors.ts';
import { toBucketName, toObjectKey } from './names.ts';
import { defaultHandlers } from './operations/index.ts';
import { NotModified } from './operations/conditions.ts';
import type { HandlerTable } from './operations/types.ts';
import { describeError, errorResponse, type ErrorDescription } from './response.ts';
import { routeRequest, targetOf, type Route, type S3Operation } from './router.ts';
import { translateError } from './translate.ts';

/** A handler for paths Cairn serves itself (health, metrics, admin): undefined = not mine. */
export interface RouteMount {
  /** Path prefix as received, e.g. '/cairn/' or '/minio/health/'. */
  prefix: string;
  handle(req: Request): Promise<Response | undefined> | Response | undefined;
}

/** Paths that never reach the S3 router, whether or not something is mounted there. */
export const reservedPrefixes = ['/cairn/', '/minio/health/'] as const;

export interface S3App {
  /** Answers one request; never throws. */
  handle(req: Request): Promise<Response>;
  /** Adds a handler for a reserved prefix (checked in the order mounted). */
  mount(route: RouteMount): void;
  /** The Elysia app for Bun.serve: one early hook hands every request to `handle` unparsed. */
  elysia(fetch?: (req: Request) => Promise<Response> | Response): ElysiaApp;
}

/** One early hook hands the raw Request on: Elysia never routes or parses an S3 body. */
export function buildElysia(fetch: (req: Request) => Promise<Response> | Response) {
  return new Elysia().onRequest(({ request }) => fetch(request));
}

export type ElysiaApp = ReturnType<typeof buildElysia>;

function headerBytes(headers: Headers): number {
  let n = 0;
  for (const [k, v] of headers) if (k !== rawTargetHeader) n += k.length + v.length + 4;
  return n;
}

function isReserved(rawPath: string): boolean {
  return rawPath === '/cairn' || reservedPrefixes.some((p) => rawPath.startsWith(p));
}

/** The header-level answer for a form upload: nothing signed yet (the handler checks the form). */
const ownerCheckedElsewhere: ReadonlySet<S3Operation> = new Set<S3Operation>(['CreateBucket', 'CorsPreflight', 'PostObject']);

const formSignedAuth: AuthResult = Object.freeze({ accessKey: '', isRoot: false, presigned: false, payloadHash: 'UNSIGNED-PAYLOAD', signer: new ChunkSigner(new Uint8Array(32), '', '', ''), signatureVersion: 4 });

export function createS3App(deps: S3Deps, handlers: HandlerTable = defaultHandlers): S3App {
  const mounts: RouteMount[] = [];
  const hostId = Buffer.from(deps.random.bytes(24)).toString('base64');
  const newRequestId = (): string => Buffer.from(deps.random.bytes(8)).toString('hex').toUpperCase();

  /** A mounted answer, or undefined: the request then goes through S3 routing, where `cairn` is an invalid bucket name. */
  async function serveReserved(req: Request, raw: AuthRequest): Promise<Response | undefined> {
    for (const m of mounts) {
      if (!raw.rawPath.startsWith(m.prefix)) continue;
      const res = await m.handle(req);
      if (res !== undefined) return res;
    }
    return undefined;
  }

  async function dispatch(route: Route, base: RequestContext): Promise<Response> {
    const handler = handlers[route.operation];
    if (route.operation === 'NotImplemented') {
      // Of a bucket (or object) that is not there, or not the requester's, that is the answer.
      if (route.bucket !== undefined) {
        const bucket = toBucketName(route.bucket);
        await checkBucketAccess(deps, bucket, base.auth);
        await deps.store.headBucket(bucket);
        if (route.key !== undefined && (base.method === 'GET' || base.method === 'HEAD')) await deps.store.head(bucket, toObjectKey(route.key));
      }
      throw new S3Error('NotImplemented', `${route.detail ?? 'This operation'} is not implemented.`);
    }
    if (handler.scope === 'service') return handler.run(base, deps);
    if (route.bucket === undefined) throw new S3Error('InvalidRequest', 'A bucket name is required.');
    const bucketCtx: BucketContext = { ...base, bucket: toBucketName(route.bucket) };
    // Form uploads check their signer in the handler; preflights are unsigned; a new bucket has no owner yet.
    if (!ownerCheckedElsewhere.has(route.operation)) await checkBucketAccess(deps, bucketCtx.bucket, base.auth);
    if (handler.scope === 'bucket') return handler.run(bucketCtx, deps);
    if (route.key === undefined) throw new S3Error('InvalidRequest', 'An object key is required.');
    const objectCtx: ObjectContext = { ...bucketCtx, key: toObjectKey(route.key) };
    return handler.run(objectCtx, deps);
  }

  async function handle(req: Request): Promise<Response> {
    const startedMs = deps.clock.nowMs();
    const requestId = newRequestId();
    const stats: RequestContext['stats'] = { bytesIn: 0 };
    let route: Route | undefined;
    let accessKey: string | undefined;
    let res: Response;
    let error: ErrorDescription | undefined;
    let resource = '/';
    try {
      const raw = rawRequestOf(req);
      resource = safeDecode(raw.rawPath);
      if (headerBytes(req.headers) > deps.limits.headerBytesMax) throw new S3Error('RequestHeaderSectionTooLarge', undefined, { MaxSizeAllowed: String(deps.limits.headerBytesMax) });
      if (isReserved(raw.rawPath) && !isVirtualHost(req, deps.domain)) {
        const mounted = await serveReserved(req, raw);
        if (mounted !== undefined) return withRequestId(mounted, requestId, hostId);
      }
      const query = new URLSearchParams(raw.rawQuery);
      route = routeRequest(req.method, query, req.headers, targetOf(raw.rawPath, req.headers.get('host'), deps.domain));
      // A form upload is signed inside its body (the policy), and a CORS preflight is not
      // signed at all (as on S3): their handlers check what there is.
      const signed = isVirtualHost(req, deps.domain) ? { ...raw, virtualHostBucket: route.bucket } : raw;
      const auth = route.operation === 'PostObject' || route.operation === 'CorsPreflight' ? formSignedAuth : authenticate(signed, { credentials: deps.credentials, clock: deps.clock, region: deps.region, keyCache: deps.keyCache });
      accessKey = auth.accessKey === '' ? undefined : auth.accessKey;
      res = await dispatch(route, { requestId, req, method: req.method, headers: req.headers, query, auth, startedMs, stats });
    } catch (e) {
      if (e instanceof NotModified) {
        res = new Response(null, { status: 304, headers: e.headers });
      } else {
        error = describeError(translateError(e));
        logFailure(e, error, requestId, route);
        res = errorResponse(error, resource, requestId, req.method, hostId);
      }
    }
    const origin = req.headers.get('origin');
    if (origin !== null && route?.bucket !== undefined && route.operation !== 'CorsPreflight') await addCorsHeaders(res, route.bucket, origin, req.method);
    res.headers.set('x-amz-request-id', requestId);
    res.headers.set('x-amz-id-2', hostId);
    report(res, { requestId, startedMs, route, accessKey, stats, error });
    return res;
  }

  /** A request from a browser page: the bucket's matching CORS rule, if any, adds its Access-Control-* headers. */
  async function addCorsHeaders(res: Response, bucket: string, origin: string, method: string): Promise<void> {
    try {
      const rules = readCorsRules((await deps.store.getBucketMeta(toBucketName(bucket))).settings[corsSettingName]);
      if (rules.length === 0) return;
      const rule = matchCorsRule(rules, origin, method.toUpperCase());
      if (rule === undefined) return;
      for (const [name, value] of Object.entries(corsHeaders(rule, origin, undefined))) res.headers.set(name, value);
    } catch {
      // No such bucket or unreadable settings: no CORS headers, the answer itself stands.
    }
  }

  function logFailure(e: unknown, error: ErrorDescription, requestId: string, route: Route | undefined): void {
    const fields = { requestId, operation: route?.operation, bucket: route?.bucket, code: error.code, status: error.status };
    // Refusals (4xx, and 501 for what Cairn does not do) are the client's business: one
    // info line. Failures (5xx) are Cairn's: a warning, with the stack when there is one.
    if (error.status < 500 || error.status === 501) {
      deps.logger.info('request refused', fields);
    } else if (!isS3Error(e)) {
      const detail = e instanceof Error ? `${e.name}: ${e.message}${e.stack === undefined ? '' : `\n${e.stack}`}` : String(e);
      deps.logger.warn('request failed in a lower layer', { ...fields, error: detail });
    } else {
      deps.logger.warn('request failed', fields);
    }
  }

  function report(res: Response, r: { requestId: string; startedMs: number; route: Route | undefined; accessKey: string | undefined; stats: RequestContext['stats']; error: ErrorDescription | undefined }): void {
    if (deps.onRequestDone === undefined) return;
    const length = Number(res.headers.get('content-length') ?? '0');
    const event: RequestDoneEvent = {
      requestId: r.requestId,
      operation: r.route?.operation ?? 'Unknown',
      status: res.status,
      bytesIn: r.stats.bytesIn,
      bytesOut: Number.isFinite(length) ? length : 0,
      durationMs: deps.clock.nowMs() - r.startedMs,
      accessKey: r.stats.signedBy ?? r.accessKey,
      bucket: r.route?.bucket,
      key: r.route?.key,
      errorCode: r.error?.code,
      sseMode: r.stats.sseMode,
      kmsKeyId: r.stats.kmsKeyId,
    };
    try {
      deps.onRequestDone(event);
    } catch (e) {
      deps.logger.warn('request hook failed', { requestId: r.requestId, error: String(e) });
    }
  }

  return {
    handle,
    mount: (route) => { mounts.push(route); },
    elysia: (fetch = handle) => buildElysia(fetch),
  };
}

/** Mounted handlers answer with their own Response; it gets the request ids too when its headers can change. */
function withRequestId(res: Response, requestId: string, hostId: string): Response {
  try {
    if (!res.headers.has('x-amz-request-id')) res.headers.set('x-amz-request-id', requestId);
    if (!res.headers.has('x-amz-id-2')) res.headers.set('x-amz-id-2', hostId);
  } catch {
    // Immutable headers (a forwarded fetch Response): leave them as they are.
  }
  return res;
}

function isVirtualHost(req: Request, domain: string | undefined): boolean {
  if (domain === undefined) return false;
  const host = (req.headers.get('host') ?? '').replace(/:\d+$/, '').toLowerCase();
  return host.endsWith(`.${domain.replace(/:\d+$/, '')}`);
}

function safeDecode(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}
