// Throughput of request-body verification (verifiedBody) per payload mode on a 64 MiB
// body. Each mode's baseline, measured in the same run, is the bare digest it needs
// (one-shot over the whole buffer), so the ratio is the cost of streaming, framing
// and signatures on top of the unavoidable hashing. Last line: JSON.
import { fixedClock } from '../../src/util/clock.ts';
import { checksumBase64, createChecksummer } from '../../src/s3/checksum/index.ts';
import type { ChecksumAlgorithm } from '../../src/s3/checksum/index.ts';
import { authenticate, encodeSignedChunks, encodeUnsignedChunks, sha256Hex, signRequest, verifiedBody } from '../../src/s3/sigv4/index.ts';
import type { AuthResult, VerifyOptions } from '../../src/s3/sigv4/index.ts';
import { createCredentialStore } from '../../src/s3/credentials.ts';

const objectBytes = 64 * 1024 * 1024;
const pieceBytes = 256 * 1024; // typical socket read size handed to a request body
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const clock = fixedClock(Date.UTC(2026, 0, 1));
const creds = { accessKey: 'benchroot', secretKey: 'bench-secret-key' };
const store = createCredentialStore(creds);

function source(data: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (offset >= data.length) return ctrl.close();
      ctrl.enqueue(data.subarray(offset, offset + pieceBytes));
      offset += pieceBytes;
    },
  }, { highWaterMark: 0 });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let total = 0;
  for await (const chunk of stream) total += chunk.length;
  return total;
}

async function medianMs(run: () => Promise<number>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const got = await run();
    samples.push(performance.now() - t0);
    if (got !== objectBytes) throw new Error(`bench: got ${got} bytes, want ${objectBytes}`);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

function auth(payloadHash: string): AuthResult {
  const signed = signRequest({ method: 'PUT', url: 'http://127.0.0.1/b/k', payloadHash }, creds, clock);
  return authenticate({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: signed.headers }, { credentials: store, clock, region: 'us-east-1' });
}

const data = new Uint8Array(objectBytes);
for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
const splitInto = (sizeBytes: number): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += sizeBytes) out.push(data.subarray(i, i + sizeBytes));
  return out;
};

interface Case { name: string; body: Uint8Array; auth: AuthResult; headers: Record<string, string>; options?: VerifyOptions; digest: Digest }
type Digest = 'none' | 'md5' | ChecksumAlgorithm;

function bareDigest(digest: Digest): Promise<number> {
  if (digest === 'none') return drain(source(data));
  if (digest === 'md5') new Bun.CryptoHasher('md5').update(data).digest();
  else createChecksummer(digest).update(data);
  return Promise.resolve(objectBytes);
}
const unsignedAuth = auth('UNSIGNED-PAYLOAD');
const checksumCase = (algorithm: ChecksumAlgorithm): Case => ({
  name: `unsigned+${algorithm.toLowerCase()}-header`, body: data, auth: unsignedAuth,
  headers: { [`x-amz-checksum-${algorithm.toLowerCase()}`]: checksumBase64(algorithm, data) }, digest: algorithm,
});
const signedAuth = auth('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
const cases: Case[] = [
  { name: 'unsigned', body: data, auth: unsignedAuth, headers: {}, digest: 'none' },
  { name: 'unsigned+md5', body: data, auth: unsignedAuth, headers: {}, options: { computeMd5: true }, digest: 'md5' },
  { name: 'sha256-payload', body: data, auth: auth(sha256Hex(data)), headers: {}, digest: 'SHA256' },
  ...(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA256'] as const).map(checksumCase),
  {
    name: 'unsigned-trailer-crc32(64KiB chunks)', auth: auth('STREAMING-UNSIGNED-PAYLOAD-TRAILER'),
    body: encodeUnsignedChunks(splitInto(64 * 1024), { name: 'x-amz-checksum-crc32', value: checksumBase64('CRC32', data) }),
    headers: { 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': String(objectBytes) }, digest: 'CRC32',
  },
  {
    name: 'signed-chunks(64KiB)', auth: signedAuth, body: encodeSignedChunks(splitInto(64 * 1024), signedAuth.signer),
    headers: { 'x-amz-decoded-content-length': String(objectBytes) }, digest: 'SHA256',
  },
  {
    name: 'signed-chunks(1MiB)', auth: signedAuth, body: encodeSignedChunks(splitInto(1024 * 1024), signedAuth.signer),
    headers: { 'x-amz-decoded-content-length': String(objectBytes) }, digest: 'SHA256',
  },
];

const mbps = (ms: number): number => Math.round(objectBytes / 1e6 / (ms / 1000));
console.log(`64 MiB body in ${pieceBytes / 1024} KiB pieces, median of ${rounds}; ratio = bare digest time / verified stream time`);
const rows: Array<{ mode: string; MBps: number; baselineMBps: number; ratio: number }> = [];
for (const c of cases) {
  const baselineMs = await medianMs(() => bareDigest(c.digest));
  const ms = await medianMs(() => {
    const v = verifiedBody(source(c.body), c.auth, new Headers({ 'x-amz-content-sha256': c.auth.payloadHash, ...c.headers }), c.options);
    return drain(v.stream);
  });
  const row = { mode: c.name, MBps: mbps(ms), baselineMBps: mbps(baselineMs), ratio: Number((baselineMs / ms).toFixed(3)) };
  rows.push(row);
  console.log(`${row.mode.padEnd(40)} ${String(row.MBps).padStart(7)} MB/s  bare ${c.digest.padEnd(9)} ${String(row.baselineMBps).padStart(7)} MB/s  ratio ${row.ratio}`);
}
console.log(JSON.stringify({ bench: 'sigv4-body', objectBytes, pieceBytes, rounds, rows }));
