// GET reuses its read buffers once the socket is done with them (src/util/lent-buffers.ts).
// If a buffer came back early, another GET running at the same time would overwrite
// bytes still waiting to be sent: these tests read different objects at once, through
// slow and abandoned readers that keep sockets backed up, and check every byte. Encrypted
// objects are decrypted inside those buffers, so they are read in the same mix.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startServer, type StartedServer } from './helpers/server.ts';
import { customerKey, masterKeyEnv, sdkSseC, selfSignedCert } from './helpers/sse.ts';

const bucket = 'lent-buffers';
const MiB = 1024 * 1024;

function content(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = seed;
  }
  return out;
}

const customer = customerKey(9);
const customerHeaders = {
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': customer.keyB64,
  'x-amz-server-side-encryption-customer-key-md5': customer.md5B64,
};

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** fetch that accepts the test's self-signed certificate. */
const get = (url: string, headers: Record<string, string> = {}): Promise<Response> => fetch(url, { headers, tls: { rejectUnauthorized: false } });

async function readSlowly(url: string, delayMs: number, headers: Record<string, string> = {}): Promise<Uint8Array> {
  const res = await get(url, headers);
  expect(res.status === 200 || res.status === 206).toBe(true);
  const pieces: Uint8Array[] = [];
  let n = 0;
  for await (const piece of res.body!) {
    pieces.push(piece);
    n += piece.length;
    if (delayMs > 0) await Bun.sleep(delayMs);
  }
  return Buffer.concat(pieces, n);
}

async function abandon(url: string, afterBytes: number, headers: Record<string, string>): Promise<void> {
  const res = await get(url, headers);
  const reader = res.body!.getReader();
  let n = 0;
  while (n < afterBytes) {
    const r = await reader.read();
    if (r.done) break;
    n += r.value.length;
  }
  await reader.cancel();
}

for (const scheme of ['http', 'https'] as const) {
  describe(`reused read buffers over ${scheme}`, () => {
    let server: StartedServer;
    let s3: S3Client;
    let work: string;
    const objects = new Map<string, { data: Uint8Array; sha: string; headers?: Record<string, string> }>();

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'cairn-lent-'));
      // Encrypted objects are decrypted in place in the read buffers: they take part too.
      const env: Record<string, string> = { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv, CAIRN_SSE_C_ALLOW_INSECURE: 'on' };
      if (scheme === 'https') {
        const cert = await selfSignedCert(work);
        Object.assign(env, { CAIRN_TLS_CERT: cert.certFile, CAIRN_TLS_KEY: cert.keyFile });
      }
      server = await startServer({ env });
      expect(server.endpoint.startsWith(`${scheme}://`)).toBe(true);
      s3 = new S3Client({
        endpoint: server.endpoint, region: server.region, forcePathStyle: true,
        credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
        requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ rejectUnauthorized: false }) }),
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      // Several batches of blocks (large), one batch (small), and an odd tail.
      const sizes = [9 * MiB + 12345, 9 * MiB, 6 * MiB + 1, MiB, MiB + 7, 2 * MiB];
      for (const [i, size] of sizes.entries()) {
        const data = content(size, i + 1);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `o${i}`, Body: data }));
        objects.set(`o${i}`, { data, sha: sha(data) });
      }
      const sseS3 = content(7 * MiB + 3, 20);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sse-s3', Body: sseS3, ServerSideEncryption: 'AES256' }));
      objects.set('sse-s3', { data: sseS3, sha: sha(sseS3) });
      const sseC = content(5 * MiB + 9, 21);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sse-c', Body: sseC, ...sdkSseC(customer) }));
      objects.set('sse-c', { data: sseC, sha: sha(sseC), headers: customerHeaders });
    }, 60_000);

    afterAll(async () => {
      s3?.destroy();
      await server?.stop();
      await rm(work, { recursive: true, force: true });
    });

    test('concurrent slow, fast, ranged and abandoned GETs of different objects all get exact bytes', async () => {
      const urls = new Map<string, string>();
      for (const [key, o] of objects) {
        const sseC = o.headers === undefined ? {} : sdkSseC(customer);
        urls.set(key, await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key, ...sseC }), { expiresIn: 600 }));
      }
      for (let round = 0; round < 3; round++) {
        const reads: Promise<void>[] = [];
        for (const [key, { data, sha: want, headers = {} }] of objects) {
          const url = urls.get(key)!;
          reads.push(readSlowly(url, 2, headers).then((got) => { expect(got.length).toBe(data.length); expect(sha(got)).toBe(want); }));
          reads.push(readSlowly(url, 0, headers).then((got) => expect(sha(got)).toBe(want)));
          const from = Math.floor(data.length / 3);
          const to = data.length - 5;
          reads.push(readSlowly(url, 1, { ...headers, range: `bytes=${from}-${to}` }).then((got) => expect(sha(got)).toBe(sha(data.subarray(from, to + 1)))));
          reads.push(abandon(url, Math.min(data.length - 1, 3 * MiB), headers));
        }
        await Promise.all(reads);
      }
    }, 120_000);
  });
}
