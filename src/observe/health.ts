// Liveness and readiness probes. Ready means: a write quorum of drives is online,
// the KMS answers (when one is configured), and the server is not shutting down.
// Bodies are JSON per component; drive paths are left out since probes are unauthenticated.
import type { KmsHealth } from '../kms/types.ts';
import type { StorageInfo } from '../storage/types.ts';

export const healthPaths = {
  live: ['/cairn/health/live', '/minio/health/live'],
  ready: ['/cairn/health/ready', '/minio/health/ready'],
} as const;

export interface HealthDeps {
  storageInfo: () => Promise<StorageInfo>;
  /** Absent when no KMS is configured. */
  kmsHealth?: (() => Promise<KmsHealth>) | undefined;
  isShuttingDown: () => boolean;
  /** A hung dependency must not hang the probe. */
  checkTimeoutMs?: number;
}

type Status = 'ok' | 'fail';

export interface ReadyReport {
  status: 'ready' | 'not-ready';
  components: {
    server: { status: Status; shuttingDown: boolean };
    drives: { status: Status; online: number; total: number; writeQuorum: number; readQuorum: number; drives: { index: number; state: string }[]; error?: string };
    kms: { status: Status | 'disabled'; backend?: string; latencyMs?: number; error?: string };
  };
}

const checkTimeoutMsDefault = 2000;

function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 200);

async function drivesComponent(deps: HealthDeps, timeoutMs: number): Promise<ReadyReport['components']['drives']> {
  try {
    const info = await withTimeout(deps.storageInfo(), timeoutMs, 'storage');
    // A healing drive takes writes, so it counts toward the write quorum.
    const online = info.drives.filter((d) => d.state !== 'offline').length;
    return {
      status: online >= info.writeQuorum ? 'ok' : 'fail',
      online,
      total: info.drives.length,
      writeQuorum: info.writeQuorum,
      readQuorum: info.readQuorum,
      drives: info.drives.map((d) => ({ index: d.index, state: d.state })),
    };
  } catch (e) {
    return { status: 'fail', online: 0, total: 0, writeQuorum: 0, readQuorum: 0, drives: [], error: message(e) };
  }
}

async function kmsComponent(deps: HealthDeps, timeoutMs: number): Promise<ReadyReport['components']['kms']> {
  if (deps.kmsHealth === undefined) return { status: 'disabled' };
  try {
    const h = await withTimeout(deps.kmsHealth(), timeoutMs, 'kms');
    const out: ReadyReport['components']['kms'] = { status: h.online ? 'ok' : 'fail', backend: h.backend };
    if (h.latencyMs !== undefined) out.latencyMs = h.latencyMs;
    if (!h.online && h.detail !== undefined) out.error = h.detail.slice(0, 200);
    return out;
  } catch (e) {
    return { status: 'fail', error: message(e) };
  }
}

export async function readiness(deps: HealthDeps): Promise<ReadyReport> {
  const timeoutMs = deps.checkTimeoutMs ?? checkTimeoutMsDefault;
  const shuttingDown = deps.isShuttingDown();
  const [drives, kms] = await Promise.all([drivesComponent(deps, timeoutMs), kmsComponent(deps, timeoutMs)]);
  const server = { status: shuttingDown ? 'fail' : 'ok', shuttingDown } as const;
  const ready = server.status === 'ok' && drives.status === 'ok' && kms.status !== 'fail';
  return { status: ready ? 'ready' : 'not-ready', components: { server, drives, kms } };
}

function json(status: number, body: unknown, head: boolean): Response {
  return new Response(head ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

/** Answers the health routes; undefined for any other path, so the caller can route on. */
export async function handleHealth(req: Request, deps: HealthDeps): Promise<Response | undefined> {
  const path = new URL(req.url).pathname;
  const isLive = (healthPaths.live as readonly string[]).includes(path);
  const isReady = (healthPaths.ready as readonly string[]).includes(path);
  if (!isLive && !isReady) return undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { status: 'method-not-allowed' }, false);
  const head = req.method === 'HEAD';
  if (isLive) return json(200, { status: 'live' }, head);
  const report = await readiness(deps);
  return json(report.status === 'ready' ? 200 : 503, report, head);
}
