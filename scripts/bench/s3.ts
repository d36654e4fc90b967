// S3 throughput: Cairn (4 drives, 2+2, fsync off) against a minimal Bun.serve file
// server (the transport baseline), both as child processes, measured in one run by the
// same SigV4 client (UNSIGNED-PAYLOAD). PUT and GET of 1 MiB and 64 MiB objects at
// concurrency 1 and 8. Prints MB/s, ops/s, p50/p99 latency and the ratio Cairn/baseline;
// the last line is one JSON object.
//   bun scripts/bench/s3.ts [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '../../src/s3/sigv4/index.ts';
import { systemClock } from '../../src/util/clock.ts';

const MiB = 1024 * 1024;
const quick = process.argv.includes('--quick');
const root = join(import.meta.dir, '..', '..');
const creds = { accessKey: 'bench-root', secretKey: 'bench-root-secret-012345' };

interface Case {
  sizeBytes: number;
  concurrency: number;
  /** Operations per direction (bounded loop). */
  ops: number;
}

const cases: Case[] = [
  { sizeBytes: 64 * MiB, concurrency: 1, ops: quick ? 3 : 8 },
  { sizeBytes: 64 * MiB, concurrency: 8, ops: quick ? 8 : 16 },
  { sizeBytes: MiB, concurrency: 1, ops: quick ? 30 : 120 },
  { sizeBytes: MiB, concurrency: 8, ops: quick ? 80 : 320 },
];

/** Objects per case; GETs read back what the PUTs of the same case wrote. */
const keysMax = 32;

interface Result {
  mbPerSec: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function spawnUntil(cmd: string[], env: Record<string, string>, pattern: RegExp): Promise<{ url: string; proc: ReturnType<typeof Bun.spawn> }> {
  const proc = Bun.spawn(cmd, { env, stdout: 'pipe', stderr: 'inherit' });
  const decoder = new TextDecoder();
  let text = '';
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const next = await reader.read();
    if (next.done) throw new Error(`${cmd.join(' ')} exited early:\n${text}`);
    text += decoder.decode(next.value);
    const m = pattern.exec(text);
    if (m?.[1] !== undefined) {
      void (async () => { for (;;) if ((await reader.read()).done) break; })();
      return { url: m[1], proc };
    }
  }
}

async function request(method: 'PUT' | 'GET', url: string, body?: Uint8Array): Promise<number> {
  const signed = signRequest({ method, url, payloadHash: 'UNSIGNED-PAYLOAD', headers: body === undefined ? {} : { 'content-length': String(body.length) } }, creds, systemClock);
  const res = await fetch(signed.url, { method, headers: signed.headers, ...(body === undefined ? {} : { body }) });
  if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  let n = 0;
  if (res.body !== null) for await (const piece of res.body) n += piece.length;
  return n;
}

