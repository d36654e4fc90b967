// Static credentials: the root user plus optional extra users from a file, and the
// first-start generation of root credentials when none are configured.
//
// Credentials file (CAIRN_CREDENTIALS_FILE): a JSON array of users, e.g.
//   [{ "accessKey": "reader", "secretKey": "a-long-secret-value" }]
// Access keys are 3-128 printable ASCII characters without spaces; secret keys 8-256.
// Extra users are never root. Keep the file owner-only (chmod 600).
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Random } from '../util/random.ts';

export interface CredentialEntry {
  readonly secretKey: string;
  readonly isRoot: boolean;
}

export interface CredentialStore {
  lookup(accessKey: string): CredentialEntry | undefined;
}

export interface StaticUser {
  readonly accessKey: string;
  readonly secretKey: string;
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

const accessKeyPattern = /^[\x21-\x7e]{3,128}$/;
const secretKeyPattern = /^[\x21-\x7e]{8,256}$/;
export const extraUserCountMax = 1000;

function checkUser(user: StaticUser, where: string): void {
  // Messages name the access key at most, never the secret.
  if (!accessKeyPattern.test(user.accessKey)) throw new CredentialsError(`${where}: accessKey must be 3 to 128 printable ASCII characters without spaces`);
  if (!secretKeyPattern.test(user.secretKey)) throw new CredentialsError(`${where}: secretKey for "${user.accessKey}" must be 8 to 256 printable ASCII characters without spaces`);
}

/** Builds the lookup table; throws CredentialsError on invalid or duplicate users. */
export function createCredentialStore(root: StaticUser, extra: readonly StaticUser[] = []): CredentialStore {
  checkUser(root, 'root credentials');
  const table = new Map<string, CredentialEntry>([[root.accessKey, { secretKey: root.secretKey, isRoot: true }]]);
  extra.forEach((user, index) => {
    checkUser(user, `user #${index + 1}`);
    if (table.has(user.accessKey)) throw new CredentialsError(`user #${index + 1}: access key "${user.accessKey}" is already in use`);
    table.set(user.accessKey, { secretKey: user.secretKey, isRoot: false });
  });
  return { lookup: (accessKey) => table.get(accessKey) };
}

/** Parses the credentials file format above; `source` names the file in errors. */
export function parseCredentialsFile(text: string, source: string): StaticUser[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialsError(`${source}: not valid JSON (expected [{"accessKey": "...", "secretKey": "..."}])`);
  }
  if (!Array.isArray(parsed)) throw new CredentialsError(`${source}: expected a JSON array of {"accessKey", "secretKey"} objects`);
  if (parsed.length > extraUserCountMax) throw new CredentialsError(`${source}: at most ${extraUserCountMax} users`);
  return parsed.map((item: unknown, index) => {
    const where = `${source}: user #${index + 1}`;
    if (typeof item !== 'object' || item === null) throw new CredentialsError(`${where}: expected an object`);
    const accessKey: unknown = Reflect.get(item, 'accessKey');
    const secretKey: unknown = Reflect.get(item, 'secretKey');
    if (typeof accessKey !== 'string' || typeof secretKey !== 'string') throw new CredentialsError(`${where}: accessKey and secretKey must be strings`);
    const user = { accessKey, secretKey };
    checkUser(user, where);
    return user;
  });
}

export async function loadCredentialsFile(path: string): Promise<StaticUser[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CredentialsError(`${path}: cannot read the credentials file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCredentialsFile(text, path);
}

export interface RootCredentials extends StaticUser {
  /** True only on the start that created them: print them once, then never again. */
  readonly generated: boolean;
}

export const rootCredentialsFileName = 'root-credentials.json';
const accessKeyAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const secretKeyAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniform random string over `alphabet` (rejection sampling, no modulo bias). */
export function randomString(random: Random, alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of random.bytes(length * 2)) {
      if (byte >= limit) continue;
      out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface EnsureRootOptions {
  user: string | undefined;
  password: string | undefined;
  /** Directory that keeps generated credentials (created owner-only if missing). */
  dir: string;
  random: Random;
}

/**
 * Root credentials: the configured ones, else those generated on an earlier start,
 * else fresh ones written to `dir` with mode 0600 (crash-safe: temp, fsync, rename).
 */
export async function ensureRootCredentials(options: EnsureRootOptions): Promise<RootCredentials> {
  if (options.user !== undefined && options.password !== undefined) {
    const root = { accessKey: options.user, secretKey: options.password };
    checkUser(root, 'CAIRN_ROOT_USER/CAIRN_ROOT_PASSWORD');
    return { ...root, generated: false };
  }
  const path = join(options.dir, rootCredentialsFileName);
  const existing = await readRootFile(path);
  if (existing !== undefined) return { ...existing, generated: false };
  const root = {
    accessKey: `CAIRN${randomString(options.random, accessKeyAlphabet, 15)}`,
    secretKey: randomString(options.random, secretKeyAlphabet, 40),
  };
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  await writePrivateFile(path, `${JSON.stringify(root)}\n`);
  return { ...root, generated: true };
}

async function readRootFile(path: string): Promise<StaticUser | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CredentialsError(`${path}: cannot read the stored root credentials (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const [user] = parseCredentialsFile(`[${text}]`, path);
  if (user === undefined) throw new CredentialsError(`${path}: empty root credentials file`);
  return user;
}

async function writePrivateFile(path: string, text: string): Promise<void> {
  const tempPath = `${path}.tmp-${process.pid}`;
  try {
    const handle = await open(tempPath, 'w', 0o600);
    try {
      await handle.chmod(0o600); // the umask cannot widen it, but an existing file could be wider
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
    const dirHandle = await open(join(path, '..'), 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } finally {
    await rm(tempPath, { force: true });
  }
}
