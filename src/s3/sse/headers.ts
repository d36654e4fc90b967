// Encryption headers for answers that describe a stored object without reading it
// (CompleteMultipartUpload): the mode, KMS key id and bucket-key flag; SSE-C answers
// carry the algorithm (the key MD5 is echoed only where the request sent the key).
import { describe } from '../../crypto/index.ts';

export function storedSseHeaders(internal: Readonly<Record<string, string>>): Record<string, string> {
  return describe(internal);
}
