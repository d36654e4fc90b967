// Typed crypto errors. Messages never carry key material, nonces or plaintext.

/** The stored package stream is not authentic or not well-formed. Maps to a 500-class read failure. */
export type CryptoErrorCode =
  | 'TagMismatch' // a package failed authentication (bit flip, reorder, drop, duplicate, wrong key)
  | 'UnsupportedVersion'
  | 'UnsupportedCipher'
  | 'InvalidPayloadSize' // a non-final package is short, or a package is cut
  | 'NonceMismatch' // a package belongs to another stream
  | 'MissingFinal' // the stream ended before its final package (truncation)
  | 'UnexpectedData' // bytes after the final or last expected package (extension)
  | 'InvalidSize'; // a stored size no package stream can have

export class CryptoError extends Error {
  override name = 'CryptoError';
  constructor(readonly code: CryptoErrorCode, message?: string) {
    super(message ?? code);
  }
}

/** S3 error codes that the SSE layer produces. */
export type SseErrorCode =
  | 'InvalidArgument'
  | 'InvalidRequest'
  | 'AccessDenied'
  | 'KMS.NotFoundException'
  | 'NotImplemented'
  | 'ServiceUnavailable'
  | 'InternalError';

const statusOf: Record<SseErrorCode, number> = {
  InvalidArgument: 400,
  InvalidRequest: 400,
  AccessDenied: 403,
  'KMS.NotFoundException': 400,
  NotImplemented: 501,
  ServiceUnavailable: 503,
  InternalError: 500,
};

/** An SSE failure that the S3 layer turns into an XML error with `code` and `httpStatus`. */
export class SseError extends Error {
  override name = 'SseError';
  readonly httpStatus: number;
  constructor(readonly code: SseErrorCode, message: string) {
    super(message);
    this.httpStatus = statusOf[code];
  }
}
