// The command line and process lifecycle: verbs and --help, configuration errors (exit 2,
// the variable named), generated root credentials printed once and stored owner-only,
// and SIGTERM draining an in-flight upload before the process exits.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '../src/s3/sigv4/index.ts';
import { systemClock } from '../src/util/clock.ts';
import { startServer } from './helpers/server.ts';

const main = join(import.meta.dir, '..', 'src', 'main.ts');
const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function cairn(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CAIRN_')) base[k] = v;
  const p = Bun.spawn([process.execPath, main, ...args], { env: { ...base, ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

describe('verbs', () => {
  test('--help, server --help, version, unknown verb', async () => {
    const help = await cairn(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: cairn');
    expect(help.stdout).toContain('server');
    const serverHelp = await cairn(['server', '--help']);
    expect(serverHelp.code).toBe(0);
    expect(serverHelp.stdout).toContain('CAIRN_ADDRESS');
    expect((await cairn(['version', '--help'])).stdout).toContain('Usage: cairn version');
    const version = await cairn(['version']);
    expect(version.stdout).toMatch(/^cairn \d+\.\d+\.\d+/);
    const unknown = await cairn(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown verb');
  });

  test('a bad variable exits 2 and names it', async () => {
    const bad = await cairn(['server'], { CAIRN_ADDRESS: 'not-an-address' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('CAIRN_ADDRESS');
    const half = await cairn([], { CAIRN_ROOT_USER: 'only-user' });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('CAIRN_ROOT_PASSWORD');
  });
});

describe('lifecycle', () => {
  test('generated root credentials: printed on the first start only, stored owner-only, and they work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
    temps.push(dir);
    const env = { CAIRN_ROOT_USER: '', CAIRN_ROOT_PASSWORD: '' };
    const first = await startServer({ dir, env });
    const secret = /Root secret key: (\S+)\s+\(generated/.exec(first.output())?.[1];
    const access = /Root access key: (\S+)/.exec(first.output())?.[1];
    expect(secret).toBeString();
    const signed = signRequest({ method: 'GET', url: `${first.endpoint}/`, payloadHash: 'UNSIGNED-PAYLOAD' }, { accessKey: access ?? '', secretKey: secret ?? '' }, systemClock);
    expect((await fetch(signed.url, { headers: signed.headers })).status).toBe(200);
    await first.stop({ keepDir: true });
    // Beside the drives (CAIRN_STATE_DIR defaults to <drives' parent>/.cairn), never inside one.
    const stored = join(dir, '.cairn');
    expect(await readdir(stored)).toContain('root-credentials.json');
    expect(((await stat(join(stored, 'root-credentials.json'))).mode & 0o777).toString(8)).toBe('600');
    for (const drive of ['drive1', 'drive2', 'drive3', 'drive4']) expect(await readdir(join(dir, drive))).not.toContain('.cairn.root');
    const second = await startServer({ dir, env });
    expect(second.output()).toContain(`Root access key: ${access}`);
    expect(second.output()).not.toContain(secret ?? 'never');
    await second.stop({ keepDir: true });
  }, 60_000);

  test('SIGTERM lets an in-flight upload finish, then the process exits 0', async () => {
    const server = await startServer();
    const creds = { accessKey: server.accessKey, secretKey: server.secretKey };
    const bucket = signRequest({ method: 'PUT', url: `${server.endpoint}/drain`, payloadHash: 'UNSIGNED-PAYLOAD' }, creds, systemClock);
    expect((await fetch(bucket.url, { method: 'PUT', headers: bucket.headers })).status).toBe(200);
    const total = 4 * 1024 * 1024;
    const piece = new Uint8Array(256 * 1024).fill(3);
    let sent = 0;
    let markStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => { markStarted = resolve; });
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= total) return c.close();
        if (sent === piece.length) markStarted();
        await Bun.sleep(60);
        c.enqueue(piece);
        sent += piece.length;
      },
    });
    const put = signRequest({ method: 'PUT', url: `${server.endpoint}/drain/slow`, payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'content-length': String(total) } }, creds, systemClock);
    const upload = fetch(put.url, { method: 'PUT', headers: put.headers, body, duplex: 'half' } as RequestInit);
    await started;
    const order: string[] = [];
    const exit = server.stop({ keepDir: true }).then((code) => { order.push('exited'); return code; });
    const res = await upload;
    order.push('upload answered');
    expect(res.status).toBe(200);
    expect(await exit).toBe(0);
    expect(order).toEqual(['upload answered', 'exited']);
    expect(sent).toBe(total);
    await rm(server.dir, { recursive: true, force: true });
  }, 60_000);
});
