// HTTP transport: node:http (Bun's native implementation) in front of the Elysia app.
// Why not Bun.serve's fetch handler: it drops a handler's Content-Length on streamed
// bodies (S3 clients need it on every GET) and resolves `.`/`..` in request paths
// (valid S3 keys, and part of what clients sign). node:http gives the raw request
// target and honours Content-Length; the adapter turns it into a Fetch Request
// whose body streams with backpressure, and streams the Response back the same way.
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/log.ts';
import { buildElysia } from './app.ts';
import { rawTargetHeader } from './raw-target.ts';
import { giveBack } from '../util/lent-buffers.ts';
import { S3Error } from './errors.ts';

export interface HttpServerOptions {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string } | undefined;
  fetch: (req: Request) => Promise<Response> | Response;
  logger: Logger;
  /** Request header section limit enforced by the HTTP parser (the S3 limit is checked in the app). */
  headerBytesMax?: number;
  /**
   * A request body that sends nothing for this long fails with 400 RequestTimeout (and
   * nothing is stored), and a response the client reads nothing of for this long is cut.
   * Stalled clients would otherwise hold a connection, buffers and an upload forever.
   * 0 turns both off.
   */
  idleTimeoutMs?: number;
  /**
   * A connection that starts no request for this long, after it opened or after its last
   * response, is closed: idle keep-alive connections, and clients that trickle header
   * bytes in to hold connections open (the HTTP layer has no header deadline of its own).
   */
  connectionIdleMs?: number;
}

/** Default for connectionIdleMs: longer than the 60 s idle timeout of common load balancers. */
export const connectionIdleMsDefault = 65_000;

/** Default for HttpServerOptions.idleTimeoutMs (S3 itself gives up after about 20 s). */
export const idleTimeoutMsDefault = 30_000;

export interface HttpServer {
  /** Base URL clients use (loopback when bound to every interface). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, waits up to graceMs for in-flight requests, then closes what is left. */
  stop(graceMs: number): Promise<{ drained: boolean }>;
}

/**
 * Response bytes written without regard to the socket, so a small body goes out in one go.
 * Past them, a write the socket did not take whole waits for 'drain' before the next:
 * whatever waits in the response buffer is copied once more, and a body written ahead
 * of a slower client would be copied almost entirely (measured on 64 MiB GETs: 25% less
 * server CPU, same throughput).
 */
const eagerResponseBytes = 1024 * 1024;
/** How often a response waiting for the socket checks it (progress, emptied buffer). */
const drainPollMs = 1000;

/** Request bodies are read in pieces of about this size before backpressure pauses the socket. */
const bodyHighWaterBytes = 4 * 1024 * 1024;

interface RequestBody {
  stream: ReadableStream<Uint8Array>;
  /** Starts the idle clock (at once, or when 100 Continue went out). */
  startClock(): void;
  /** The client sent nothing for the idle timeout: the body failed with RequestTimeout. */
  timedOut(): boolean;
  /** The exchange is over: no clock runs any more. */
  dispose(): void;
}

/**
 * The request body as a stream. While the stream wants bytes (not paused for a slow
 * consumer), the client must send something every `idleMs`, else the body fails with
 * 400 RequestTimeout (the handler stores nothing) and the connection is not reused.
 */
function requestBody(req: IncomingMessage, idleMs: number): RequestBody {
  // Once the stream is closed, errored or cancelled, the rest of the body is discarded:
  // an enqueue then would throw inside the socket's event handler.
  let settled = false;
  let timedOut = false;
  let clockStarted = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const stopTimer = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };
  const settle = (fn: () => void): void => {
    if (settled) return;
    settled = true;
    stopTimer();
    fn();
  };
  const armTimer = (): void => {
    stopTimer();
    if (settled || !clockStarted || idleMs <= 0) return;
    timer = setTimeout(() => settle(() => {
      timedOut = true;
      controller?.error(new S3Error('RequestTimeout'));
    }), idleMs);
  };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      req.on('data', (piece: Buffer) => {
        if (settled) return;
        c.enqueue(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
        if ((c.desiredSize ?? 0) <= 0) {
          // Waiting on the consumer, not on the client: no clock while paused.
          req.pause();
          stopTimer();
        } else {
          armTimer();
        }
      });
      req.on('end', () => settle(() => c.close()));
      req.on('error', (e) => settle(() => c.error(e)));
      req.on('aborted', () => settle(() => c.error(new Error('request aborted'))));
      // A connection that closes before the body ended must not leave the reader waiting.
      req.on('close', () => settle(() => c.error(new Error('connection closed before the body ended'))));
    },
    pull() {
      if (!req.isPaused()) return;
      req.resume();
      armTimer();
    },
    cancel() {
      settled = true;
      stopTimer();
      req.resume(); // discard the rest so the connection can be reused
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: bodyHighWaterBytes }));
  return {
    stream,
    startClock() {
      clockStarted = true;
      if (!req.isPaused()) armTimer();
    },
    timedOut: () => timedOut,
    dispose() {
      clockStarted = false;
      stopTimer();
    },
  };
}

