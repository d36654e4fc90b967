// The local KMS master key: `name:base64(32 bytes)`, from the environment, a
// file, or (quickstart only) generated into a file with a loud warning.
// Nothing here ever prints or embeds key material in errors.
import { open, readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Random } from '../util/random.ts';
import { validateKeyId } from './key-id.ts';

export const masterKeyBytes = 32;
export const generatedMasterKeyFileName = 'kms-master.key';
export const generatedMasterKeyName = 'cairn-generated';

export interface MasterKey {
  readonly name: string;
  /** 32 bytes. Held for the process lifetime. */
  readonly key: Uint8Array;
}

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/** Parses `name:base64(32 bytes)`. `source` names where it came from, for the message only. */
export function parseMasterKey(text: string, source: string): MasterKey {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  if (colon <= 0) throw new MasterKeyError(`${source}: expected "name:base64(32 bytes)"`);
  const name = trimmed.slice(0, colon);
  try {
    validateKeyId(name);
  } catch {
    throw new MasterKeyError(`${source}: the key name must be 1-128 of [A-Za-z0-9._-]`);
  }
  const encoded = trimmed.slice(colon + 1);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new MasterKeyError(`${source}: the key is not valid base64`);
  const key = new Uint8Array(Buffer.from(encoded, 'base64'));
  if (key.length !== masterKeyBytes) {
    key.fill(0);
    throw new MasterKeyError(`${source}: the key must decode to exactly ${masterKeyBytes} bytes`);
  }
  return Object.freeze({ name, key });
}

export async function loadMasterKeyFile(path: string): Promise<MasterKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MasterKeyError(`cannot read the KMS master key file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseMasterKey(text, path);
}

export function formatMasterKey(masterKey: MasterKey): string {
  return `${masterKey.name}:${Buffer.from(masterKey.key).toString('base64')}`;
}

export interface GeneratedMasterKey {
  masterKey: MasterKey;
  path: string;
  /** True when this call created the file; false when an earlier one was reused. */
  created: boolean;
  /** Multi-line text for the operator. Contains the path, never the key. */
  warning: string;
}

export function generatedKeyWarning(path: string, created: boolean): string {
  const verb = created ? 'GENERATED a new' : 'is using a previously generated';
  return [
    '*************************************************************************',
    `WARNING: no KMS master key was configured, so Cairn ${verb} one at:`,
    `    ${path}`,
    'Every SSE-S3 and SSE-KMS object is sealed by keys that this master key',
    'protects. If this file is lost or changed, EVERY ENCRYPTED OBJECT IS LOST',
    'for good. It is kept outside the drives, but on this host: whoever has',
    'this host\'s disks has both the key and the data.',
    'Back it up somewhere safe and set CAIRN_KMS_SECRET_KEY_FILE (or',
    'CAIRN_KMS_SECRET_KEY) explicitly, or use the Vault backend in production.',
    '*************************************************************************',
  ].join('\n');
}

/**
 * Quickstart default: reuse `dir/kms-master.key` if it exists, else create it
 * with mode 0600 (exclusive create, fsynced). Restarts must find the same key.
 */
export async function loadOrGenerateMasterKey(dir: string, random: Random): Promise<GeneratedMasterKey> {
  const path = join(dir, generatedMasterKeyFileName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const masterKey: MasterKey = { name: generatedMasterKeyName, key: random.bytes(masterKeyBytes) };
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${formatMasterKey(masterKey)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsyncDir(dir);
  } catch (error) {
    masterKey.key.fill(0);
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new MasterKeyError(`cannot create the KMS master key file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const existing = await loadMasterKeyFile(path);
    return { masterKey: existing, path, created: false, warning: generatedKeyWarning(path, false) };
  }
  return { masterKey: Object.freeze(masterKey), path, created: true, warning: generatedKeyWarning(path, true) };
}

/** Makes the new file's directory entry durable; some filesystems refuse, which is not fatal. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle.close();
  }
}
