// The SSE modes as a closed union, shared by header parsing and key sealing.

/** A customer-provided key (SSE-C): 32 bytes, plus its MD5 as the client sent it (base64), for echoing. */
export interface SseCKey {
  key: Uint8Array;
  keyMd5: string;
}

export type SseMode =
  | { kind: 'none' }
  | { kind: 'sse-s3' }
  /** keyId is exactly as sent ('' when absent: the default key); context is the client's own entries. */
  | { kind: 'sse-kms'; keyId: string; context: Record<string, string>; bucketKeyEnabled?: boolean }
  | ({ kind: 'sse-c' } & SseCKey);

export type SseKind = SseMode['kind'];

/** The object an object key is bound to. */
export interface ObjectRef {
  bucket: string;
  key: string;
}