/**
 * For `Expect: 100-continue`: "100 Continue" goes out when the handler first asks for
 * the body, so a request refused before that (authentication, a missing bucket, a
 * precondition) gets its final answer without the client sending the body at all.
 * The outer stream has no buffer of its own: only a real read reaches `pull`.
 */
function continuedOnFirstRead(body: ReadableStream<Uint8Array>, sendContinue: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let continued = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!continued) {
        continued = true;
        sendContinue();
      }
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

function toRequest(req: IncomingMessage, scheme: 'http' | 'https', body: RequestBody | undefined, sendContinue?: () => void): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    if (name.toLowerCase() !== rawTargetHeader) headers.append(name, req.rawHeaders[i + 1] ?? '');
  }
  const target = req.url ?? '/';
  headers.set(rawTargetHeader, target);
  const host = headers.get('host') ?? 'localhost';
  return new Request(`${scheme}://${host}${target.startsWith('/') ? target : `/${target}`}`, {
    method: req.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body: sendContinue === undefined ? body.stream : continuedOnFirstRead(body.stream, sendContinue), duplex: 'half' }),
  });
}

/**
 * Waits until the socket took what waits in the response buffer: `taken` settles on the
 * 'drain' event (or the response closing), and a poll that finds the buffer empty ends the
 * wait as well, so a lost event costs at most a poll, never the response. A client that
 * reads nothing for `idleMs` is cut off; a slow one that keeps reading (the buffer shrinks)
 * is not. An idle timeout of 0 waits as long as it takes.
 */
async function socketTook(res: ServerResponse, taken: Promise<void>, idleMs: number): Promise<'taken' | 'stalled'> {
  let left = res.writableLength;
  let progressAt = performance.now();
  let watch: ReturnType<typeof setInterval> | undefined;
  const polled = new Promise<'taken' | 'stalled'>((resolve) => {
    watch = setInterval(() => {
      const now = res.writableLength;
      if (now === 0) {
        resolve('taken');
      } else if (now < left) {
        left = now;
        progressAt = performance.now();
      } else if (idleMs > 0 && performance.now() - progressAt >= idleMs) {
        res.destroy();
        resolve('stalled');
      }
    }, idleMs > 0 ? Math.min(idleMs, drainPollMs) : drainPollMs);
  });
  try {
    return await Promise.race([taken.then(() => 'taken' as const), polled]);
  } finally {
    clearInterval(watch);
  }
}

