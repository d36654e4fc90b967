// S3 throughput: Cairn (4 drives, 2+2, fsync off) against a minimal Bun.serve file
// server (the transport baseline), both as child processes, measured in one run by the
// same SigV4 client (UNSIGNED-PAYLOAD). PUT and GET of 1 MiB and 64 MiB objects at
// concurrency 1 and 8, three rounds each (baseline and Cairn back to back per round).
// Prints median MB/s, ops/s, p50/p99 latency and the median ratio Cairn/baseline; the
// last line is one JSON object. The machine is shared, so single rounds vary a lot.
// Server CPU (all threads, from /proc) per MiB is printed beside wall-clock figures: on a
// shared machine it is the steadier measure of cost.
// Findings (2 cores, shared): a GET body written ahead of the client is copied once more
// into the HTTP layer's buffer; waiting for the socket to drain past the first MiB took
// 64 MiB GETs from ~1.2 to ~0.9 ms/MiB of server CPU. PUT is CPU-bound on the machine:
// MD5 alone is 1.7 ms/MiB here (one core, on a worker), parity doubles the bytes written,
// and the client shares the two cores; reserving shard files' space up front (fallocate)
// took 5% off PUT CPU. Later rounds of a PUT case overwrite the objects of the first: on
// this machine's disk (ext4 mounted with `discard`) freeing the old shard files waited
// 15-50 ms per file for trims, and a metadata rename over the old file waited on
// writeback, both on the I/O threads every request shares: 64 MiB PUTs at c8 left a third
// of the CPU idle. Removed data now goes to a trash directory that a worker thread empties,
// and metadata is swapped in with renameat2(RENAME_EXCHANGE): interleaved A/B, 64 MiB PUT
// at c8 101 -> 239 MB/s and 10% less CPU; at c1 +4%. Hashing every body's MD5 on the
// worker (not just two) added 10-50% at c8. A 1 MiB GET made six trips to Bun's two I/O
// threads (four metadata copies, two shard spans): reading what is already in memory on
// the event loop instead (openat2 RESOLVE_CACHED + preadv2 RWF_NOWAIT, never waiting on
// the disk) took its server CPU from 2.1 to 1.6 ms (interleaved A/B, c1) and the c1 ratio
// from ~0.46 to ~0.6. PUT runs each start with the page cache written back (sync): the
// disk here sustains ~260 MB/s, and without it the run after another server's paid for
// that server's writeback (64 MiB c8: Cairn 158 -> 247 MB/s, baseline 607 -> 847, ratio
// about the same). Cairn writes every byte twice (2+2), so past the page cache, writes
// are bounded by the disk at half the baseline's rate. Large GETs read their shard spans
// through the kept descriptors on the event loop when cached (preadv2 RWF_NOWAIT): 64 MiB
// GET at c8 ~5% less server CPU. Where 64 MiB PUT CPU goes (c8, per MiB): MD5 1.7-1.9
// (worker), receiving the body 0.5 (a bare node:http or Bun.serve server that discards
// it costs the same), page-cache writes of 2 MiB 0.7 (I/O threads), erasure coding 0.26,
// deleting overwritten data 0.2-0.3 (reaper): ~3.5 ms of the measured 4.2-5.4 is work
// every such PUT must do, against the baseline's ~0.9 for everything; the two cores are
// then saturated (idle < 5%) with the client on them too. Tried and dropped: reading the
// next batch of blocks ahead on GET (no change at c1 or c8); multi-buffer MD5 in wasm SIMD
// (four bodies in the lanes of i32x4: 1.9-2.1 ms/MiB for all four together under JSC,
// against BoringSSL's 1.65 for one, and 3.0 for scalar wasm); a longer mimalloc purge
// delay (MIMALLOC_PURGE_DELAY=1000: no change in PUT CPU).
//   bun scripts/bench/s3.ts [--quick] [--only=PUT64,GET1,...]
import { readFileSync } from 'node:fs';
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

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const cases: Case[] = [
  { sizeBytes: 64 * MiB, concurrency: 1, ops: quick ? 3 : 6 },
  { sizeBytes: 64 * MiB, concurrency: 8, ops: quick ? 8 : 16 },
  { sizeBytes: MiB, concurrency: 1, ops: quick ? 30 : 100 },
  { sizeBytes: MiB, concurrency: 8, ops: quick ? 80 : 200 },
];
/** Rounds per case; each round measures baseline and Cairn back to back, the report takes medians. */
const rounds = quick ? 1 : 3;

/** Objects per case; GETs read back what the PUTs of the same case wrote. */
const keysMax = 32;

