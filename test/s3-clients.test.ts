// Real S3 tools against the real server: the aws CLI (s3 and s3api, a 100 MiB multipart
// file up and down), rclone (copy/sync/check of a tree) and s3cmd (put/get).
// Tool configuration comes from the environment and temp files only, never $HOME.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type StartedServer } from './helpers/server.ts';
import { awsCliPath, awsEnv, rcloneEnv, run } from './helpers/clients.ts';

let server: StartedServer;
let work: string;
const MiB = 1024 * 1024;
const aws = awsCliPath();
const rclone = Bun.which('rclone');
const s3cmd = Bun.which('s3cmd');

beforeAll(async () => {
  server = await startServer();
  work = await mkdtemp(join(tmpdir(), 'cairn-clients-'));
});

afterAll(async () => {
  await server?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function fileMd5(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher('md5');
  for await (const piece of Bun.file(path).stream()) hasher.update(piece);
  return hasher.digest('hex');
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
  }
}

function ok(r: { code: number; stdout: string; stderr: string }): string {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(aws === undefined)('aws CLI', () => {
  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    run([aws ?? 'aws', '--endpoint-url', server.endpoint, ...args], awsEnv(server, work), work);

  test('s3 mb/cp/ls/rm and a 100 MiB multipart file compared byte for byte', async () => {
    ok(await cli(['s3', 'mb', 's3://cli-bucket']));
    const big = join(work, 'big.bin');
    const buffer = Buffer.alloc(100 * MiB);
    randomFillSync(buffer);
    await writeFile(big, buffer);
    ok(await cli(['s3', 'cp', big, 's3://cli-bucket/dir/big.bin']));
    const listed = ok(await cli(['s3', 'ls', 's3://cli-bucket/dir/']));
    expect(listed).toContain(String(100 * MiB));
    const head = JSON.parse(ok(await cli(['s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'dir/big.bin']))) as { ETag: string; ContentLength: number };
    expect(head.ContentLength).toBe(100 * MiB);
    expect(head.ETag).toMatch(/-\d+"$/); // uploaded in parts
    const back = join(work, 'big.back');
    ok(await cli(['s3', 'cp', 's3://cli-bucket/dir/big.bin', back]));
    expect(await fileMd5(back)).toBe(await fileMd5(big));
    ok(await cli(['s3', 'rm', 's3://cli-bucket/dir/big.bin']));
    expect(ok(await cli(['s3api', 'list-objects-v2', '--bucket', 'cli-bucket', '--prefix', 'dir/']))).not.toContain('big.bin');
    await rm(big);
    await rm(back);
  }, 180_000);

  test('s3 sync of a tree, with --delete', async () => {
    const src = join(work, 'sync-src');
    await writeTree(src, { 'a.txt': 'a', 'sub/b.txt': 'bb', 'sub/deeper/c.txt': 'ccc', 'space name.txt': 'sp' });
    ok(await cli(['s3', 'sync', src, 's3://cli-bucket/sync']));
    const listed = ok(await cli(['s3', 'ls', '--recursive', 's3://cli-bucket/sync/']));
    for (const key of ['sync/a.txt', 'sync/sub/b.txt', 'sync/sub/deeper/c.txt', 'sync/space name.txt']) expect(listed).toContain(key);
    await rm(join(src, 'a.txt'));
    await writeFile(join(src, 'sub/b.txt'), 'changed');
    ok(await cli(['s3', 'sync', '--delete', src, 's3://cli-bucket/sync']));
    const after = ok(await cli(['s3', 'ls', '--recursive', 's3://cli-bucket/sync/']));
    expect(after).not.toContain('sync/a.txt');
    const down = join(work, 'sync-down');
    ok(await cli(['s3', 'sync', 's3://cli-bucket/sync', down]));
    expect(await readFile(join(down, 'sub/b.txt'), 'utf8')).toBe('changed');
    expect(await readFile(join(down, 'space name.txt'), 'utf8')).toBe('sp');
    ok(await cli(['s3', 'rm', '--recursive', 's3://cli-bucket/sync']));
    expect(ok(await cli(['s3api', 'list-objects-v2', '--bucket', 'cli-bucket', '--prefix', 'sync/']))).not.toContain('"Key"');
  }, 120_000);

  test('s3api calls and an error code', async () => {
    const body = join(work, 'api.txt');
    await writeFile(body, 'via s3api');
    const put = JSON.parse(ok(await cli(['s3api', 'put-object', '--bucket', 'cli-bucket', '--key', 'api.txt', '--body', body, '--content-type', 'text/plain', '--metadata', 'k=v']))) as { ETag: string };
    expect(put.ETag).toBe(`"${new Bun.CryptoHasher('md5').update('via s3api').digest('hex')}"`);
    const head = JSON.parse(ok(await cli(['s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'api.txt']))) as { ContentType: string; Metadata: Record<string, string> };
    expect(head).toMatchObject({ ContentType: 'text/plain', Metadata: { k: 'v' } });
    const list = JSON.parse(ok(await cli(['s3api', 'list-objects-v2', '--bucket', 'cli-bucket', '--prefix', 'api']))) as { Contents: { Key: string }[] };
    expect(list.Contents.map((c) => c.Key)).toEqual(['api.txt']);
    const out = join(work, 'api.out');
    ok(await cli(['s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'api.txt', '--range', 'bytes=4-6', out]));
    expect(await readFile(out, 'utf8')).toBe('s3a');
    const missing = await cli(['s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'nope', out]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NoSuchKey');
  }, 60_000);
});

describe.skipIf(rclone === null)('rclone', () => {
  const rc = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => run([rclone ?? 'rclone', ...args], rcloneEnv(server, work), work);

  test('copy, check, sync and check again of a tree', async () => {
    const src = join(work, 'rc-src');
    const files: Record<string, string> = { 'top.txt': 'top', 'd1/one.txt': '1', 'd1/d2/two.txt': '22', 'unicode/ñ €.txt': 'u' };
    files['d1/large.bin'] = 'L'.repeat(6 * MiB);
    await writeTree(src, files);
    ok(await rc(['mkdir', 'cairn:rc-bucket']));
    ok(await rc(['copy', src, 'cairn:rc-bucket/tree']));
    ok(await rc(['check', src, 'cairn:rc-bucket/tree']));
    await rm(join(src, 'top.txt'));
    await writeFile(join(src, 'd1/one.txt'), 'one changed');
    await writeFile(join(src, 'new.txt'), 'new');
    const differs = await rc(['check', src, 'cairn:rc-bucket/tree']);
    expect(differs.code).not.toBe(0);
    ok(await rc(['sync', src, 'cairn:rc-bucket/tree']));
    ok(await rc(['check', src, 'cairn:rc-bucket/tree']));
    const listing = ok(await rc(['lsf', '-R', 'cairn:rc-bucket/tree']));
    expect(listing).not.toContain('top.txt');
    expect(listing).toContain('new.txt');
    const down = join(work, 'rc-down');
    ok(await rc(['copy', 'cairn:rc-bucket/tree', down]));
    expect(await readFile(join(down, 'd1/one.txt'), 'utf8')).toBe('one changed');
    expect(await fileMd5(join(down, 'd1/large.bin'))).toBe(await fileMd5(join(src, 'd1/large.bin')));
  }, 120_000);
});

describe.skipIf(s3cmd === null)('s3cmd', () => {
  test('mb, put, ls, get, del', async () => {
    const host = new URL(server.endpoint).host;
    const cfg = join(work, 's3cmd.cfg');
    await writeFile(cfg, [
      '[default]',
      `access_key = ${server.accessKey}`,
      `secret_key = ${server.secretKey}`,
      `host_base = ${host}`,
      `host_bucket = ${host}`,
      'use_https = False',
      'signature_v2 = False',
      'bucket_location = us-east-1',
      '',
    ].join('\n'));
    const sc = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      run([s3cmd ?? 's3cmd', '-c', cfg, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work }, work);
    const file = join(work, 's3cmd-in.txt');
    await writeFile(file, 'from s3cmd '.repeat(1000));
    ok(await sc(['mb', 's3://sc-bucket']));
    ok(await sc(['put', file, 's3://sc-bucket/path/file.txt']));
    expect(ok(await sc(['ls', 's3://sc-bucket/path/']))).toContain('s3://sc-bucket/path/file.txt');
    const out = join(work, 's3cmd-out.txt');
    ok(await sc(['get', '--force', 's3://sc-bucket/path/file.txt', out]));
    expect(await readFile(out, 'utf8')).toBe(await readFile(file, 'utf8'));
    ok(await sc(['del', 's3://sc-bucket/path/file.txt']));
    expect(ok(await sc(['ls', 's3://sc-bucket/path/']))).not.toContain('file.txt');
  }, 60_000);
});
