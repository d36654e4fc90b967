// Adapters from a Fetch API Request to what authentication and storage need.
import type { AuthRequest } from './authenticate.ts';

/**
 * The request as signed: the path and query exactly as received (still
 * percent-encoded), taken from the URL text rather than a parsed URL object.
 */
export function authRequestOf(req: Request): AuthRequest {
  const url = req.url;
  const schemeEnd = url.indexOf('://');
  const pathStart = schemeEnd < 0 ? 0 : url.indexOf('/', schemeEnd + 3);
  return authRequestOfTarget(req.method, pathStart < 0 ? '/' : url.slice(pathStart), req.headers);
}

/** Splits a raw request target (`/path?query#fragment`) into what was signed. */
export function authRequestOfTarget(method: string, target: string, headers: Headers): AuthRequest {
  const hashAt = target.indexOf('#');
  const withoutHash = hashAt < 0 ? target : target.slice(0, hashAt);
  const queryAt = withoutHash.indexOf('?');
  return {
    method,
    rawPath: queryAt < 0 ? withoutHash : withoutHash.slice(0, queryAt),
    rawQuery: queryAt < 0 ? '' : withoutHash.slice(queryAt + 1),
    headers,
  };
}

/**
 * Content-Encoding to store for an object: the client's value without the
 * `aws-chunked` transfer framing; undefined when nothing else remains.
 */
export function storedContentEncoding(value: string | null): string | undefined {
  if (value === null) return undefined;
  const kept = value.split(',').map((v) => v.trim()).filter((v) => v !== '' && v.toLowerCase() !== 'aws-chunked');
  return kept.length === 0 ? undefined : kept.join(', ');
}
