// End to end over a real loopback socket: Bun's request bodies, Host header and raw
// path go through authenticate and verifiedBody exactly as the server will use them.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fixedClock } from '../../util/clock.ts';
import { seededRandom } from '../../util/random.ts';
import { isS3Error } from '../errors.ts';
import { checksumBase64 } from '../checksum/index.ts';
import { authRequestOf, authenticate, encodeSignedChunks, encodeUnsignedChunks, presignUrl, sha256Hex, signRequest, storedContentEncoding, verifiedBody } from './index.ts';
import { rootCreds, testStore } from './testing/oracle.ts';

// Near real time: the AWS SDK corrects its clock from the server's Date header.
const clock = fixedClock(Date.now());
let server: ReturnType<typeof Bun.serve>;
let base = '';
const seen: Array<{ sha256: string; sizeBytes: number; payloadHash: string; result: unknown }> = [];

beforeAll(() => {
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      try {
        const auth = authenticate(authRequestOf(req), { credentials: testStore, clock, region: 'us-east-1' });
        const body = verifiedBody(req.body, auth, req.headers, { computeMd5: true });
        const hasher = new Bun.CryptoHasher('sha256');
        let sizeBytes = 0;
        for await (const piece of body.stream) {
          hasher.update(piece);
          sizeBytes += piece.length;
        }
        const summary = { sha256: hasher.digest('hex'), sizeBytes, result: body.result(), payloadHash: auth.payloadHash };
        seen.push(summary);
        return Response.json(summary);
      } catch (e) {
        if (isS3Error(e)) return Response.json({ code: e.code }, { status: e.status });
        throw e;
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(() => {
  void server.stop(true);
});

const data = seededRandom(11).bytes(8 * 1024 * 1024 + 13);
const dataSha = sha256Hex(data);

async function put(path: string, payloadHash: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const signed = signRequest({ method: 'PUT', url: `${base}${path}`, headers, payloadHash }, rootCreds, clock);
  const res = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('request adapters', () => {
  test('authRequestOf keeps the path and query as received', () => {
    const r = authRequestOf(new Request('http://h:9000/b/a%2Fb%20c?list-type=2&prefix=x%2By#frag', { method: 'GET' }));
    expect(r).toMatchObject({ method: 'GET', rawPath: '/b/a%2Fb%20c', rawQuery: 'list-type=2&prefix=x%2By' });
    expect(authRequestOf(new Request('http://h/')).rawPath).toBe('/');
  });

  test('storedContentEncoding drops the aws-chunked framing', () => {
    expect(storedContentEncoding('aws-chunked')).toBeUndefined();
    expect(storedContentEncoding('aws-chunked, gzip')).toBe('gzip');
    expect(storedContentEncoding('gzip,AWS-CHUNKED,br')).toBe('gzip, br');
    expect(storedContentEncoding(null)).toBeUndefined();
  });
});

describe('over HTTP', () => {
  test('UNSIGNED-PAYLOAD with a CRC32 header; key with encoded characters', async () => {
    const r = await put('/bucket/dir/a%20b%2Bc%E2%9C%93', 'UNSIGNED-PAYLOAD', data, { 'x-amz-checksum-crc32': checksumBase64('CRC32', data) });
    expect(r.status).toBe(200);
    expect(r.json['sha256']).toBe(dataSha);
    expect(r.json['result']).toMatchObject({ checksum: { algorithm: 'CRC32' }, sizeBytes: data.length });
  });

  test('real SHA-256 good and wrong', async () => {
    expect((await put('/bucket/k', dataSha, data)).json['sha256']).toBe(dataSha);
    const bad = await put('/bucket/k', sha256Hex('other'), data);
    expect(bad.status).toBe(400);
    expect(bad.json['code']).toBe('XAmzContentSHA256Mismatch');
  });

  test('signed streaming chunks', async () => {
    const signed = signRequest({
      method: 'PUT', url: `${base}/bucket/k`, payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) },
    }, rootCreds, clock);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 1 << 20) chunks.push(data.subarray(i, i + (1 << 20)));
    const body = encodeSignedChunks(chunks, signed.chunkSigner);
    const res = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(json['sha256']).toBe(dataSha);
  });

  test('unsigned trailer, right and wrong', async () => {
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32c' };
    const good = encodeUnsignedChunks([data.subarray(0, 65536), data.subarray(65536)], { name: 'x-amz-checksum-crc32c', value: checksumBase64('CRC32C', data) });
    const r = await put('/bucket/k', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', good, headers);
    expect(r.json['sha256']).toBe(dataSha);
    const wrong = encodeUnsignedChunks([data], { name: 'x-amz-checksum-crc32c', value: 'AAAAAA==' });
    const bad = await put('/bucket/k', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', wrong, headers);
    expect(bad.json['code']).toBe('BadDigest');
  });

  test('@aws-sdk/client-s3 PutObject with its default checksum settings', async () => {
    const client = new S3Client({
      region: 'us-east-1', endpoint: base, forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: rootCreds.accessKey, secretAccessKey: rootCreds.secretKey },
    });
    try {
      seen.length = 0;
      await client.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'sdk key+1', Body: data }));
      await client.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'sdk-stream', Body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]), ContentLength: data.length }));
      expect(seen.length).toBe(2);
      // Over plain HTTP the SDK hashes a buffer body in full, and frames a stream with a CRC32 trailer.
      expect(seen[0]?.payloadHash).toBe(dataSha);
      expect(seen[1]?.payloadHash).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
      for (const s of seen) {
        expect(s.sha256).toBe(dataSha);
        expect(s.result).toMatchObject({ checksum: { algorithm: 'CRC32', valueB64: checksumBase64('CRC32', data) } });
      }
    } finally {
      client.destroy();
    }
  });

  test('presigned PUT with plain fetch', async () => {
    const url = presignUrl({ method: 'PUT', url: `${base}/bucket/pre%20signed?x-id=PutObject`, expiresSec: 300 }, rootCreds, clock);
    const res = await fetch(url, { method: 'PUT', body: data });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Record<string, unknown>)['sha256']).toBe(dataSha);
  });
});
