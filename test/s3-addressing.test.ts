// Addressing and transport details: virtual-host style under CAIRN_DOMAIN, path style
// alongside it, Expect: 100-continue (curl with its own SigV4 signer), and the
// reserved /cairn/ prefix. (Keys with dot segments: s3-sdk.test.ts, whose client sends
// paths as they are; fetch resolves them before sending.)
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { signRequest } from '../src/s3/sigv4/index.ts';
import { systemClock } from '../src/util/clock.ts';
import { startServer, type StartedServer } from './helpers/server.ts';

let server: StartedServer;
const domain = 's3.cairn.test';

beforeAll(async () => {
  server = await startServer({ env: { CAIRN_DOMAIN: domain } });
});
afterAll(async () => {
  await server?.stop();
});

/** Signs for `host` but connects to the server's loopback address. */
async function viaHost(method: string, host: string, path: string, body?: string): Promise<Response> {
  const port = new URL(server.endpoint).port;
  const signed = signRequest({ method, url: `http://${host}:${port}${path}`, payloadHash: 'UNSIGNED-PAYLOAD', ...(body === undefined ? {} : { body }) }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
  signed.headers.set('x-amz-content-sha256', 'UNSIGNED-PAYLOAD');
  return fetch(`${server.endpoint}${path}`, { method, headers: signed.headers, ...(body === undefined ? {} : { body }) });
}

test('virtual-host style and path style reach the same bucket', async () => {
  expect((await viaHost('PUT', `vhost-bucket.${domain}`, '/')).status).toBe(200);
  expect((await viaHost('PUT', `vhost-bucket.${domain}`, '/dir/obj.txt', 'hello vhost')).status).toBe(200);
  const pathStyle = await viaHost('GET', domain, '/vhost-bucket/dir/obj.txt');
  expect(await pathStyle.text()).toBe('hello vhost');
  const list = await viaHost('GET', `vhost-bucket.${domain}`, '/?list-type=2');
  expect(await list.text()).toContain('<Key>dir/obj.txt</Key>');
});

test.skipIf(Bun.which('curl') === null)('Expect: 100-continue with curl --aws-sigv4: continued once the handler reads, never for a refused request', async () => {
  const file = `${server.dir}/upload.bin`;
  await Bun.write(file, new Uint8Array(3 * 1024 * 1024).fill(9));
  const curl = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const p = Bun.spawn(['curl', '-sS', '-v', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${server.accessKey}:${server.secretKey}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', ...args], { stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, out, err };
  };
  const put = await curl(['-H', 'Expect: 100-continue', '-T', file, `${server.endpoint}/vhost-bucket/curl.bin`]);
  expect(put.code).toBe(0);
  expect(put.err).toContain('HTTP/1.1 100 Continue');
  expect(put.err).toContain('HTTP/1.1 200');
  const head = await curl(['-I', `${server.endpoint}/vhost-bucket/curl.bin`]);
  expect(head.out.toLowerCase()).toContain(`content-length: ${3 * 1024 * 1024}`);
  // A request refused before its body is read gets the refusal, never "100 Continue":
  // the client does not send the body at all.
  const forged = Bun.spawn(['curl', '-sS', '-v', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${server.accessKey}:wrong-secret`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD',
    '-H', 'Expect: 100-continue', '--expect100-timeout', '20', '-T', file, `${server.endpoint}/vhost-bucket/forged.bin`], { stdout: 'pipe', stderr: 'pipe' });
  const [forgedOut, forgedErr] = await Promise.all([new Response(forged.stdout).text(), new Response(forged.stderr).text(), forged.exited]);
  expect(forgedErr).not.toContain('100 Continue');
  expect(forgedErr).toContain('HTTP/1.1 403');
  expect(forgedOut).toContain('<Code>SignatureDoesNotMatch</Code>');
  expect((await curl(['-I', `${server.endpoint}/vhost-bucket/forged.bin`])).err).toContain('HTTP/1.1 404');
});

test('a body sent with Transfer-Encoding: chunked and no Content-Length is stored whole', async () => {
  const data = new Uint8Array(3 * 1024 * 1024 + 11).map((_, i) => (i * 7) & 0xff);
  const url = `${server.endpoint}/vhost-bucket/chunked.bin`;
  const signed = signRequest({ method: 'PUT', url, payloadHash: 'UNSIGNED-PAYLOAD' }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
  signed.headers.set('x-amz-content-sha256', 'UNSIGNED-PAYLOAD');
  const pieces = [data.subarray(0, 1000), data.subarray(1000, 2_000_000), data.subarray(2_000_000)];
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = pieces.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
  const put = await fetch(url, { method: 'PUT', headers: signed.headers, body, duplex: 'half' } as RequestInit);
  expect(put.status).toBe(200);
  const got = await viaHost('GET', domain, '/vhost-bucket/chunked.bin');
  expect(new Uint8Array(await got.arrayBuffer())).toEqual(data);
});

test('the reserved prefix is not a bucket', async () => {
  const res = await viaHost('PUT', domain, '/cairn');
  expect(await res.text()).toContain('<Code>InvalidBucketName</Code>');
  const live = await fetch(`${server.endpoint}/cairn/health/live`);
  expect(live.status).toBe(200);
  const minio = await fetch(`${server.endpoint}/minio/health/live`);
  expect(minio.status).toBe(200);
});
