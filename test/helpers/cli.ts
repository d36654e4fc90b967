// Runs the cairn command line as a child process (`bun src/main.ts ...`) against a
// started server, with the environment an operator would have on that host.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { StartedServer } from './server.ts';
import { walkFiles } from './sse.ts';

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

/** Versions of the local KMS data keys stored in the object metadata on one drive ("C" 01 | idLen | id | u32be version). */
export async function localDataKeyVersions(drive: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const path of walkFiles(drive)) {
    if (basename(path) !== 'meta') continue;
    const text = (await readFile(path)).toString('latin1');
    const m = /"sse-kms-data-key":"([A-Za-z0-9+/=]+)"/.exec(text);
    if (m?.[1] === undefined) continue;
    const bytes = Buffer.from(m[1], 'base64');
    const idLen = bytes[2]!;
    out.set(path, bytes.readUInt32BE(3 + idLen));
  }
  return out;
}
