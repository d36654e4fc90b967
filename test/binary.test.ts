// The compiled single executable: it builds, reports its version, and serves a large
// PUT/GET (which runs the MD5 worker embedded in the executable).
import { afterAll, expect, test } from 'bun:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExecutable } from '../scripts/build.ts';
import { signRequest } from '../src/s3/sigv4/index.ts';
import { systemClock } from '../src/util/clock.ts';

const dir = await mkdtemp(join(tmpdir(), 'cairn-binary-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('dist binary: version, then a 3 MiB PUT and GET with the embedded worker', async () => {
  const exe = join(dir, 'cairn');
  expect(buildExecutable(exe)).toMatch(/^cairn \d+\.\d+\.\d+/);
  const creds = { accessKey: 'binary-root', secretKey: 'binary-root-secret-0123' };
  const proc = Bun.spawn([exe, 'server'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CAIRN_ADDRESS: '127.0.0.1:0', CAIRN_DRIVES: join(dir, 'd{1...4}'), CAIRN_ROOT_USER: creds.accessKey, CAIRN_ROOT_PASSWORD: creds.secretKey, CAIRN_FSYNC: 'off', CAIRN_KMS_BACKEND: 'none', CAIRN_LOG_LEVEL: 'warn' },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  try {
    let text = '';
    const reader = proc.stdout.getReader();
    while (!/S3 endpoint: \S+\n/.test(text)) {
      const next = await reader.read();
      if (next.done) throw new Error(`exited early: ${text}`);
      text += new TextDecoder().decode(next.value);
    }
    const endpoint = /S3 endpoint: (\S+)/.exec(text)?.[1] ?? '';
    const call = async (method: string, path: string, body?: Uint8Array): Promise<Response> => {
      const s = signRequest({ method, url: `${endpoint}${path}`, payloadHash: 'UNSIGNED-PAYLOAD' }, creds, systemClock);
      return fetch(s.url, { method, headers: s.headers, ...(body === undefined ? {} : { body }) });
    };
    expect((await call('PUT', '/bin')).status).toBe(200);
    const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
    const put = await call('PUT', '/bin/obj', data);
    expect(put.headers.get('etag')).toBe(`"${new Bun.CryptoHasher('md5').update(data).digest('hex')}"`);
    const got = new Uint8Array(await (await call('GET', '/bin/obj')).arrayBuffer());
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
  } finally {
    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }
}, 120_000);
