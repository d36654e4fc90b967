// KMS bench: generateDataKey latency of the local backend and of the Vault
// backend over real HTTP against the Vault double (no real Vault can be
// installed here), plus decrypt. Baseline in the same run: a raw AES-256-GCM
// seal of 32 bytes with node:crypto. Targets: local p95 < 1 ms, Vault p95 < 100 ms.
// Prints medians, p95s and ratios; the last line is one JSON object.
import { createCipheriv, randomBytes } from 'node:crypto';
import { LocalKms } from '../../src/kms/local.ts';
import { memoryKeystoreStore } from '../../src/kms/testing/memory-store.ts';
import { VaultDouble } from '../../src/kms/testing/vault-double.ts';
import type { Kms } from '../../src/kms/types.ts';
import { VaultKms } from '../../src/kms/vault.ts';

const localIterations = 20_000;
const vaultIterations = 1_000;
const warmupIterations = 200;
const ctx = { 'bucket/key': 'bench-bucket/some/object/key.bin' };

interface Stats {
  p50Ms: number;
  p95Ms: number;
  opsPerSec: number;
}

function stats(samplesMs: number[], totalMs: number): Stats {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50Ms: round(at(0.5)), p95Ms: round(at(0.95)), opsPerSec: Math.round((samplesMs.length / totalMs) * 1000) };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

async function measure(iterations: number, run: () => unknown): Promise<Stats> {
  for (let i = 0; i < warmupIterations; i++) await run();
  const samples = new Array<number>(iterations);
  const startMs = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await run();
    samples[i] = performance.now() - t0;
  }
  return stats(samples, performance.now() - startMs);
}

function rawSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): void {
  const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
  cipher.setAAD(aad);
  cipher.update(plaintext);
  cipher.final();
  cipher.getAuthTag();
}

async function benchKms(kms: Kms, iterations: number): Promise<{ generate: Stats; decrypt: Stats }> {
  const generate = await measure(iterations, () => kms.generateDataKey('bench', ctx));
  const sealed = (await kms.generateDataKey('bench', ctx)).ciphertext;
  const decrypt = await measure(iterations, () => kms.decrypt('bench', sealed, ctx));
  return { generate, decrypt };
}

function line(label: string, s: Stats, baseline?: Stats): string {
  const ratio = baseline === undefined ? '' : `  ${(s.p50Ms / Math.max(baseline.p50Ms, 1e-6)).toFixed(1)}x baseline p50`;
  return `${label.padEnd(30)} p50 ${s.p50Ms.toFixed(4)} ms  p95 ${s.p95Ms.toFixed(4)} ms  ${s.opsPerSec} ops/s${ratio}`;
}

async function main(): Promise<void> {
  const key = randomBytes(32);
  const aad = new TextEncoder().encode(JSON.stringify(ctx));
  const baseline = await measure(localIterations, () => rawSeal(key, randomBytes(32), aad));

  const local = await LocalKms.open({ masterKey: { name: 'bench', key: randomBytes(32) }, store: memoryKeystoreStore(), autoCreate: true });
  const localStats = await benchKms(local, localIterations);

  const double = new VaultDouble();
  let vaultStats: { generate: Stats; decrypt: Stats };
  try {
    const vault = new VaultKms({ address: double.url, auth: { kind: 'token', token: double.rootToken }, autoCreate: true, timeoutMs: 5000 });
    vaultStats = await benchKms(vault, vaultIterations);
  } finally {
    double.stop();
  }

  console.log(line('raw AES-GCM seal 32 B', baseline));
  console.log(line('local generateDataKey', localStats.generate, baseline));
  console.log(line('local decrypt', localStats.decrypt, baseline));
  console.log(line('vault(double) generateDataKey', vaultStats.generate, baseline));
  console.log(line('vault(double) decrypt', vaultStats.decrypt, baseline));
  const localOk = localStats.generate.p95Ms < 1;
  const vaultOk = vaultStats.generate.p95Ms < 100;
  console.log(`targets: local p95 < 1 ms ${localOk ? 'MET' : 'MISSED'}; vault p95 < 100 ms ${vaultOk ? 'MET' : 'MISSED'}`);
  console.log(JSON.stringify({
    bench: 'kms',
    baselineRawSeal: baseline,
    local: localStats,
    vaultDouble: vaultStats,
    localGenerateP50RatioToBaseline: round(localStats.generate.p50Ms / Math.max(baseline.p50Ms, 1e-6)),
    targets: { localGenerateP95MsMax: 1, vaultGenerateP95MsMax: 100, localMet: localOk, vaultMet: vaultOk },
  }));
}

await main();
