import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../util/random.ts';
import { formatMasterKey, loadMasterKeyFile, loadOrGenerateMasterKey, MasterKeyError, parseMasterKey } from './master-key.ts';

const dir = mkdtempSync(join(tmpdir(), 'cairn-mk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const secret = Buffer.alloc(32, 7).toString('base64');

describe('master key', () => {
  test('parses name:base64(32 bytes)', () => {
    const key = parseMasterKey(`my-key:${secret}\n`, 'CAIRN_KMS_SECRET_KEY');
    expect(key.name).toBe('my-key');
    expect(key.key.length).toBe(32);
    expect(formatMasterKey(key)).toBe(`my-key:${secret}`);
  });

  test('rejects bad input without echoing the secret', () => {
    const short = Buffer.alloc(16, 9).toString('base64');
    for (const bad of [secret, `:${secret}`, `k:${short}`, 'k:not base64!', `bad/name:${secret}`]) {
      try {
        parseMasterKey(bad, 'CAIRN_KMS_SECRET_KEY');
        throw new Error('expected failure');
      } catch (error) {
        expect(error).toBeInstanceOf(MasterKeyError);
        const message = (error as Error).message;
        expect(message).toContain('CAIRN_KMS_SECRET_KEY');
        expect(message).not.toContain(secret);
        expect(message).not.toContain(short);
      }
    }
  });

  test('generates a 0600 file once, reuses it, and warns without key material', async () => {
    const first = await loadOrGenerateMasterKey(join(dir, 'sys'), seededRandom(1));
    expect(first.created).toBe(true);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(first.warning).toContain(first.path);
    expect(first.warning).toContain('EVERY ENCRYPTED OBJECT IS LOST');
    const encoded = Buffer.from(first.masterKey.key).toString('base64');
    expect(first.warning).not.toContain(encoded);
    expect(readFileSync(first.path, 'utf8').trim()).toBe(formatMasterKey(first.masterKey));

    const second = await loadOrGenerateMasterKey(join(dir, 'sys'), seededRandom(2));
    expect(second.created).toBe(false);
    expect(Buffer.from(second.masterKey.key).equals(Buffer.from(first.masterKey.key))).toBe(true);
    expect((await loadMasterKeyFile(first.path)).name).toBe(first.masterKey.name);
  });

  test('missing file is a clear error', async () => {
    await expect(loadMasterKeyFile(join(dir, 'nope'))).rejects.toThrow(/cannot read the KMS master key file/);
  });
});
