// Bun.serve around the Elysia app: raw streamed bodies of any S3 size, optional TLS,
// and a graceful stop that lets in-flight requests finish within a grace period.
import { readFileSync } from 'node:fs';
import type { Logger } from '../util/log.ts';
import { buildElysia } from './app.ts';
import { defaultLimits } from './context.ts';

export interface HttpServerOptions {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string } | undefined;
  fetch: (req: Request) => Promise<Response> | Response;
  logger: Logger;
}

export interface HttpServer {
  /** Base URL clients use (loopback when bound to every interface). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, waits up to graceMs for in-flight requests, then closes what is left. */
  stop(graceMs: number): Promise<{ drained: boolean }>;
}

/** Bun closes a connection idle this long (its maximum); long transfers keep it busy. */
const idleTimeoutSec = 255;

export function startHttpServer(o: HttpServerOptions): HttpServer {
  const app = buildElysia(o.fetch);
  const server = Bun.serve({
    hostname: o.host,
    port: o.port,
    // S3 bodies are streamed; the per-operation limits (5 GiB per PUT/part) apply in the handlers.
    maxRequestBodySize: defaultLimits.putBytesMax + 64 * 1024 * 1024,
    idleTimeout: idleTimeoutSec,
    development: false,
    ...(o.tls === undefined ? {} : { tls: { cert: readFileSync(o.tls.certFile, 'utf8'), key: readFileSync(o.tls.keyFile, 'utf8') } }),
    fetch: (req) => app.handle(req),
    error(e) {
      o.logger.warn('unhandled server error', { error: String(e) });
      return new Response(null, { status: 500 });
    },
  });
  const port = server.port ?? o.port;
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `${o.tls === undefined ? 'http' : 'https'}://${shownHost}:${port}`,
    port,
    async stop(graceMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        server.stop(false).then(() => true),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), graceMs); }),
      ]);
      clearTimeout(timer);
      if (!drained) await server.stop(true);
      return { drained };
    },
  };
}
