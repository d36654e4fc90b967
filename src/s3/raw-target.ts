// The request target exactly as the client sent it. The HTTP adapter records it in an
// internal header (any client-sent copy is dropped first), because a Fetch Request's
// url has `.`/`..` segments resolved, and those are part of valid keys and signatures.
import { authRequestOf, authRequestOfTarget, type AuthRequest } from './sigv4/index.ts';

export const rawTargetHeader = 'x-cairn-raw-target';

export function rawRequestOf(req: Request): AuthRequest {
  const target = req.headers.get(rawTargetHeader);
  return target === null ? authRequestOf(req) : authRequestOfTarget(req.method, target, req.headers);
}
