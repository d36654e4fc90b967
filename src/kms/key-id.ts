// Key names are used in Vault URL paths and in the local keystore, so they are
// restricted to a URL-safe set that needs no escaping anywhere.
import { KmsError } from './types.ts';

export const keyIdBytesMax = 128;
const keyIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function validateKeyId(keyId: string): string {
  if (keyId.length === 0 || keyId.length > keyIdBytesMax || !keyIdPattern.test(keyId)) {
    throw new KmsError('InvalidKeyId', `invalid KMS key id: use 1-${keyIdBytesMax} of [A-Za-z0-9._-], starting with a letter or digit`);
  }
  return keyId;
}
