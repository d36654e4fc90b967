// Runs the cairn command line as a child process (`bun src/main.ts ...`) against a
// started server, with the environment an operator would have on that host.
import { join } from 'node:path';
import type { StartedServer } from './server.ts';

const repoRoot = join(import.meta.dir, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function baseEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CAIRN_')) out[k] = v;
  return out;
}

/** The server's own settings (address with its real port, drives, root user) plus `extra`. */
export function cliEnv(server: Pick<StartedServer, 'endpoint' | 'accessKey' | 'secretKey' | 'drives'>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CAIRN_ADDRESS: new URL(server.endpoint).host,
    CAIRN_DRIVES: server.drives.join(','),
    CAIRN_ROOT_USER: server.accessKey,
    CAIRN_ROOT_PASSWORD: server.secretKey,
    CAIRN_KMS_BACKEND: 'none',
    ...extra,
  };
}

export async function runCli(args: readonly string[], env: Record<string, string>, cwd?: string): Promise<CliResult> {
  const child = Bun.spawn([process.execPath, join(repoRoot, 'src', 'main.ts'), ...args], {
    env: { ...baseEnv(), ...env },
    stdout: 'pipe',
    stderr: 'pipe',
    ...(cwd === undefined ? {} : { cwd }),
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}
