// SSE failures as S3 answers. The crypto layer throws SseError (with its S3 code) and
// the KMS layer's failures arrive already mapped to it; everything else passes through
// for the app's own translation (unknown errors become InternalError there).
import { SseError } from '../../crypto/index.ts';
import { S3Error, type S3ErrorCode } from '../errors.ts';
import { assertNever } from '../../util/assert.ts';

function codeOf(e: SseError): S3ErrorCode {
  switch (e.code) {
    case 'InvalidArgument':
    case 'InvalidRequest':
    case 'AccessDenied':
    case 'KMS.NotFoundException':
    case 'NotImplemented':
    case 'InternalError':
      return e.code;
    case 'ServiceUnavailable':
      return 'KMSUnavailable';
    default:
      return assertNever(e.code);
  }
}

/** SseError -> S3Error with the same status; other errors unchanged. */
export function toS3Error(e: unknown): unknown {
  if (!(e instanceof SseError)) return e;
  return new S3Error(codeOf(e), e.message, {}, e.httpStatus);
}

/** Runs an SSE step, answering its failures with their S3 code. */
export async function sseStep<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toS3Error(e);
  }
}

const customerHeaderNames = [
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
  'x-amz-copy-source-server-side-encryption-customer-algorithm',
  'x-amz-copy-source-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key-md5',
];

/**
 * A customer key sent in clear text is already compromised: refuse it (as AWS does)
 * unless the operator allowed it, e.g. behind a TLS-terminating proxy on loopback.
 */
export function refuseInsecureCustomerKey(headers: Headers, secure: boolean): void {
  if (secure) return;
  if (customerHeaderNames.some((n) => headers.has(n))) {
    throw new S3Error('InvalidRequest', 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.');
  }
}
