// GET /cairn/metrics: Prometheus text, public or behind a bearer token
// (CAIRN_METRICS_AUTH=public|bearer, CAIRN_METRICS_TOKEN).
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from '../util/log.ts';
import { contentType004, type Registry } from './metrics.ts';

export const metricsPath = '/cairn/metrics';

export interface MetricsEndpointDeps {
  registry: Registry;
  auth: { mode: 'public' } | { mode: 'bearer'; token: string };
  logger: Logger;
}

/** Compares digests, so neither the token's length nor its content leaks through timing. */
function tokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function authorized(req: Request, auth: MetricsEndpointDeps['auth']): boolean {
  if (auth.mode === 'public') return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get('authorization') ?? '');
  return m?.[1] !== undefined && tokenMatches(m[1], auth.token);
}

export async function handleMetrics(req: Request, deps: MetricsEndpointDeps): Promise<Response | undefined> {
  if (new URL(req.url).pathname !== metricsPath) return undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
  if (!authorized(req, deps.auth)) {
    return new Response('unauthorized\n', { status: 401, headers: { 'www-authenticate': 'Bearer realm="cairn-metrics"', 'content-type': 'text/plain' } });
  }
  const text = await deps.registry.scrape((e) => deps.logger.warn('metrics collector failed', { error: e instanceof Error ? e.message : String(e) }));
  return new Response(req.method === 'HEAD' ? null : text, { status: 200, headers: { 'content-type': contentType004, 'cache-control': 'no-store' } });
}
