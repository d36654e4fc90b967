// The operator verbs as users run them: --help on every verb, a stopped server, wrong
// credentials, a server without a KMS, heal of one object / a bucket / everything, and
// HTTPS with a self-signed certificate (refused, trusted with --ca-file, or --insecure).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, runCli } from './helpers/cli.ts';
import { sdkClient } from './helpers/clients.ts';
import { startServer, type StartedServer } from './helpers/server.ts';
import { markedBody, selfSignedCert, walkFiles } from './helpers/sse.ts';

const slowMs = 120_000;
const verbs = [['kms'], ['kms', 'key', 'create'], ['kms', 'key', 'list'], ['kms', 'key', 'status'], ['kms', 'key', 'rotate'], ['rewrap'], ['heal']];

/** A loopback port nothing listens on: bound once by us, then released. */
function closedPort(): number {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

describe('cairn admin verbs without a server', () => {
  test('--help on every verb exits 0 and prints its usage', async () => {
    for (const words of verbs) {
      const r = await runCli([...words, '--help'], {});
      expect(r.code).toBe(0);
      expect(r.stdout).toStartWith('Usage: cairn ');
      expect(r.stdout).toContain(words.length === 1 && words[0] === 'kms' ? 'kms key rotate' : words.join(' '));
    }
    const top = await runCli(['--help'], {});
    for (const words of verbs) expect(top.stdout).toContain(words.join(' '));
  }, slowMs);

  test('a stopped server gives a clear message naming the endpoint, and exit 1', async () => {
    const port = closedPort();
    const env = { CAIRN_ADDRESS: `127.0.0.1:${port}`, CAIRN_ROOT_USER: 'someroot', CAIRN_ROOT_PASSWORD: 'some-secret-value', CAIRN_KMS_BACKEND: 'none' };
    for (const args of [['kms', 'key', 'list'], ['kms', 'key', 'rotate', 'k1'], ['rewrap'], ['heal']]) {
      const r = await runCli(args, env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot reach the Cairn server at http://127.0.0.1:${port} (connection refused)`);
      expect(r.stderr).not.toContain('some-secret-value');
    }
    const viaFlag = await runCli(['kms', 'key', 'list', '--endpoint', `http://127.0.0.1:${port}`], { ...env, CAIRN_ADDRESS: '127.0.0.1:1' });
    expect(viaFlag.stderr).toContain(`http://127.0.0.1:${port}`);
  }, slowMs);

  test('usage errors exit 2', async () => {
    const env = { CAIRN_ROOT_USER: 'someroot', CAIRN_ROOT_PASSWORD: 'some-secret-value' };
    expect((await runCli(['kms', 'key', 'create'], env)).code).toBe(2);
    expect((await runCli(['kms', 'key', 'create', 'a', 'b'], env)).code).toBe(2);
    expect((await runCli(['rewrap', '--nope'], env)).code).toBe(2);
    expect((await runCli(['rewrap', '--key-id', 'bad key'], env)).code).toBe(2);
    expect((await runCli(['heal', 'Not_A_Bucket'], env)).code).toBe(2);
    expect((await runCli(['kms', 'key', 'list', '--endpoint', 'ftp://x'], env)).code).toBe(2);
    const noCreds = await runCli(['kms', 'key', 'list'], { CAIRN_DRIVES: join(tmpdir(), 'cairn-no-such-drive') });
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toContain('CAIRN_ROOT_USER');
  }, slowMs);
});

describe('cairn admin verbs against a server without a KMS', () => {
  let server: StartedServer;
  let s3: S3Client;
  beforeAll(async () => {
    server = await startServer();
    s3 = sdkClient(server);
  }, slowMs);
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
  });

  test('kms verbs and rewrap say that no KMS is configured; wrong credentials are named', async () => {
    const env = cliEnv(server);
    const list = await runCli(['kms', 'key', 'list'], env);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('NotImplemented');
    expect((await runCli(['rewrap'], env)).stderr).toContain('NotImplemented');
    const wrong = await runCli(['kms', 'key', 'list'], { ...env, CAIRN_ROOT_PASSWORD: 'not-the-right-secret' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('CAIRN_ROOT_PASSWORD');
    expect(wrong.stderr).not.toContain('not-the-right-secret');
  }, slowMs);

  test('heal one object, a bucket and everything', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'heal-cli' }));
    const body = markedBody(300_000, 'heal-cli');
    await s3.send(new PutObjectCommand({ Bucket: 'heal-cli', Key: 'victim', Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: 'heal-cli', Key: 'other', Body: body }));
    const lost: string[] = [];
    for await (const path of walkFiles(server.drives[3]!)) if (path.includes('victim')) lost.push(path);
    expect(lost.length).toBeGreaterThan(0);
    for (const path of lost) await rm(path, { force: true });

    const env = cliEnv(server);
    const one = await runCli(['heal', 'heal-cli', 'victim'], env);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/healed heal-cli\/victim: [1-9]\d* shards rewritten/);
    const bucket = await runCli(['heal', 'heal-cli'], env);
    expect(bucket.code).toBe(0);
    expect(bucket.stdout).toContain('bucket heal-cli: 2 objects checked');
    expect(bucket.stdout).toContain('heal done');
    const all = await runCli(['heal'], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('heal done');
    const again = await runCli(['heal', 'heal-cli', 'victim'], env);
    expect(again.stdout).toContain('healed heal-cli/victim: 0 shards rewritten');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'heal-cli', Key: 'victim' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(body))).toBe(true);
  }, slowMs);
});

describe('cairn admin verbs over HTTPS', () => {
  let server: StartedServer;
  let certDir: string;
  let tlsEnv: Record<string, string>;
  beforeAll(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'cairn-cli-tls-'));
    const cert = await selfSignedCert(certDir);
    tlsEnv = { CAIRN_TLS_CERT: cert.certFile, CAIRN_TLS_KEY: cert.keyFile, CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: `cli-tls:${Buffer.alloc(32, 7).toString('base64')}` };
    server = await startServer({ env: tlsEnv });
  }, slowMs);
  afterAll(async () => {
    await server?.stop();
    if (certDir !== undefined) await rm(certDir, { recursive: true, force: true });
  });

  test('a self-signed certificate is refused with a hint, trusted with --ca-file, accepted with --insecure', async () => {
    expect(server.endpoint).toStartWith('https://');
    const env = cliEnv(server, tlsEnv);
    const refused = await runCli(['kms', 'key', 'list'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--ca-file');
    const created = await runCli(['kms', 'key', 'create', 'tls-key', '--ca-file', tlsEnv.CAIRN_TLS_CERT!], env);
    expect(created.code).toBe(0);
    const listed = await runCli(['kms', 'key', 'list', '--insecure'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('tls-key');
  }, slowMs);
});
