// Encryption headers for answers that describe a stored object without reading it
// (CompleteMultipartUpload): the mode, KMS key id and bucket-key flag; SSE-C answers
// carry the algorithm (the key MD5 is echoed only where the request sent the key).
import { describe, storedMode } from '../../crypto/index.ts';
import type { SseModeName } from '../codec.ts';

export function storedSseHeaders(internal: Readonly<Record<string, string>>): Record<string, string> {
  return describe(internal);
}

/** The stored object's mode, for the request's metrics and audit line. */
export function storedSseMode(internal: Readonly<Record<string, string>>): SseModeName {
  return storedMode(internal);
}