async function runCase(base: string, c: Case, method: 'PUT' | 'GET', body: Uint8Array, tag: string): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < c.ops; i = next++) {
      const key = `${base}/obj-${tag}-${c.sizeBytes}-${i % keysMax}`;
      const s = performance.now();
      const n = await request(method, key, method === 'PUT' ? body : undefined);
      if (method === 'GET' && n !== c.sizeBytes) throw new Error(`short GET: ${n}`);
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: c.concurrency }, () => worker()));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { mbPerSec: (c.ops * c.sizeBytes) / MiB / seconds, opsPerSec: c.ops / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

function fmt(r: Result): string {
  return `${r.mbPerSec.toFixed(0).padStart(6)} MB/s ${r.opsPerSec.toFixed(1).padStart(7)} ops/s  p50 ${r.p50Ms.toFixed(1).padStart(7)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms`;
}

const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-s3-'));
const bun = process.execPath;
const cairn = await spawnUntil([bun, join(root, 'src', 'main.ts'), 'server'], {
  ...process.env as Record<string, string>,
  CAIRN_ADDRESS: '127.0.0.1:0',
  CAIRN_DRIVES: [1, 2, 3, 4].map((i) => join(dir, `drive${i}`)).join(','),
  CAIRN_ROOT_USER: creds.accessKey,
  CAIRN_ROOT_PASSWORD: creds.secretKey,
  CAIRN_FSYNC: 'off',
  CAIRN_LOG_LEVEL: 'warn',
  CAIRN_KMS_BACKEND: 'none',
}, /S3 endpoint: (\S+)/);
const baseline = await spawnUntil([bun, join(import.meta.dir, 's3-baseline-server.ts'), join(dir, 'baseline')], process.env as Record<string, string>, /listening (\S+)/);
await Bun.write(join(dir, 'baseline', '.keep'), '');

type Row = { size: string; concurrency: number; op: 'PUT' | 'GET'; cairn: Result; baseline: Result; ratio: number; opsRatio: number };
const rows: Row[] = [];
try {
  await request('PUT', `${cairn.url}/bench`);
  for (const c of cases) {
    const body = new Uint8Array(c.sizeBytes);
    crypto.getRandomValues(body.subarray(0, 65536));
    for (let off = 65536; off < body.length; off += 65536) body.set(body.subarray(0, Math.min(65536, body.length - off)), off);
    for (const op of ['PUT', 'GET'] as const) {
      // Warm-up, then baseline and Cairn alternate so machine noise hits both.
      await runCase(`${baseline.url}`, { ...c, ops: c.concurrency }, op, body, 'warm');
      await runCase(`${cairn.url}/bench`, { ...c, ops: c.concurrency }, op, body, 'warm');
      const b = await runCase(`${baseline.url}`, c, op, body, 'b');
      const a = await runCase(`${cairn.url}/bench`, c, op, body, 'a');
      const size = c.sizeBytes === MiB ? '1MiB' : '64MiB';
      rows.push({ size, concurrency: c.concurrency, op, cairn: a, baseline: b, ratio: a.mbPerSec / b.mbPerSec, opsRatio: a.opsPerSec / b.opsPerSec });
      console.log(`${op} ${size.padStart(5)} c${c.concurrency}  cairn ${fmt(a)}`);
      console.log(`${' '.repeat(op.length + 10)} base  ${fmt(b)}   ratio ${(a.mbPerSec / b.mbPerSec).toFixed(2)}`);
    }
  }
} finally {
  cairn.proc.kill('SIGTERM');
  baseline.proc.kill('SIGTERM');
  await Promise.all([cairn.proc.exited, baseline.proc.exited]);
  await rm(dir, { recursive: true, force: true });
}

const pick = (size: string, op: string, concurrency: number): Row | undefined => rows.find((r) => r.size === size && r.op === op && r.concurrency === concurrency);
const targets = {
  get64MiBRatioMin: 0.7,
  put64MiBRatioMin: 0.45,
  get1MiBOpsRatioMin: 0.5,
};
const summary = {
  get64MiBRatio: Math.max(pick('64MiB', 'GET', 1)?.ratio ?? 0, pick('64MiB', 'GET', 8)?.ratio ?? 0),
  put64MiBRatio: Math.max(pick('64MiB', 'PUT', 1)?.ratio ?? 0, pick('64MiB', 'PUT', 8)?.ratio ?? 0),
  get1MiBOpsRatio: Math.max(pick('1MiB', 'GET', 1)?.opsRatio ?? 0, pick('1MiB', 'GET', 8)?.opsRatio ?? 0),
};
console.log(`targets: 64MiB GET ${summary.get64MiBRatio.toFixed(2)} (>= ${targets.get64MiBRatioMin}), 64MiB PUT ${summary.put64MiBRatio.toFixed(2)} (>= ${targets.put64MiBRatioMin}), 1MiB GET ops ${summary.get1MiBOpsRatio.toFixed(2)} (>= ${targets.get1MiBOpsRatioMin})`);
const round = (r: Result): Result => ({ mbPerSec: +r.mbPerSec.toFixed(1), opsPerSec: +r.opsPerSec.toFixed(2), p50Ms: +r.p50Ms.toFixed(2), p99Ms: +r.p99Ms.toFixed(2) });
console.log(JSON.stringify({
  bench: 's3',
  quick,
  rows: rows.map((r) => ({ ...r, cairn: round(r.cairn), baseline: round(r.baseline), ratio: +r.ratio.toFixed(3), opsRatio: +r.opsRatio.toFixed(3) })),
  summary: Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, +v.toFixed(3)])),
  targets,
}));
