// Starts the real Cairn server as a child process on a random loopback port with temp
// drives, for end-to-end tests. Reusable by every e2e test file:
//   const server = await startServer();  ...  await server.stop();
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = join(import.meta.dir, '..', '..');
const startTimeoutMs = 30_000;
const stopTimeoutMs = 15_000;

export interface StartedServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** Drive directories (delete or corrupt them to test failures). */
  drives: string[];
  /** Temp directory holding the drives; removed by stop(). */
  dir: string;
  pid: number;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, wait for exit, remove the temp directory. Returns the exit code. */
  stop(options?: { keepDir?: boolean }): Promise<number | null>;
}

export interface StartOptions {
  /** Extra CAIRN_* variables; they override the defaults below. */
  env?: Record<string, string>;
  driveCount?: number;
  /** Reuse drives of an earlier server (restart tests). */
  dir?: string;
}

function parentEnvWithoutCairn(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CAIRN_')) out[k] = v;
  return out;
}

async function drain(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const piece of stream) sink(decoder.decode(piece, { stream: true }));
}

export async function startServer(options: StartOptions = {}): Promise<StartedServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'cairn-e2e-')));
  const drives = Array.from({ length: options.driveCount ?? 4 }, (_, i) => join(dir, `drive${i + 1}`));
  const accessKey = 'e2e-root';
  const secretKey = 'e2e-root-secret-0123456789';
  const env: Record<string, string> = {
    ...parentEnvWithoutCairn(),
    CAIRN_ADDRESS: '127.0.0.1:0',
    CAIRN_DRIVES: drives.join(','),
    CAIRN_ROOT_USER: accessKey,
    CAIRN_ROOT_PASSWORD: secretKey,
    CAIRN_FSYNC: 'off',
    CAIRN_LOG_LEVEL: 'warn',
    CAIRN_KMS_BACKEND: 'none',
    ...options.env,
  };
  const child = Bun.spawn([process.execPath, join(repoRoot, 'src', 'main.ts'), 'server'], { cwd: dir, env, stdout: 'pipe', stderr: 'pipe' });
  let log = '';
  let endpointSeen: ((url: string) => void) | undefined;
  const endpoint = new Promise<string>((resolve) => { endpointSeen = resolve; });
  const onText = (text: string): void => {
    log += text;
    const m = /S3 endpoint: (\S+)/.exec(log);
    if (m?.[1] !== undefined) endpointSeen?.(m[1]);
  };
  void drain(child.stdout, onText);
  void drain(child.stderr, onText);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const url = await Promise.race([
    endpoint,
    child.exited.then((code) => { throw new Error(`cairn exited with ${code} before listening:\n${log}`); }),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`cairn did not start within ${startTimeoutMs} ms:\n${log}`)), startTimeoutMs); }),
  ]).finally(() => clearTimeout(timer));
  return {
    endpoint: url,
    accessKey,
    secretKey,
    region: env.CAIRN_REGION ?? 'us-east-1',
    drives,
    dir,
    pid: child.pid,
    output: () => log,
    async stop(stopOptions = {}) {
      if (child.exitCode === null) child.kill('SIGTERM');
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const code = await Promise.race([
        child.exited,
        new Promise<number | null>((resolve) => {
          killTimer = setTimeout(() => { child.kill('SIGKILL'); resolve(null); }, stopTimeoutMs);
        }),
      ]).finally(() => clearTimeout(killTimer));
      if (stopOptions.keepDir !== true) await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}
