// Stalled clients against the real server (CAIRN_IDLE_TIMEOUT=1s): an upload that stops
// sending is answered 400 RequestTimeout and stores nothing, also after 100 Continue; an
// upload that keeps trickling in is not cut; a download nobody reads is cut off, one read
// slowly is not.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect, type Socket } from 'node:net';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { signRequest } from '../src/s3/sigv4/index.ts';
import { systemClock } from '../src/util/clock.ts';
import type { StartedServer } from './helpers/server.ts';
import { errorOf, startWithBucket, stopWithClient } from './helpers/clients.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'idle-bucket';

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket, { env: { CAIRN_IDLE_TIMEOUT: '1s' } }));
});

afterAll(() => stopWithClient(server, s3));

/** A raw HTTP/1.1 connection carrying one signed request's head (the body is up to the caller). */
async function openRequest(method: string, key: string, headers: Record<string, string>): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const url = `${server.endpoint}/${bucket}/${key}`;
  const signed = signRequest({ method, url, headers, payloadHash: 'UNSIGNED-PAYLOAD' }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let text = '';
  socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let head = `${method} /${bucket}/${key} HTTP/1.1\r\n`;
  signed.headers.forEach((v, n) => { head += `${n}: ${v}\r\n`; });
  socket.write(`${head}\r\n`);
  return { socket, received: () => text, closed };
}

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

async function absent(key: string): Promise<void> {
  expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).toEqual({ code: 'NotFound', status: 404 });
}

test('an upload that stops sending gets 400 RequestTimeout, the connection is closed and nothing is stored', async () => {
  const r = await openRequest('PUT', 'stalled', { 'content-length': '100000' });
  r.socket.write(Buffer.alloc(1000, 7));
  await within(5000, r.closed);
  expect(r.received()).toStartWith('HTTP/1.1 400');
  expect(r.received()).toContain('<Code>RequestTimeout</Code>');
  await absent('stalled');
});

test('after 100 Continue, the clock runs from the 100: silence then is a RequestTimeout', async () => {
  const r = await openRequest('PUT', 'stalled-continue', { 'content-length': '5000', expect: '100-continue' });
  await within(3000, (async () => { while (!r.received().includes('100 Continue')) await Bun.sleep(20); })());
  await within(5000, r.closed);
  expect(r.received()).toContain('<Code>RequestTimeout</Code>');
  await absent('stalled-continue');
});

test('an upload that keeps trickling in (a piece every 300 ms for 3 s) is not cut', async () => {
  const pieces = 10;
  const r = await openRequest('PUT', 'trickle', { 'content-length': String(pieces * 100) });
  for (let i = 0; i < pieces; i++) {
    r.socket.write(Buffer.alloc(100, i));
    await Bun.sleep(300);
  }
  await within(5000, (async () => { while (!r.received().includes('\r\n\r\n')) await Bun.sleep(20); })());
  expect(r.received()).toStartWith('HTTP/1.1 200');
  r.socket.destroy();
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'trickle' }));
  expect(head.ContentLength).toBe(pieces * 100);
});

test('a download nobody reads is cut off after the idle timeout', async () => {
  const size = 48 * 1024 * 1024;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: new Uint8Array(size) }));
  const r = await openRequest('GET', 'big', {});
  r.socket.pause();
  await Bun.sleep(3000);
  let bytes = 0;
  r.socket.removeAllListeners('data');
  r.socket.on('data', (d: Buffer) => { bytes += d.length; });
  r.socket.resume();
  await within(10_000, r.closed);
  expect(bytes).toBeGreaterThan(0);
  expect(bytes).toBeLessThan(size);
}, 20_000);

test('a download read slowly (a little every 300 ms for 3 s) is not cut off', async () => {
  const size = 48 * 1024 * 1024;
  const r = await openRequest('GET', 'big', {});
  r.socket.pause();
  for (let i = 0; i < 10; i++) {
    await Bun.sleep(300);
    r.socket.resume();
    await Bun.sleep(2);
    r.socket.pause();
  }
  let bytes = r.received().length;
  r.socket.removeAllListeners('data');
  r.socket.on('data', (d: Buffer) => { bytes += d.length; });
  r.socket.resume();
  await within(10_000, (async () => { while (bytes < size) await Bun.sleep(20); })());
  expect(bytes).toBeGreaterThan(size);
  r.socket.destroy();
}, 20_000);
