import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObservability } from './observability.ts';
import { loadConfig } from '../config/config.ts';
import { systemClock } from '../util/clock.ts';
import { silentLogger } from '../util/log.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('observability', () => {
  test('the KMS sink feeds metrics and audits key changes and outages, not routine data-key calls; secrets are redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-obs-'));
    dirs.push(dir);
    const masterKey = `mk:${Buffer.alloc(32, 3).toString('base64')}`;
    const config = loadConfig({ CAIRN_AUDIT_DIR: dir, CAIRN_KMS_SECRET_KEY: masterKey, CAIRN_ROOT_USER: 'admin', CAIRN_ROOT_PASSWORD: 'super-secret-pw' });
    const obs = await createObservability({ config, version: '0.1.0', clock: systemClock, logger: silentLogger });
    obs.kmsSink.record({ operation: 'generateDataKey', backend: 'local', durationMs: 0.2 });
    obs.kmsSink.record({ operation: 'rotateKey', backend: 'local', durationMs: 3 });
    obs.kmsSink.record({ operation: 'decrypt', backend: 'vault', durationMs: 5000, errorCode: 'Unavailable' });
    obs.kmsSink.record({ operation: 'decrypt', backend: 'vault', durationMs: 1, errorCode: 'DecryptFailed' });
    obs.audit.record({ kind: 'system', requestId: '', operation: 'startup', status: 200, detail: { note: `password super-secret-pw key ${masterKey}` } });
    await obs.close();
    expect(obs.metrics.kmsOps.get({ operation: 'decrypt', backend: 'vault' })).toBe(2);
    const text = readFileSync(join(dir, 'audit.log'), 'utf8');
    const ops = text.trim().split('\n').map((l) => (JSON.parse(l) as { operation: string }).operation);
    expect(ops).toEqual(['kms.rotateKey', 'kms.decrypt', 'startup']);
    expect(text).not.toContain('super-secret-pw');
    expect(text).not.toContain(Buffer.alloc(32, 3).toString('base64'));
  });
});
