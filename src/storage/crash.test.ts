import { afterAll, expect, test } from 'bun:test';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '../util/random.ts';
import { crashBody, crashKeys } from './crash-model.ts';
import { b, k, openTestStore, readAll, sha, tempDrives, type TempDrives } from './test-helpers.ts';

const temps: TempDrives[] = [];
afterAll(async () => { await Promise.all(temps.map((t) => t.cleanup())); });

type State = { kind: 'absent' } | { kind: 'version'; version: number };

/** Runs the child until it is killed; returns the stdout lines it managed to write. */
async function runAndKill(paths: string[], seed: number, startVersion: number, killAfterMs: number): Promise<string[]> {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, 'crash-child.ts'), JSON.stringify(paths), String(seed), String(startVersion)], { stdout: 'pipe', stderr: 'inherit' });
  const reader = child.stdout.getReader();
  let text = '';
  // Wait for "ready" so the kill lands during operations, not during start-up.
  while (!text.includes('ready\n')) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await Bun.sleep(killAfterMs);
  child.kill('SIGKILL');
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await child.exited;
  return text.split('\n').filter((l) => l.length > 0);
}

test('SIGKILL during puts, completes and deletes leaves the old or the new object, never a mix', async () => {
  const t = await tempDrives(4);
  temps.push(t);
  const done = new Map<string, State>(crashKeys.map((key) => [key, { kind: 'absent' }]));
  const rnd = seededRandom(99);
  let version = 1;
  let sawInFlight = 0;
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    const lines = await runAndKill(t.paths, 1000 + round, version, 150 + (rnd.bytes(1)[0]! % 400));
    let inFlight: { key: string; state: State } | null = null;
    for (const line of lines) {
      const [phase, op, key, v] = line.split(' ') as [string, string, string, string];
      if (phase !== 'begin' && phase !== 'done') continue;
      const state: State = op === 'delete' ? { kind: 'absent' } : { kind: 'version', version: Number(v) };
      version = Math.max(version, Number(v) + 1);
      if (phase === 'begin') inFlight = { key, state };
      else {
        done.set(key, state);
        inFlight = null;
      }
    }
    if (inFlight !== null) sawInFlight++;
    const store = await openTestStore(t.paths);
    for (const d of t.paths) expect(await readdir(join(d, '.cairn.sys', 'tmp'))).toEqual([]);
    const listed = new Set((await store.list(b('bkt'), { prefix: '', delimiter: '', marker: '', maxKeys: 1000 })).objects.map((o): string => o.key));
    for (const key of crashKeys) {
      const allowed: State[] = [done.get(key)!];
      if (inFlight?.key === key) allowed.push(inFlight.state);
      let seen: State;
      try {
        const got = await store.get(b('bkt'), k(key));
        const v = Number(got.info.userMeta.version);
        const bytes = await readAll(got.stream);
        const want = [crashBody(key, v), crashBody(key, v, true)].map(sha);
        expect(want).toContain(sha(bytes));
        seen = { kind: 'version', version: v };
      } catch (err) {
        expect((err as { code?: string }).code).toBe('NoSuchKey');
        seen = { kind: 'absent' };
      }
      const ok = allowed.some((a) => a.kind === seen.kind && (a.kind === 'absent' || (seen.kind === 'version' && a.version === seen.version)));
      expect({ key, round, seen, ok }).toEqual({ key, round, seen, ok: true });
      expect(listed.has(key)).toBe(seen.kind === 'version');
      done.set(key, seen);
    }
    await store.close();
  }
  // The kills must actually have landed mid-operation for this test to mean anything.
  // (Kills that land between operations or while multipart parts upload do not count; on a loaded machine that is common.)
  expect(sawInFlight).toBeGreaterThanOrEqual(3);
}, 120_000);
