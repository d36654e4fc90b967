// Object metadata carried in headers: content headers and x-amz-meta-*, stored in
// the object's public metadata and returned on GET/HEAD as given.
//
// Header bytes arrive one character per byte. Values that are valid UTF-8 (what botocore
// and curl send) are stored as the text they encode, anything else as received (Node's
// http client sends latin1). On the way out, text that fits latin1 goes as latin1 bytes
// (what Python's and Node's HTTP clients read back), and text beyond latin1 is encoded as
// an RFC 2047 word (=?UTF-8?B?...?=), as S3 does: raw bytes could not be read back.
import { S3Error } from '../errors.ts';
import { storedContentEncoding } from '../sigv4/index.ts';
import { headerBytesOf, signedHeaderText } from '../sigv4/canonical.ts';

export const contentHeaderNames = ['content-type', 'content-disposition', 'content-language', 'cache-control', 'expires'] as const;
export const userMetaPrefix = 'x-amz-meta-';
export const defaultContentType = 'binary/octet-stream';

/** Metadata to store for a new object from its request headers; checks AWS's 2 KiB user-metadata limit. */
export function metaFromHeaders(headers: Headers, userMetaBytesMax: number): Record<string, string> {
  const meta: Record<string, string> = {};
  let userBytes = 0;
  for (const [name, value] of headers) {
    if (!name.startsWith(userMetaPrefix)) continue;
    const text = signedHeaderText(value);
    meta[name] = text;
    userBytes += Buffer.byteLength(name.slice(userMetaPrefix.length)) + Buffer.byteLength(text);
  }
  if (userBytes > userMetaBytesMax) throw new S3Error('MetadataTooLarge', `Your metadata headers exceed the maximum allowed metadata size (${userMetaBytesMax} bytes).`, { MaxSizeAllowed: String(userMetaBytesMax) });
  for (const name of contentHeaderNames) {
    const value = headers.get(name);
    if (value !== null) meta[name] = signedHeaderText(value);
  }
  const encoding = storedContentEncoding(headers.get('content-encoding'));
  if (encoding !== undefined) meta['content-encoding'] = encoding;
  meta['content-type'] ??= defaultContentType;
  return meta;
}

/** A stored value as a header value: latin1 text as is, anything beyond as an RFC 2047 word. */
export function headerValueOf(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u00ff]/.test(text)) return text;
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Response headers for stored metadata. */
export function metaHeaders(meta: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(meta)) {
    if (name.startsWith(userMetaPrefix) || name === 'content-encoding' || (contentHeaderNames as readonly string[]).includes(name)) out[name] = headerValueOf(value);
  }
  return out;
}

const overrides: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/** GetObject's response-* query overrides. */
export function applyResponseOverrides(headers: Record<string, string>, query: URLSearchParams): void {
  for (const [param, header] of Object.entries(overrides)) {
    const value = query.get(param);
    // Sent as the UTF-8 bytes of the text asked for (browsers read a raw UTF-8 filename).
    if (value !== null) headers[header] = headerBytesOf(value);
  }
}

/** Headers S3 accepts on writes that Cairn cannot honour: refuse rather than ignore. */
export function refuseUnsupportedWriteHeaders(headers: Headers): void {
  for (const name of ['x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date', 'x-amz-object-lock-legal-hold', 'x-amz-website-redirect-location']) {
    if (headers.has(name)) throw new S3Error('NotImplemented', `${name} is not supported.`, { Header: name });
  }
  storageClassInternal(headers);
}

/** Internal field recording a storage class other than STANDARD. */
export const storageClassField = 'storage-class';
/**
 * STANDARD and REDUCED_REDUNDANCY are accepted (as MinIO does); both are stored with the
 * deployment's parity, so REDUCED_REDUNDANCY only ever means more redundancy than asked.
 * Other S3 classes (archive tiers, infrequent access) have no meaning here.
 */
const storageClasses = ['STANDARD', 'REDUCED_REDUNDANCY'];

/** The storage class a write asks for, as internal fields ({} for STANDARD or none). */
export function storageClassInternal(headers: Headers): Record<string, string> {
  const storageClass = headers.get('x-amz-storage-class')?.trim();
  if (storageClass === undefined || storageClass === 'STANDARD') return {};
  if (!/^[A-Z_]+$/.test(storageClass)) throw new S3Error('InvalidStorageClass', undefined, { StorageClassRequested: storageClass });
  if (!storageClasses.includes(storageClass)) throw new S3Error('NotImplemented', `Storage class ${storageClass} is not supported; use STANDARD or REDUCED_REDUNDANCY.`, { Header: 'x-amz-storage-class' });
  return { [storageClassField]: storageClass };
}

/** `internal` with its storage class replaced by the one the request asks for. */
export function withStorageClass(internal: Readonly<Record<string, string>>, headers: Headers): Record<string, string> {
  const out = { ...internal };
  delete out[storageClassField];
  return { ...out, ...storageClassInternal(headers) };
}

export function storageClassOf(internal: Readonly<Record<string, string>>): string {
  return internal[storageClassField] ?? 'STANDARD';
}

/** GET/HEAD's x-amz-storage-class, sent (as by S3) only when it is not STANDARD. */
export function storageClassHeader(internal: Readonly<Record<string, string>>): Record<string, string> {
  const storageClass = internal[storageClassField];
  return storageClass === undefined ? {} : { 'x-amz-storage-class': storageClass };
}
