// Client factories for e2e tests: the AWS SDK with its default settings, and the
// environment the aws CLI, rclone and s3cmd need (no config files in $HOME).
import { CreateBucketCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type StartOptions, type StartedServer } from './server.ts';

/** @aws-sdk/client-s3 as users run it: default checksum behaviour (CRC32 trailers). */
export function sdkClient(server: StartedServer, overrides: { secretKey?: string; accessKey?: string } = {}): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: overrides.accessKey ?? server.accessKey, secretAccessKey: overrides.secretKey ?? server.secretKey },
  });
}

/** rclone with the remote `cairn:` defined by environment only (no config file is read). */
export function rcloneEnv(server: StartedServer, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    RCLONE_CONFIG: join(home, 'rclone-none.conf'),
    RCLONE_CONFIG_CAIRN_TYPE: 's3',
    RCLONE_CONFIG_CAIRN_PROVIDER: 'Other',
    RCLONE_CONFIG_CAIRN_ACCESS_KEY_ID: server.accessKey,
    RCLONE_CONFIG_CAIRN_SECRET_ACCESS_KEY: server.secretKey,
    RCLONE_CONFIG_CAIRN_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_CAIRN_REGION: server.region,
    RCLONE_CONFIG_CAIRN_FORCE_PATH_STYLE: 'true',
  };
}

/** A fresh server with one bucket and a default SDK client: the usual e2e file set-up. */
export async function startWithBucket(bucket: string, options: StartOptions = {}): Promise<{ server: StartedServer; s3: S3Client }> {
  const server = await startServer(options);
  const s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { server, s3 };
}

/** The matching tear-down; tolerates a set-up that failed half-way. */
/** The S3 error a call must end with: its code and HTTP status. A success fails the test. */
export async function errorOf(p: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { code: e.name, status: e.$metadata.httpStatusCode };
    throw e;
  }
  throw new Error('expected the request to fail');
}

/** The S3 error name a call ends with, or 'no error'; anything but an S3 error is rethrown. */
export async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return e.name;
    throw e;
  }
  return 'no error';
}

export async function stopWithClient(server: StartedServer | undefined, s3: S3Client | undefined): Promise<void> {
  s3?.destroy();
  await server?.stop();
}

/** The Debian aws CLI when present (the PATH may hold another one). */
export function awsCliPath(): string | undefined {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  return Bun.which('aws') ?? undefined;
}

export function awsEnv(server: StartedServer, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    AWS_DEFAULT_REGION: server.region,
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_CONFIG_FILE: `${home}/no-aws-config`,
    AWS_SHARED_CREDENTIALS_FILE: `${home}/no-aws-credentials`,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

export async function run(cmd: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(cmd, { env, stdout: 'pipe', stderr: 'pipe', ...(cwd === undefined ? {} : { cwd }) });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}
