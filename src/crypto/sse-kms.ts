// Calls into the KMS for SSE-S3/SSE-KMS and maps its typed failures to S3 errors.
import { assertNever } from '../util/assert.ts';
import { KmsError, type EncryptionContext, type Kms } from '../kms/types.ts';
import { SseError } from './errors.ts';
import type { ObjectRef } from './sse-types.ts';

/** S3 code for each KMS failure; AWS answers KMS.NotFoundException (400) for an unknown key. */
export function kmsFailure(e: KmsError): SseError {
  switch (e.code) {
    case 'KeyNotFound':
    case 'InvalidKeyId':
      return new SseError('KMS.NotFoundException', 'Invalid keyId');
    case 'Unavailable':
      return new SseError('ServiceUnavailable', 'The key management service is unavailable. Please retry.');
    case 'InvalidContext':
      return new SseError('InvalidArgument', 'The encryption context is invalid.');
    case 'ContextMismatch':
    case 'DecryptFailed':
      return new SseError('InternalError', 'The object key could not be unsealed.');
    case 'PermissionDenied':
      return new SseError('InternalError', 'The key management service refused the request.');
    case 'KeyExists':
      return new SseError('InternalError', 'Unexpected key management service answer.');
    default:
      return assertNever(e.code);
  }
}

/** Runs a KMS call; KmsError becomes SseError, anything else (bugs included) passes unchanged. */
export async function callKms<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof KmsError) throw kmsFailure(e);
    throw e;
  }
}

export function requireKms(kms: Kms | null): Kms {
  if (kms === null) throw new SseError('NotImplemented', 'Server side encryption specified but KMS is not configured');
  return kms;
}

/** The KMS key name behind an id as sent: an AWS-style ARN "arn:aws:kms:region:account:key/NAME" names NAME. */
export function kmsKeyName(sentKeyId: string): string {
  const arn = /^arn:aws:kms:[^:]*:[^:]*:key\/(.+)$/.exec(sentKeyId);
  return arn?.[1] ?? sentKeyId;
}

/**
 * The encryption context Cairn uses: the client's entries plus the object
 * entry {bucket: "bucket/key"} (MinIO's form). A client entry that names the
 * bucket with another value is refused, so the binding cannot be overridden.
 */
export function objectContext(ref: ObjectRef, client: Readonly<Record<string, string>>): EncryptionContext {
  const path = `${ref.bucket}/${ref.key}`;
  const clientValue = client[ref.bucket];
  if (clientValue !== undefined && clientValue !== path) {
    throw new SseError('InvalidArgument', 'The encryption context may not override the object entry.');
  }
  return { ...client, [ref.bucket]: path };
}
