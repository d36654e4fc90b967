// The HTTP transport's connection clocks, in process with a trivial handler: connections
// that start no request (idle, or trickling header bytes) are closed; busy ones are not.
// And how a response body waits for a slow socket.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startHttpServer, writeResponse, type HttpServer } from './server.ts';
import { createLogger } from '../util/log.ts';

let server: HttpServer;

beforeAll(async () => {
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    tls: undefined,
    logger: createLogger('error'),
    connectionIdleMs: 600,
    idleTimeoutMs: 5000,
    fetch: async (req) => {
      const wait = Number(new URL(req.url).searchParams.get('wait') ?? '0');
      if (wait > 0) await Bun.sleep(wait);
      return new Response('ok', { headers: { 'content-length': '2' } });
    },
  });
});

afterAll(async () => { await server.stop(1000); });

async function open(): Promise<{ socket: Socket; received: () => string; closedAfterMs: Promise<number> }> {
  const socket = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const t0 = performance.now();
  let text = '';
  socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  socket.on('error', () => undefined);
  return { socket, received: () => text, closedAfterMs: new Promise((resolve) => socket.once('close', () => resolve(performance.now() - t0))) };
}

test('a connection that never sends a request is closed', async () => {
  const c = await open();
  expect(await c.closedAfterMs).toBeLessThan(3000);
});

test('header bytes trickling in do not keep a connection open', async () => {
  const c = await open();
  const trickle = setInterval(() => c.socket.write('x'), 200);
  c.socket.write('GET / HTTP/1.1\r\nX-Slow: ');
  const after = await c.closedAfterMs;
  clearInterval(trickle);
  expect(after).toBeLessThan(3000);
  expect(c.received()).toBe('');
});

test('a request slower than the connection clock is answered, and the connection then idles out', async () => {
  const c = await open();
  c.socket.write('GET /?wait=1500 HTTP/1.1\r\nHost: x\r\n\r\n');
  const after = await c.closedAfterMs;
  expect(c.received()).toStartWith('HTTP/1.1 200');
  expect(c.received()).toEndWith('ok');
  expect(after).toBeGreaterThan(1500);
});

test('keep-alive: a second request within the clock is served on the same connection', async () => {
  const c = await open();
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await Bun.sleep(300);
  c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await c.closedAfterMs;
  expect(c.received().match(/HTTP\/1\.1 200/g)?.length).toBe(2);
});

/**
 * A ServerResponse stand-in whose socket never takes a write whole: each write is queued,
 * and the queue empties a little later, with or without the 'drain' event.
 */
class SlowResponse extends EventEmitter {
  destroyed = false;
  headersSent = false;
  writableLength = 0;
  writtenBytes = 0;
  ended = false;
  constructor(private readonly emitsDrain: boolean) {
    super();
  }
  writeHead(): this {
    this.headersSent = true;
    return this;
  }
  write(piece: Uint8Array, done?: () => void): boolean {
    this.writtenBytes += piece.length;
    this.writableLength += piece.length;
    setTimeout(() => {
      this.writableLength = 0;
      done?.();
      if (this.emitsDrain) this.emit('drain');
    }, 20);
    return false;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function body(pieces: number, pieceBytes: number): Response {
  let sent = 0;
  return new Response(new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (sent++ === pieces) ctrl.close();
      else ctrl.enqueue(new Uint8Array(pieceBytes));
    },
  }));
}

test('a response body waits for the socket past its first MiB, and a lost drain event does not lose the response', async () => {
  for (const emitsDrain of [true, false]) {
    const res = new SlowResponse(emitsDrain);
    const t0 = performance.now();
    await writeResponse(res as unknown as ServerResponse, body(4, 1024 * 1024), false, 0);
    const ms = performance.now() - t0;
    expect(res.writtenBytes).toBe(4 * 1024 * 1024);
    expect(res.ended).toBe(true);
    expect(res.destroyed).toBe(false);
    // Pieces 2-4 each waited: for the event (~20 ms), or without it for the next poll (~1 s).
    if (emitsDrain) expect(ms).toBeLessThan(900);
    else expect(ms).toBeGreaterThan(2000);
  }
});
