// Canonical request pieces exactly as AWS SigV4 defines them for S3 (the path is
// not double-encoded; query pairs are re-encoded and sorted).

/** AWS URI encoding: every byte except unreserved characters (and '/' when asked) is %XX. */
export function uriEncode(value: string, keepSlash: boolean): string {
  let out: string;
  try {
    out = encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be UTF-8 encoded; encode its replacement like a client would.
    out = encodeURIComponent(value.toWellFormed());
  }
  out = out.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? out.replaceAll('%2F', '/') : out;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Canonical URI candidates: the path exactly as received (what SDKs sign), then
 * its re-encoded normal form for clients that escape differently. An empty path is '/'.
 */
export function canonicalUriCandidates(rawPath: string): string[] {
  const raw = rawPath === '' ? '/' : rawPath;
  const decoded = safeDecode(raw);
  if (decoded === undefined) return [raw];
  const normal = uriEncode(decoded, true);
  return normal === raw ? [raw] : [raw, normal];
}

export interface QueryPair { key: string; value: string }

/** Splits a raw query ('a=1&b'), decoding form-style ('+' is a space). */
export function parseQuery(rawQuery: string): QueryPair[] {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const pairs: QueryPair[] = [];
  if (query === '') return pairs;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const key = safeDecode(rawKey.replaceAll('+', ' ')) ?? rawKey;
    const value = safeDecode(rawValue.replaceAll('+', ' ')) ?? rawValue;
    pairs.push({ key, value });
  }
  return pairs;
}

/** Canonical query string; `omitKey` drops X-Amz-Signature for presigned URLs. */
export function canonicalQuery(pairs: readonly QueryPair[], omitKey?: string): string {
  const encoded: Array<[string, string]> = [];
  for (const p of pairs) {
    if (p.key === omitKey) continue;
    encoded.push([uriEncode(p.key, false), uriEncode(p.value, false)]);
  }
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * A header value as its signer saw it. The HTTP layer hands header bytes over one
 * character per byte (latin1); signers hash the UTF-8 text they sent (botocore sends
 * `x-amz-meta-*` values as UTF-8), so valid UTF-8 bytes are read back as UTF-8.
 */
export function signedHeaderText(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

/** The inverse: text as the HTTP layer carries it, its UTF-8 bytes one character each. */
export function headerBytesOf(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Trimmed, whitespace-collapsed header value as signed. */
export function canonicalHeaderValue(value: string): string {
  return signedHeaderText(value).trim().replace(/\s+/g, ' ');
}

export function canonicalHeaders(signedHeaders: readonly string[], get: (name: string) => string | null): string {
  let out = '';
  for (const name of signedHeaders) out += `${name}:${canonicalHeaderValue(get(name) ?? '')}\n`;
  return out;
}

export function canonicalRequest(parts: {
  method: string;
  uri: string;
  query: string;
  headers: string;
  signedHeaders: string;
  payloadHash: string;
}): string {
  return `${parts.method}\n${parts.uri}\n${parts.query}\n${parts.headers}\n${parts.signedHeaders}\n${parts.payloadHash}`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestHashHex: string): string {
  return `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${canonicalRequestHashHex}`;
}
