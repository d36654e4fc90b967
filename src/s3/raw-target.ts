// The request target exactly as the client sent it. The HTTP adapter records it in an
// internal header (any client-sent copy is dropped first), because a Fetch Request's
// url has `.`/`..` segments resolved, and those are part of valid keys and signatures.
import { authRequestOf, type AuthRequest } from './sigv4/index.ts';

export const rawTargetHeader = 'x-cairn-raw-target';

export function rawRequestOf(req: Request): AuthRequest {
  const target = req.headers.get(rawTargetHeader);
  if (target === null) return authRequestOf(req);
  const hashAt = target.indexOf('#');
  const withoutHash = hashAt < 0 ? target : target.slice(0, hashAt);
  const queryAt = withoutHash.indexOf('?');
  return {
    method: req.method,
    rawPath: queryAt < 0 ? withoutHash : withoutHash.slice(0, queryAt),
    rawQuery: queryAt < 0 ? '' : withoutHash.slice(queryAt + 1),
    headers: req.headers,
  };
}
