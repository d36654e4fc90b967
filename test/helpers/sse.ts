// Helpers for encryption e2e tests: customer keys, a fixed local master key, a
// self-signed TLS certificate made with `openssl req`, and a drive scanner.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CustomerKey {
  key: Uint8Array;
  keyB64: string;
  md5B64: string;
}

export function customerKey(fill: number): CustomerKey {
  const key = new Uint8Array(32).map((_, i) => (fill * 31 + i * 7) & 0xff);
  return { key, keyB64: Buffer.from(key).toString('base64'), md5B64: createHash('md5').update(key).digest('base64') };
}

/** SDK fields for an SSE-C request. */
export function sdkSseC(k: CustomerKey): { SSECustomerAlgorithm: string; SSECustomerKey: string; SSECustomerKeyMD5: string } {
  return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.keyB64, SSECustomerKeyMD5: k.md5B64 };
}

export function sdkCopySourceSseC(k: CustomerKey): { CopySourceSSECustomerAlgorithm: string; CopySourceSSECustomerKey: string; CopySourceSSECustomerKeyMD5: string } {
  return { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: k.keyB64, CopySourceSSECustomerKeyMD5: k.md5B64 };
}

/** A fixed master key for the local KMS, so tests can scan the drives for its bytes. */
export const masterKeyBytes = new Uint8Array(32).map((_, i) => (0xa5 ^ (i * 13)) & 0xff);
export const masterKeyEnv = `test-master:${Buffer.from(masterKeyBytes).toString('base64')}`;

/** Deterministic bytes with a marker repeated through them, so any plaintext leak is findable. */
export function markedBody(sizeBytes: number, marker: string, seed = 1): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  const m = new TextEncoder().encode(marker);
  for (let at = 0; at + m.length <= sizeBytes; at += 4096) out.set(m, at);
  return out;
}

export async function* walkFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(path);
    else if (entry.isFile()) yield path;
  }
}

/** Files under `dirs` holding any of the needles (raw bytes, and their base64/hex forms when asked). */
export async function filesContaining(dirs: readonly string[], needles: readonly Uint8Array[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    for await (const path of walkFiles(dir)) {
      const bytes = Buffer.from(await readFile(path));
      if (needles.some((n) => bytes.indexOf(Buffer.from(n)) >= 0)) found.push(path);
    }
  }
  return found;
}

/** A self-signed certificate for 127.0.0.1, made by openssl in `dir`. */
export async function selfSignedCert(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const p = Bun.spawn(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdout: 'pipe', stderr: 'pipe' });
  const code = await p.exited;
  if (code !== 0) throw new Error(`openssl req failed: ${await new Response(p.stderr).text()}`);
  return { certFile, keyFile };
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}
