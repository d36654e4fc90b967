// Public surface of the crypto module for the S3 layer and tools.
export { Dare } from './format.ts';
export { CryptoError, SseError, type CryptoErrorCode, type SseErrorCode } from './errors.ts';
export { engines, defaultEngine, type EngineName, type PackageCipher, type AeadKey } from './engine.ts';
export { encryptStream, type EncryptOptions } from './encrypt-stream.ts';
export { decryptRange, decryptStream, type DecryptOptions } from './decrypt-stream.ts';
export { encryptedSize, plainSizeFromEncrypted, packageCountOf, mapRange, mapMultipartRange, wholeStream, plainSizeOfObject, partPlainSizes, type PackageRange, type PartRange } from './range.ts';
export { parsePutSse, parseReadSse, parseCopySourceSse, SseHeaders, type HeaderSource } from './sse-headers.ts';
export { SseFields } from './sse-internal.ts';
export type { SseMode, SseKind, SseCKey, ObjectRef } from './sse-types.ts';
export { sealNewObject, openObject, describe, storedMode, partKey, sealEtag, openEtag, rewrapInternal, type SseDeps, type SealedNewObject, type DescribeOptions } from './sse.ts';
export { wipe } from './wipe.ts';
export { MetadataKey, rewrapMetadataKey, metadataKeyDocName, metadataKeyContext, type MetadataKeyDeps, type SystemDocs } from './metadata-key.ts';
export { sealEtagLocal, openEtagLocal, sealedEtagKind } from './sse-etag.ts';
