// Throughput of the DARE package streams per engine and batch size (packages
// sealed/opened concurrently), against a copy-through TransformStream measured
// in the same run. Figures are medians. Last line: one JSON object.
import { encryptStream } from '../../src/crypto/encrypt-stream.ts';
import { decryptStream } from '../../src/crypto/decrypt-stream.ts';
import { engines, type EngineName } from '../../src/crypto/engine.ts';
import { encryptedSize } from '../../src/crypto/range.ts';

const objectBytes = 64 * 1024 * 1024;
const chunkBytes = 1024 * 1024;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 7);
const batches = [1, 2, 4, 8];
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

const copyThrough = (): TransformStream<Uint8Array, Uint8Array> => new TransformStream({ transform(chunk, ctrl) { ctrl.enqueue(chunk.slice()); } });
const passThrough = (): TransformStream<Uint8Array, Uint8Array> => new TransformStream();

const plain = new Uint8Array(objectBytes);
for (let i = 0; i < plain.length; i += 4096) plain[i] = i & 0xff;
const sealed = new Uint8Array(await new Response(source(plain).pipeThrough(encryptStream(key))).arrayBuffer());

interface Case { name: string; expectBytes: number; run: () => Promise<number>; samplesMs: number[] }
const cases: Case[] = [];
for (const name of ['node', 'webcrypto'] as const) {
  for (const batch of batches) {
    const engine = engines[name];
    cases.push({ name: `${name} enc ${batch}`, expectBytes: encryptedSize(objectBytes), run: () => drain(source(plain).pipeThrough(encryptStream(key, { engine, batchPackages: batch }))), samplesMs: [] });
    cases.push({ name: `${name} dec ${batch}`, expectBytes: objectBytes, run: () => drain(source(sealed).pipeThrough(decryptStream(key, { engine, batchPackages: batch }))), samplesMs: [] });
  }
}

async function measure(group: Case[]): Promise<void> {
  for (const c of group) await c.run();
  for (let r = 0; r < rounds; r++) {
    for (const c of group) {
      await c.run();
      const t0 = performance.now();
      const got = await c.run();
      c.samplesMs.push(performance.now() - t0);
      if (got !== c.expectBytes) throw new Error(`bench ${c.name}: got ${got} bytes, want ${c.expectBytes}`);
    }
  }
}

// Within a phase, cases run round-robin, so noise from other processes on the
// machine spreads over all of them; each timed run follows an unmeasured run of
// the same case, which absorbs the previous case's garbage. Each engine and the
// baselines get a phase of their own: garbage from one kind (64 MiB of slices
// for the copy-through, external ArrayBuffers for WebCrypto) slowed the first
// case of the next kind. (A forced full GC instead makes every run pay fresh
// page faults, which a warm server does not.)
await measure(cases.filter((c) => c.name.startsWith('node')));
await measure(cases.filter((c) => c.name.startsWith('webcrypto')));
const baselines: Case[] = [
  { name: 'copy-through', expectBytes: objectBytes, run: () => drain(source(plain).pipeThrough(copyThrough())), samplesMs: [] },
  { name: 'pass-through', expectBytes: objectBytes, run: () => drain(source(plain).pipeThrough(passThrough())), samplesMs: [] },
];
await measure(baselines);
cases.push(...baselines);

const medianMs = (c: Case): number => [...c.samplesMs].sort((a, b) => a - b)[Math.floor(c.samplesMs.length / 2)]!;
const mbps = (ms: number): number => Math.round(objectBytes / 1e6 / (ms / 1000));
const byName = (n: string): Case => cases.find((c) => c.name === n)!;
const baselineMs = medianMs(byName('copy-through'));
console.log(`copy-through baseline ${mbps(baselineMs)} MB/s; pass-through ${mbps(medianMs(byName('pass-through')))} MB/s (medians of ${rounds}, 64 MiB in 1 MiB chunks)`);

interface Row { engine: EngineName; batch: number; encMBps: number; decMBps: number; encRatio: number; decRatio: number }
const rows: Row[] = [];
for (const name of ['node', 'webcrypto'] as const) {
  for (const batch of batches) {
    const encMs = medianMs(byName(`${name} enc ${batch}`));
    const decMs = medianMs(byName(`${name} dec ${batch}`));
    const row = { engine: name, batch, encMBps: mbps(encMs), decMBps: mbps(decMs), encRatio: +(baselineMs / encMs).toFixed(2), decRatio: +(baselineMs / decMs).toFixed(2) };
    rows.push(row);
    console.log(`${name.padEnd(9)} batch ${batch}: encrypt ${row.encMBps} MB/s (x${row.encRatio} of copy-through), decrypt ${row.decMBps} MB/s (x${row.decRatio})`);
  }
}
const best = (e: EngineName, f: 'encMBps' | 'decMBps'): Row => rows.filter((r) => r.engine === e).reduce((a, b) => (b[f] > a[f] ? b : a));
const summary = (e: EngineName) => ({
  encMBps: best(e, 'encMBps').encMBps, encBatch: best(e, 'encMBps').batch, encRatio: best(e, 'encMBps').encRatio,
  decMBps: best(e, 'decMBps').decMBps, decBatch: best(e, 'decMBps').batch, decRatio: best(e, 'decMBps').decRatio,
});
console.log(JSON.stringify({
  bench: 'crypto', objectBytes, chunkBytes, rounds, baselineMBps: mbps(baselineMs), passThroughMBps: mbps(medianMs(byName('pass-through'))),
  node: summary('node'), webcrypto: summary('webcrypto'), rows,
}));
