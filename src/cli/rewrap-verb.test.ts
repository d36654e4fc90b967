import { afterEach, describe, expect, test } from 'bun:test';
import type { RewrapProgress } from '../kms/rewrap-job.ts';
import type { RewrapStatus } from '../admin/rewrap.ts';
import { fixedClock } from '../util/clock.ts';
import { rewrapVerb } from './rewrap-verb.ts';
import type { VerbIo } from './run.ts';

const env = { CAIRN_ROOT_USER: 'unit-root', CAIRN_ROOT_PASSWORD: 'unit-root-secret', CAIRN_KMS_BACKEND: 'none' };

function progress(over: Partial<RewrapProgress>): RewrapProgress {
  return { state: 'running', filter: { bucket: null, keyId: null }, scanned: 0, rewrapped: 0, skipped: 0, failed: 0, startedMs: 1, updatedMs: 1, cursor: null, lastError: null, ...over };
}

/** A fake admin API: POST rewrap answers `postStatus`, each GET the next status of the script. */
function fakeServer(postStatus: number, script: RewrapStatus[]) {
  const posts: unknown[] = [];
  let gets = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req) => {
      expect(req.headers.get('authorization')).toStartWith('AWS4-HMAC-SHA256 Credential=unit-root/');
      if (req.method === 'POST') {
        posts.push(await req.json());
        return Response.json(postStatus === 202 ? { started: true } : { code: 'RewrapRunning', message: 'running' }, { status: postStatus });
      }
      const status = script[Math.min(gets, script.length - 1)];
      gets++;
      return Response.json(status);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, posts, stop: () => server.stop(true) };
}

function capture(isTty: boolean) {
  let out = '';
  let err = '';
  const io: VerbIo = { out: (t) => { out += t; }, err: (t) => { err += t; }, isTty, clock: fixedClock(Date.now()), sleepMs: async () => {} };
  return { io, out: () => out, err: () => err };
}

const running = (scanned: number): RewrapStatus => ({ running: true, progress: progress({ scanned, rewrapped: scanned }), interrupted: false, totalObjects: 10 });
const finished = (over: Partial<RewrapProgress>): RewrapStatus => ({ running: false, progress: progress({ state: 'done', scanned: 10, rewrapped: 10, ...over }), interrupted: false, totalObjects: 10 });

let stopServer: (() => void) | undefined;
afterEach(() => stopServer?.());

describe('cairn rewrap', () => {
  test('on a terminal it redraws one progress bar line and ends with the summary', async () => {
    const fake = fakeServer(202, [running(0), running(5), finished({})]);
    stopServer = fake.stop;
    const c = capture(true);
    const code = await rewrapVerb(c.io).run(['--endpoint', fake.url, '--bucket', 'photos', '--key-id', 'k1'], env);
    expect(code).toBe(0);
    expect(fake.posts).toEqual([{ bucket: 'photos', keyId: 'k1', restart: false }]);
    expect(c.out()).toContain('\r\x1b[2K[###############---------------] 50.0% 5 scanned');
    expect(c.out()).toContain('\r\x1b[2K[##############################] 100.0% 10 scanned');
    expect(c.out()).toContain('rewrap done (all buckets): 10 scanned, 10 re-sealed, 0 skipped, 0 failed');
  });

  test('without a terminal it prints a line per change; failures exit 1', async () => {
    const fake = fakeServer(202, [running(5), running(5), finished({ state: 'failed', scanned: 5, rewrapped: 5, lastError: 'KMS unavailable' })]);
    stopServer = fake.stop;
    const c = capture(false);
    expect(await rewrapVerb(c.io).run(['--endpoint', fake.url, '--restart'], env)).toBe(1);
    expect(fake.posts).toEqual([{ bucket: null, keyId: null, restart: true }]);
    expect(c.out().split('\n').filter((l) => l.includes('5 scanned')).length).toBe(1); // unchanged progress is not repeated
    expect(c.out()).not.toContain('\r');
    expect(c.err()).toContain('rewrap stopped (all buckets) after 5 scanned');
    expect(c.err()).toContain('error: KMS unavailable');
  });

  test('a job already running is followed instead of failing', async () => {
    const fake = fakeServer(409, [running(3), finished({ failed: 2, rewrapped: 8, lastError: 'bad object' })]);
    stopServer = fake.stop;
    const c = capture(false);
    expect(await rewrapVerb(c.io).run(['--endpoint', fake.url], env)).toBe(1);
    expect(c.err()).toContain('already running');
    expect(c.err()).toContain('rewrap done with failures');
  });

  test('--status reports without starting a job', async () => {
    const fake = fakeServer(202, [{ running: false, progress: progress({ state: 'running', scanned: 4 }), interrupted: true, totalObjects: null }]);
    stopServer = fake.stop;
    const c = capture(false);
    expect(await rewrapVerb(c.io).run(['--endpoint', fake.url, '--status'], env)).toBe(1);
    expect(fake.posts).toEqual([]);
    expect(c.out()).toContain('rewrap was interrupted');
  });
});
