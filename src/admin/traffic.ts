// Around every S3 request: the in-flight gauge, bandwidth limits (global and the
// target bucket's), and transfer tracking of large bodies in both directions.
import type { Logger } from '../util/log.ts';
import type { BandwidthLimiter } from '../observe/bandwidth.ts';
import type { CairnMetrics } from '../observe/cairnMetrics.ts';
import { countingReadable, type TransferDirection, type TransferHandle, type TransferRegistry } from '../observe/transfers.ts';
import { toBucketName } from './names.ts';
import { rawRequestOf } from '../s3/raw-target.ts';
import type { BucketName } from '../storage/types.ts';

/**
 * Bodies smaller than this are not listed as transfers unless a bandwidth limit slows them:
 * they finish before anyone could look, and tracking costs a stream stage (measured: about
 * a tenth of the server CPU of a 1 MiB GET).
 */
export const trackedBytesMin = 8 * 1024 * 1024;

export interface TrafficDeps {
  metrics: Pick<CairnMetrics, 'inFlight'>;
  bandwidth: BandwidthLimiter;
  transfers: TransferRegistry;
  /** CAIRN_DOMAIN, for virtual-host style bucket names. */
  domain: string | undefined;
  newId: () => string;
  logger: Logger;
}

interface Target {
  bucket: BucketName | undefined;
  key: string | undefined;
}

/** Bucket and key as the S3 router will see them: from the raw path (dot segments kept) or the Host. */
export function targetOf(rawPath: string, host: string | null, domain: string | undefined): Target {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const segments = rawPath.split('/').slice(1);
  const decode = (s: string): string | undefined => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  if (domain !== undefined) {
    const suffix = `.${domain.replace(/:\d+$/, '')}`;
    if (hostname.endsWith(suffix)) {
      const key = rawPath.length > 1 ? decode(rawPath.slice(1)) : undefined;
      return { bucket: toBucketName(hostname.slice(0, -suffix.length)), key };
    }
  }
  const first = segments[0] ?? '';
  const rest = segments.slice(1).join('/');
  return { bucket: first === '' ? undefined : toBucketName(first), key: rest === '' ? undefined : decode(rest) };
}

function operationGuess(method: string, url: URL, headers: Headers): string {
  const q = url.searchParams;
  if (method === 'PUT') return q.has('partNumber') ? (headers.has('x-amz-copy-source') ? 'UploadPartCopy' : 'UploadPart') : headers.has('x-amz-copy-source') ? 'CopyObject' : 'PutObject';
  if (method === 'POST') return q.has('uploadId') ? 'CompleteMultipartUpload' : 'PostObject';
  return method === 'GET' ? 'GetObject' : method;
}

function sizeOf(headers: Headers, direction: TransferDirection): number | undefined {
  const raw = (direction === 'upload' ? headers.get('x-amz-decoded-content-length') : null) ?? headers.get('content-length');
  const n = raw === null ? Number.NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

interface Wrapped {
  stream: ReadableStream<Uint8Array>;
  /** Ends the transfer entry even if the consumer never finished the stream (idempotent). */
  end(): void;
}

async function wrapBody(body: ReadableStream<Uint8Array>, direction: TransferDirection, headers: Headers, req: Request, url: URL, target: Target, deps: TrafficDeps, onEnd: () => void): Promise<Wrapped | undefined> {
  const throttle = await deps.bandwidth.throttle(target.bucket);
  const totalBytes = sizeOf(headers, direction);
  const tracked = throttle !== undefined || totalBytes === undefined || totalBytes >= trackedBytesMin;
  if (throttle === undefined && !tracked) return undefined;
  const entry: TransferHandle = tracked
    ? deps.transfers.start({ requestId: deps.newId(), operation: operationGuess(req.method, url, req.headers), direction, bucket: target.bucket, key: target.key, totalBytes })
    : { add() {}, done() {} };
  const limited = throttle === undefined ? body : body.pipeThrough(throttle);
  const end = (): void => {
    entry.done();
    onEnd();
  };
  return { stream: countingReadable(limited, { add: (n) => entry.add(n), done: end }), end };
}

/** Runs `next` with limited, tracked bodies; the in-flight gauge covers the request until its response body ends. */
export async function wrapTransfer(req: Request, next: (req: Request) => Promise<Response> | Response, deps: TrafficDeps): Promise<Response> {
  deps.metrics.inFlight.inc({});
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    deps.metrics.inFlight.dec({});
  };
  let upload: Wrapped | undefined;
  try {
    const url = new URL(req.url);
    const target = targetOf(rawRequestOf(req).rawPath, req.headers.get('host'), deps.domain);
    let request = req;
    if (req.body !== null) {
      upload = await wrapBody(req.body, 'upload', req.headers, req, url, target, deps, () => {});
      if (upload !== undefined) request = new Request(req, { body: upload.stream, duplex: 'half' });
    }
    const res = await next(request);
    upload?.end();
    if (res.body === null) {
      finish();
      return res;
    }
    const download = await wrapBody(res.body, 'download', res.headers, req, url, target, deps, finish);
    if (download === undefined) {
      finish();
      return res;
    }
    return new Response(download.stream, { status: res.status, statusText: res.statusText, headers: res.headers });
  } catch (e) {
    upload?.end();
    finish();
    throw e;
  }
}
