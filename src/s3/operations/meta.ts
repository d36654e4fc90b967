// Object metadata carried in headers: content headers and x-amz-meta-*, stored in
// the object's public metadata and returned on GET/HEAD exactly as given.
import { S3Error } from '../errors.ts';
import { storedContentEncoding } from '../sigv4/index.ts';

export const contentHeaderNames = ['content-type', 'content-disposition', 'content-language', 'cache-control', 'expires'] as const;
export const userMetaPrefix = 'x-amz-meta-';
export const defaultContentType = 'binary/octet-stream';

/** Metadata to store for a new object from its request headers; checks AWS's 2 KiB user-metadata limit. */
export function metaFromHeaders(headers: Headers, userMetaBytesMax: number): Record<string, string> {
  const meta: Record<string, string> = {};
  let userBytes = 0;
  for (const [name, value] of headers) {
    if (!name.startsWith(userMetaPrefix)) continue;
    meta[name] = value;
    userBytes += Buffer.byteLength(name.slice(userMetaPrefix.length)) + Buffer.byteLength(value);
  }
  if (userBytes > userMetaBytesMax) throw new S3Error('MetadataTooLarge', `Your metadata headers exceed the maximum allowed metadata size (${userMetaBytesMax} bytes).`, { MaxSizeAllowed: String(userMetaBytesMax) });
  for (const name of contentHeaderNames) {
    const value = headers.get(name);
    if (value !== null) meta[name] = value;
  }
  const encoding = storedContentEncoding(headers.get('content-encoding'));
  if (encoding !== undefined) meta['content-encoding'] = encoding;
  meta['content-type'] ??= defaultContentType;
  return meta;
}

/** Response headers for stored metadata. */
export function metaHeaders(meta: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(meta)) {
    if (name.startsWith(userMetaPrefix) || name === 'content-encoding' || (contentHeaderNames as readonly string[]).includes(name)) out[name] = value;
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
    if (value !== null) headers[header] = value;
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
