// The HTTP transport's connection clocks, in process with a trivial handler: connections
// that start no request (idle, or trickling header bytes) are closed; busy ones are not.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect, type Socket } from 'node:net';
import { startHttpServer, type HttpServer } from './server.ts';
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
