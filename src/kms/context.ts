// Encryption context validation and canonical encoding. The same bytes serve as
// the AES-GCM AAD of the local backend and as Vault's derived-key `context`, so
// the encoding is frozen: JSON object, keys sorted by UTF-8 bytes, no spaces.
import { KmsError, type EncryptionContext } from './types.ts';

export const contextEntriesMax = 16;
export const contextKeyBytesMax = 256;
/** Room for "bucket/key": 63-byte bucket + 1024-byte key, with slack for escaping. */
export const contextValueBytesMax = 2048;
export const contextEncodedBytesMax = 8192;

const utf8 = new TextEncoder();

function byteLength(text: string): number {
  return utf8.encode(text).length;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

/**
 * Checks an untrusted value (for example parsed from the S3 context header) and
 * returns it as a frozen context. Throws KmsError InvalidContext, never echoing values.
 */
export function validateContext(value: unknown): EncryptionContext {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KmsError('InvalidContext', 'encryption context must be a JSON object');
  }
  const entries = Object.entries(value);
  if (entries.length > contextEntriesMax) {
    throw new KmsError('InvalidContext', `encryption context has more than ${contextEntriesMax} entries`);
  }
  const out: Record<string, string> = {};
  for (const [key, entry] of entries) {
    if (typeof entry !== 'string') throw new KmsError('InvalidContext', 'encryption context values must be strings');
    if (key.length === 0) throw new KmsError('InvalidContext', 'encryption context keys must not be empty');
    if (!key.isWellFormed() || !entry.isWellFormed()) {
      throw new KmsError('InvalidContext', 'encryption context must be valid Unicode');
    }
    if (byteLength(key) > contextKeyBytesMax) {
      throw new KmsError('InvalidContext', `encryption context key longer than ${contextKeyBytesMax} bytes`);
    }
    if (byteLength(entry) > contextValueBytesMax) {
      throw new KmsError('InvalidContext', `encryption context value longer than ${contextValueBytesMax} bytes`);
    }
    out[key] = entry;
  }
  return Object.freeze(out);
}

/** Canonical JSON bytes of a validated context. Equal maps give equal bytes. */
export function encodeContext(context: EncryptionContext): Uint8Array {
  const checked = validateContext(context);
  const keys = Object.keys(checked).sort(compareUtf8);
  const parts = keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(checked[key])}`);
  const bytes = utf8.encode(`{${parts.join(',')}}`);
  if (bytes.length > contextEncodedBytesMax) {
    throw new KmsError('InvalidContext', `encryption context longer than ${contextEncodedBytesMax} bytes`);
  }
  return bytes;
}

/** Base64 of the canonical bytes: Vault's `context` parameter. */
export function encodeContextBase64(context: EncryptionContext): string {
  return Buffer.from(encodeContext(context)).toString('base64');
}