interface Result {
  /** Server process CPU (user + system, all threads) per MiB moved. */
  cpuMsPerMiB: number;
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

function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function runCase(base: string, pid: number, c: Case, method: 'PUT' | 'GET', body: Uint8Array, tag: string): Promise<Result> {
  const latencies: number[] = [];
  const cpu0 = cpuMsOf(pid);
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
  const cpuMsPerMiB = (cpuMsOf(pid) - cpu0) / ((c.ops * c.sizeBytes) / MiB);
  latencies.sort((a, b) => a - b);
  return { cpuMsPerMiB, mbPerSec: (c.ops * c.sizeBytes) / MiB / seconds, opsPerSec: c.ops / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Per-field medians over rounds. */
function medianResult(rs: Result[]): Result {
  return { cpuMsPerMiB: median(rs.map((r) => r.cpuMsPerMiB)), mbPerSec: median(rs.map((r) => r.mbPerSec)), opsPerSec: median(rs.map((r) => r.opsPerSec)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)) };
}

function fmt(r: Result): string {
  return `${r.mbPerSec.toFixed(0).padStart(6)} MB/s ${r.opsPerSec.toFixed(1).padStart(7)} ops/s  p50 ${r.p50Ms.toFixed(1).padStart(7)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms  cpu ${r.cpuMsPerMiB.toFixed(2).padStart(5)} ms/MiB`;
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
      const name = `${op}${c.sizeBytes / MiB}`;
      // GETs need their objects: a filtered-out PUT still writes them once.
      if (only !== undefined && !only.includes(name)) {
        if (op === 'PUT' && only.includes(`GET${c.sizeBytes / MiB}`)) {
          const fill = { ...c, ops: Math.min(c.ops, keysMax) };
          for (const [base, pid, tag] of [[`${cairn.url}/bench`, cairn.proc.pid, 'a'], [baseline.url, baseline.proc.pid, 'b']] as const) {
            await runCase(base, pid, fill, op, body, tag);
            await runCase(base, pid, { ...c, ops: c.concurrency }, op, body, 'warm');
          }
        }
        continue;
      }
      // Dirty pages left by earlier cases are written back first: otherwise the kernel's
      // writeback of the PUT rounds competes with the GET rounds that follow them.
      Bun.spawnSync(['sync']);
      // Warm-up, then baseline and Cairn alternate so machine noise hits both.
      await runCase(`${baseline.url}`, baseline.proc.pid, { ...c, ops: c.concurrency }, op, body, 'warm');
      await runCase(`${cairn.url}/bench`, cairn.proc.pid, { ...c, ops: c.concurrency }, op, body, 'warm');
      const bs: Result[] = [];
      const as: Result[] = [];
      const ratios: number[] = [];
      // Each PUT run starts with the page cache clean: otherwise the writeback of the run
      // before (the other server's) lands in this one, and whichever runs second is
      // throttled to the disk's speed for the first one's data.
      const settle = (): void => { if (op === 'PUT') Bun.spawnSync(['sync']); };
      for (let round = 0; round < rounds; round++) {
        settle();
        const b = await runCase(`${baseline.url}`, baseline.proc.pid, c, op, body, 'b');
        settle();
        const a = await runCase(`${cairn.url}/bench`, cairn.proc.pid, c, op, body, 'a');
        bs.push(b);
        as.push(a);
        ratios.push(a.mbPerSec / b.mbPerSec);
      }
      const a = medianResult(as);
      const b = medianResult(bs);
      const size = c.sizeBytes === MiB ? '1MiB' : '64MiB';
      // The ratio is the median of per-round ratios: each round's pair saw the same machine load.
      const ratio = median(ratios);
      rows.push({ size, concurrency: c.concurrency, op, cairn: a, baseline: b, ratio, opsRatio: ratio });
      console.log(`${op} ${size.padStart(5)} c${c.concurrency}  cairn ${fmt(a)}`);
      console.log(`${' '.repeat(op.length + 10)} base  ${fmt(b)}   ratio ${ratio.toFixed(2)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
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
const ratioOf = (size: string, op: string, concurrency: number): number => +(pick(size, op, concurrency)?.ratio ?? 0).toFixed(3);
const summary = {
  get64MiBRatio: { c1: ratioOf('64MiB', 'GET', 1), c8: ratioOf('64MiB', 'GET', 8) },
  put64MiBRatio: { c1: ratioOf('64MiB', 'PUT', 1), c8: ratioOf('64MiB', 'PUT', 8) },
  get1MiBOpsRatio: { c1: ratioOf('1MiB', 'GET', 1), c8: ratioOf('1MiB', 'GET', 8) },
};
const line = (name: string, r: { c1: number; c8: number }, min: number): string => `${name} c1 ${r.c1.toFixed(2)} c8 ${r.c8.toFixed(2)} (target >= ${min})`;
console.log(`targets: ${line('64MiB GET', summary.get64MiBRatio, targets.get64MiBRatioMin)}; ${line('64MiB PUT', summary.put64MiBRatio, targets.put64MiBRatioMin)}; ${line('1MiB GET ops', summary.get1MiBOpsRatio, targets.get1MiBOpsRatioMin)}`);
const round = (r: Result): Result => ({ cpuMsPerMiB: +r.cpuMsPerMiB.toFixed(3), mbPerSec: +r.mbPerSec.toFixed(1), opsPerSec: +r.opsPerSec.toFixed(2), p50Ms: +r.p50Ms.toFixed(2), p99Ms: +r.p99Ms.toFixed(2) });
console.log(JSON.stringify({
  bench: 's3',
  quick,
  rows: rows.map((r) => ({ ...r, cairn: round(r.cairn), baseline: round(r.baseline), ratio: +r.ratio.toFixed(3), opsRatio: +r.opsRatio.toFixed(3) })),
  summary,
  targets,
}));
