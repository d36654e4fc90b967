// SigV4: authentication, payload verification and client-side signing.
export { authenticate, clockSkewMsMax, unsignedPayload } from './authenticate.ts';
export type { AuthDeps, AuthRequest, AuthResult } from './authenticate.ts';
export { verifiedBody } from './payload.ts';
export type { PayloadResult, VerifiedBody, VerifyOptions } from './payload.ts';
export { SigningKeyCache, emptySha256Hex, sha256Hex } from './crypto.ts';
export { ChunkSigner } from './chunk-signer.ts';
export { presignExpiresSecMax } from './parse.ts';
export { encodeSignedChunks, encodeUnsignedChunks, presignUrl, signRequest } from './sign.ts';
export type { PresignInput, SignInput, SignedRequest, SigningCredentials, Trailer } from './sign.ts';
export { authRequestOf, authRequestOfTarget, storedContentEncoding } from './request.ts';