export async function writeResponse(res: ServerResponse, response: Response, isHead: boolean, idleMs: number): Promise<void> {
  if (res.destroyed) {
    // The client went away (e.g. mid-upload): nobody is left to answer.
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  const body = response.body;
  if (body === null || isHead) {
    res.writeHead(response.status, headers);
    await body?.cancel().catch(() => undefined);
    res.end();
    return;
  }
  const reader = body.getReader();
  // The first piece is read before the status goes out: a body that fails before its
  // first byte gets a 500 instead of a 200 that could only be cut short.
  let first: { done: boolean; value?: Uint8Array | undefined };
  try {
    first = await reader.read();
  } catch {
    if (!res.destroyed) res.writeHead(500, { 'content-length': '0', connection: 'close' }).end();
    return;
  }
  res.writeHead(response.status, headers);
  let closed = false;
  let wake: (() => void) | undefined;
  const onDrain = (): void => wake?.();
  res.on('drain', onDrain);
  res.once('close', () => {
    closed = true;
    wake?.();
    void reader.cancel().catch(() => undefined);
  });
  try {
    // The next piece is requested before this one has drained, so drive reads overlap
    // the socket; past eagerResponseBytes a piece waits for the socket to drain.
    let sentBytes = 0;
    let nextRead: Promise<{ done: boolean; value?: Uint8Array | undefined }> = Promise.resolve(first);
    for (;;) {
      const next = await nextRead;
      if (next.done || next.value === undefined || closed) break;
      nextRead = reader.read();
      nextRead.catch(() => undefined);
      const piece = next.value;
      // A lent read buffer goes back to its pool once the socket is done with this view.
      const accepted = res.write(piece, () => giveBack(piece));
      sentBytes += piece.length;
      if (!accepted && sentBytes > eagerResponseBytes && !closed && !res.destroyed) {
        const taken = new Promise<void>((resolve) => { wake = resolve; });
        if ((await socketTook(res, taken, idleMs)) === 'stalled') closed = true;
      }
      wake = undefined;
    }
    res.off('drain', onDrain);
    if (!closed) res.end();
  } catch {
    // The body failed mid-stream (e.g. unreadable shards): the status is already sent,
    // so the only honest signal left is a cut connection.
    res.destroy();
  }
}

export function startHttpServer(o: HttpServerOptions): Promise<HttpServer> {
  const app = buildElysia(o.fetch);
  const scheme = o.tls === undefined ? 'http' : 'https';
  let inFlight = 0;
  let stopping = false;
  let onIdle: (() => void) | undefined;
  const idleMs = o.idleTimeoutMs ?? idleTimeoutMsDefault;
  const connectionIdleMs = o.connectionIdleMs ?? connectionIdleMsDefault;
  /** Per connection: requests in progress, and the clock that runs while there are none. */
  type ConnectionClock = { busy: number; timer: ReturnType<typeof setTimeout> | undefined };
  const connections = new WeakMap<object, ConnectionClock>();
  const armIdle = (socket: { destroy(): void }, state: ConnectionClock): void => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      if (state.busy === 0) socket.destroy();
    }, connectionIdleMs);
    state.timer.unref?.(); // never what keeps a stopping process alive
  };
  const onConnection = (socket: { destroy(): void; once(event: 'close', fn: () => void): unknown }): void => {
    const state: ConnectionClock = { busy: 0, timer: undefined };
    connections.set(socket, state);
    armIdle(socket, state);
    socket.once('close', () => clearTimeout(state.timer));
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue = false): void => {
    inFlight++;
    const conn = connections.get(req.socket);
    if (conn !== undefined) {
      conn.busy++;
      clearTimeout(conn.timer);
      // The clock restarts once the response is fully handed to the socket.
      let done = false;
      const finished = (): void => {
        if (done) return;
        done = true;
        if (--conn.busy === 0 && !req.socket.destroyed) armIdle(req.socket, conn);
      };
      res.once('finish', finished);
      res.once('close', finished);
    }
    const method = req.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? undefined : requestBody(req, idleMs);
    void (async () => {
      let response: Response;
      try {
        // With Expect: 100-continue the client sends nothing before the 100: the idle clock starts then.
        const sendContinue = expectsContinue ? (): void => {
          if (!res.headersSent && !res.destroyed) res.writeContinue();
          body?.startClock();
        } : undefined;
        if (!expectsContinue) body?.startClock();
        response = await app.handle(toRequest(req, scheme, body, sendContinue));
      } catch (e) {
        o.logger.warn('request failed outside the S3 app', { error: String(e) });
        response = new Response(null, { status: 500 });
      }
      // While draining, clients are told not to reuse the connection; after a body timed
      // out, the rest of it may still arrive, so the connection is not reused either.
      const timedOut = body?.timedOut() === true;
      if (stopping || timedOut) response.headers.set('connection', 'close');
      await writeResponse(res, response, method === 'HEAD', idleMs);
      // The answer is flushed first; then the connection goes, with whatever body is still coming.
      if (timedOut) {
        if (res.writableFinished) res.destroy();
        else res.once('finish', () => res.destroy());
      }
    })().catch((e: unknown) => {
      o.logger.warn('response write failed', { error: String(e) });
      res.destroy();
    }).finally(() => {
      body?.dispose();
      inFlight--;
      if (stopping && inFlight === 0) onIdle?.();
    });
  };
  const options = { maxHeaderSize: o.headerBytesMax ?? 64 * 1024, keepAliveTimeout: connectionIdleMs, requestTimeout: 0 };
  const server = o.tls === undefined
    ? http.createServer(options, onRequest)
    : https.createServer({ ...options, cert: readFileSync(o.tls.certFile, 'utf8'), key: readFileSync(o.tls.keyFile, 'utf8') }, onRequest);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  server.on(o.tls === undefined ? 'connection' : 'secureConnection', onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
      resolve({
        url: `${scheme}://${shownHost}:${port}`,
        port,
        async stop(graceMs) {
          stopping = true;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const closed = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          const idle = new Promise<boolean>((done) => {
            if (inFlight === 0) done(true);
            onIdle = () => done(true);
          });
          const drained = await Promise.race([idle, new Promise<boolean>((done) => { timer = setTimeout(() => done(false), graceMs); })]);
          clearTimeout(timer);
          // Whatever is left is idle keep-alive connections, or requests past the grace period.
          server.closeAllConnections();
          await closed;
          return { drained };
        },
      });
    });
  });
}
