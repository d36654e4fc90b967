// JSON in and out for the admin API: error type, responses, bounded body reading.
import { StorageError } from '../storage/types.ts';
import { KmsError, type KmsErrorCode } from '../kms/types.ts';
import { S3Error } from '../s3/errors.ts';
import { BucketEncryptionError } from './bucketEncryption.ts';
import { assertNever } from '../util/assert.ts';

export const adminBodyBytesMax = 64 * 1024;

/** A deliberate admin error answer: HTTP status plus a stable code (S3 codes where one fits). */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
}

export function errorResponse(e: AdminError, requestId: string): Response {
  return json(e.status, { code: e.code, message: e.message, requestId }, { 'x-amz-request-id': requestId, ...e.headers });
}

function kmsStatus(code: KmsErrorCode): number {
  switch (code) {
    case 'KeyNotFound': return 404;
    case 'KeyExists': return 409;
    case 'InvalidKeyId':
    case 'InvalidContext': return 400;
    case 'ContextMismatch':
    case 'DecryptFailed': return 400;
    case 'Unavailable': return 503;
    case 'PermissionDenied': return 502;
    default: return assertNever(code);
  }
}

const storageStatus: Record<string, number> = { NoSuchBucket: 404, NoSuchKey: 404, QuorumLost: 503, DiskFull: 507, ReadOnly: 503 };

/** Lower-layer errors become admin errors on purpose; anything unknown is a 500 without details. */
export function toAdminError(e: unknown): AdminError {
  if (e instanceof AdminError) return e;
  if (e instanceof S3Error) return new AdminError(e.status, e.code, e.message);
  if (e instanceof KmsError) return new AdminError(kmsStatus(e.code), `KMS.${e.code}`, e.message);
  if (e instanceof StorageError) return new AdminError(storageStatus[e.code] ?? 500, storageStatus[e.code] === undefined ? 'InternalError' : e.code, storageStatus[e.code] === undefined ? 'internal error' : e.message);
  if (e instanceof BucketEncryptionError) return new AdminError(400, 'InvalidArgument', e.message);
  return new AdminError(500, 'InternalError', 'internal error');
}

/** Reads at most adminBodyBytesMax bytes; more is refused before it is buffered. */
export async function readBody(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > adminBodyBytesMax) throw new AdminError(400, 'MaxMessageLengthExceeded', `admin bodies are limited to ${adminBodyBytesMax} bytes`);
  if (req.body === null) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of req.body) {
    total += chunk.byteLength;
    if (total > adminBodyBytesMax) throw new AdminError(400, 'MaxMessageLengthExceeded', `admin bodies are limited to ${adminBodyBytesMax} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export function parseJson(body: Uint8Array): unknown {
  if (body.byteLength === 0) throw new AdminError(400, 'MalformedJSON', 'a JSON body is required');
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
  } catch {
    throw new AdminError(400, 'MalformedJSON', 'the body is not valid JSON');
  }
}
