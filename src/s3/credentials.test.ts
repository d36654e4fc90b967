import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom, seededRandom } from '../util/random.ts';
import {
  CredentialsError, createCredentialStore, ensureRootCredentials, loadCredentialsFile, parseCredentialsFile,
  randomString, rootCredentialsFileName,
} from './credentials.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-creds-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('CredentialStore', () => {
  test('root and extra users', () => {
    const store = createCredentialStore({ accessKey: 'admin', secretKey: 'admin-secret' }, [{ accessKey: 'reader', secretKey: 'reader-secret' }]);
    expect(store.lookup('admin')).toEqual({ secretKey: 'admin-secret', isRoot: true });
    expect(store.lookup('reader')).toEqual({ secretKey: 'reader-secret', isRoot: false });
    expect(store.lookup('nobody')).toBeUndefined();
  });

  test('duplicates and invalid values are refused without echoing secrets', () => {
    expect(() => createCredentialStore({ accessKey: 'admin', secretKey: 'admin-secret' }, [{ accessKey: 'admin', secretKey: 'other-secret' }])).toThrow(CredentialsError);
    expect(() => createCredentialStore({ accessKey: 'a b', secretKey: 'admin-secret' })).toThrow(/accessKey/);
    try {
      createCredentialStore({ accessKey: 'admin', secretKey: 'short' });
      expect.unreachable();
    } catch (e) {
      expect(String(e)).not.toContain('short');
    }
  });
});

describe('credentials file', () => {
  test('parses the JSON array format', () => {
    expect(parseCredentialsFile('[{"accessKey":"user1","secretKey":"secret-one"},{"accessKey":"user2","secretKey":"secret-two"}]', 'f'))
      .toEqual([{ accessKey: 'user1', secretKey: 'secret-one' }, { accessKey: 'user2', secretKey: 'secret-two' }]);
  });

  test('rejects malformed content, naming the entry', () => {
    expect(() => parseCredentialsFile('not json', 'f')).toThrow(/f: not valid JSON/);
    expect(() => parseCredentialsFile('{"accessKey":"x"}', 'f')).toThrow(/array/);
    expect(() => parseCredentialsFile('[{"accessKey":"ok1","secretKey":"secret-ok"}, 3]', 'f')).toThrow(/user #2/);
    expect(() => parseCredentialsFile('[{"accessKey":"ok1","secretKey":7}]', 'f')).toThrow(/strings/);
  });

  test('loads from disk; a missing file is a clear error', async () => {
    const dir = await tempDir();
    const path = join(dir, 'users.json');
    await writeFile(path, '[{"accessKey":"reader","secretKey":"reader-secret"}]', { mode: 0o600 });
    expect(await loadCredentialsFile(path)).toEqual([{ accessKey: 'reader', secretKey: 'reader-secret' }]);
    await expect(loadCredentialsFile(join(dir, 'missing.json'))).rejects.toThrow(/ENOENT/);
  });
});

describe('ensureRootCredentials', () => {
  test('configured credentials win and nothing is written', async () => {
    const dir = await tempDir();
    const root = await ensureRootCredentials({ user: 'admin', password: 'password123', dir, random: cryptoRandom });
    expect(root).toEqual({ accessKey: 'admin', secretKey: 'password123', generated: false });
    await expect(stat(join(dir, rootCredentialsFileName))).rejects.toThrow();
  });

  test('generated once with mode 0600, then reused', async () => {
    const dir = join(await tempDir(), 'nested', 'sys');
    const first = await ensureRootCredentials({ user: undefined, password: undefined, dir, random: cryptoRandom });
    expect(first.generated).toBe(true);
    expect(first.accessKey).toMatch(/^CAIRN[A-Z0-9]{15}$/);
    expect(first.secretKey).toMatch(/^[A-Za-z0-9]{40}$/);
    const info = await stat(join(dir, rootCredentialsFileName));
    expect(info.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, rootCredentialsFileName), 'utf8'))).toEqual({ accessKey: first.accessKey, secretKey: first.secretKey });
    const second = await ensureRootCredentials({ user: undefined, password: undefined, dir, random: cryptoRandom });
    expect(second).toEqual({ ...first, generated: false });
  });

  test('a corrupt stored file is an error, not a silent regeneration', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, rootCredentialsFileName), '{garbage', { mode: 0o600 });
    await expect(ensureRootCredentials({ user: undefined, password: undefined, dir, random: cryptoRandom })).rejects.toThrow(CredentialsError);
  });

  test('randomString is uniform over its alphabet and deterministic with a seeded source', () => {
    const a = randomString(seededRandom(1), 'AB', 2000);
    expect(a).toMatch(/^[AB]{2000}$/);
    const countA = [...a].filter((c) => c === 'A').length;
    expect(countA).toBeGreaterThan(850);
    expect(countA).toBeLessThan(1150);
    expect(randomString(seededRandom(9), 'XYZ', 10)).toBe(randomString(seededRandom(9), 'XYZ', 10));
  });
});
