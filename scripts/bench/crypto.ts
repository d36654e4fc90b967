// Throughput of the DARE package streams per engine and batch size, against a
// copy-through TransformStream measured in the same run. Last line: JSON.
import { encryptStream } from '../../src/crypto/encrypt-stream.ts';
import { decryptStream } from '../../src/crypto/decrypt-stream.ts';
import { engines, type EngineName } from '../../src/crypto/engine.ts';
import { encryptedSize } from '../../src/crypto/range.ts';

const objectBytes = 64 * 1024 * 1024;
const chunkBytes = 1024 * 1024;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const key = new Uint8Array(32).fill(0x5a);

function source(data: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (offset >= data.length) return ctrl.close();
      ctrl.enqueue(data.subarray(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  }, { highWaterMark: 0 });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.length;
  return total;
}

function copyThrough(): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({ transform(chunk, ctrl) { ctrl.enqueue(chunk.slice()); } });
}

async function timeMs(run: () => Promise<number>, expectBytes: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const got = await run();
    samples.push(performance.now() - t0);
    if (got !== expectBytes) throw new Error(`bench: got ${got} bytes, want ${expectBytes}`);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const mbps = (ms: number): number => Math.round(objectBytes / 1e6 / (ms / 1000));

const plain = new Uint8Array(objectBytes);
for (let i = 0; i < plain.length; i += 4096) plain[i] = i & 0xff;
const sealed = new Uint8Array(await new Response(source(plain).pipeThrough(encryptStream(key))).arrayBuffer());

const baselineMs = await timeMs(() => drain(source(plain).pipeThrough(copyThrough())), objectBytes);
const baselineMBps = mbps(baselineMs);
console.log(`copy-through baseline: ${baselineMBps} MB/s (median of ${rounds})`);

interface Row { engine: EngineName; batch: number; encMBps: number; decMBps: number; encRatio: number; decRatio: number }
const rows: Row[] = [];
for (const name of ['node', 'webcrypto'] as const) {
  for (const batch of [1, 2, 4, 8]) {
    const engine = engines[name];
    const encMs = await timeMs(() => drain(source(plain).pipeThrough(encryptStream(key, { engine, batchPackages: batch }))), encryptedSize(objectBytes));
    const decMs = await timeMs(() => drain(source(sealed).pipeThrough(decryptStream(key, { engine, batchPackages: batch }))), objectBytes);
    const row = { engine: name, batch, encMBps: mbps(encMs), decMBps: mbps(decMs), encRatio: +(baselineMs / encMs).toFixed(2), decRatio: +(baselineMs / decMs).toFixed(2) };
    rows.push(row);
    console.log(`${name.padEnd(9)} batch ${batch}: encrypt ${row.encMBps} MB/s (x${row.encRatio} of baseline), decrypt ${row.decMBps} MB/s (x${row.decRatio})`);
  }
}
const best = (e: EngineName, f: 'encMBps' | 'decMBps'): Row => rows.filter((r) => r.engine === e).reduce((a, b) => (b[f] > a[f] ? b : a));
console.log(JSON.stringify({
  bench: 'crypto', objectBytes, chunkBytes, rounds, baselineMBps,
  node: { encMBps: best('node', 'encMBps').encMBps, encBatch: best('node', 'encMBps').batch, decMBps: best('node', 'decMBps').decMBps, decBatch: best('node', 'decMBps').batch },
  webcrypto: { encMBps: best('webcrypto', 'encMBps').encMBps, encBatch: best('webcrypto', 'encMBps').batch, decMBps: best('webcrypto', 'decMBps').decMBps, decBatch: best('webcrypto', 'decMBps').batch },
  rows,
}));
