// boto3 (Debian's python3-boto3, default settings) end to end: buckets, objects with
// metadata and ranges, paginated and delimited listings, managed multipart transfers,
// copy, delete-objects, a presigned GET, exact error codes and SSE-S3.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type StartedServer } from './helpers/server.ts';
import { run } from './helpers/clients.ts';
import { masterKeyEnv } from './helpers/sse.ts';

/** Debian's interpreter first: that is where python3-boto3 installs. */
function pythonPath(): string | undefined {
  for (const candidate of ['/usr/bin/python3', Bun.which('python3')]) {
    if (candidate === null || candidate === undefined || !existsSync(candidate)) continue;
    if (Bun.spawnSync([candidate, '-c', 'import boto3']).exitCode === 0) return candidate;
  }
  return undefined;
}

const python = pythonPath();
let server: StartedServer;
let work: string;

beforeAll(async () => {
  server = await startServer({ env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv } });
  work = await mkdtemp(join(tmpdir(), 'cairn-boto3-'));
});

afterAll(async () => {
  await server?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test.skipIf(python === undefined)('boto3 smoke script passes every check', async () => {
  const script = join(import.meta.dir, 'clients', 'boto3_smoke.py');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    CAIRN_ENDPOINT: server.endpoint,
    CAIRN_ACCESS_KEY: server.accessKey,
    CAIRN_SECRET_KEY: server.secretKey,
    CAIRN_REGION: server.region,
    CAIRN_WORK: work,
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const r = await run([python ?? 'python3', script], env, work);
  if (r.code !== 0) throw new Error(`boto3 script exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toContain('ALL OK');
}, 120_000);
