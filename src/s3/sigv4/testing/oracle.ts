// Test helpers: the AWS SDK's own signer as an independent oracle, and a static
// credential store. Only tests import this file.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialEntry, CredentialStore } from '../../credentials.ts';
import { uriEncode } from '../canonical.ts';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** node:crypto adapter with the Checksum shape the SDK signer expects. */
export class NodeSha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): ReturnType<typeof createHash> | ReturnType<typeof createHmac> {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export const rootCreds = { accessKey: 'AKIAROOTEXAMPLE', secretKey: 'root/secret+key/EXAMPLE0000000000000000' };
export const userCreds = { accessKey: 'AKIAUSEREXAMPLE', secretKey: 'user-secret-key-EXAMPLE-111111111111111' };

export function staticStore(entries: ReadonlyArray<{ accessKey: string; secretKey: string; isRoot: boolean }>): CredentialStore {
  const map = new Map<string, CredentialEntry>(entries.map((e) => [e.accessKey, { secretKey: e.secretKey, isRoot: e.isRoot }]));
  return { lookup: (accessKey) => map.get(accessKey) };
}

export const testStore = staticStore([{ ...rootCreds, isRoot: true }, { ...userCreds, isRoot: false }]);

export interface OracleInput {
  method: string;
  /** Encoded path as the client sends it. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  region?: string;
  dateMs: number;
  creds?: { accessKey: string; secretKey: string };
  host?: string;
}

export interface OracleRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Headers;
}

function rawQueryOf(query: Record<string, string | string[] | null> | undefined): string {
  if (query === undefined) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === null) parts.push(uriEncode(k, false));
    else for (const item of Array.isArray(v) ? v : [v]) parts.push(`${uriEncode(k, false)}=${uriEncode(item, false)}`);
  }
  return parts.join('&');
}

function signerFor(input: OracleInput): SignatureV4 {
  const creds = input.creds ?? rootCreds;
  return new SignatureV4({
    credentials: { accessKeyId: creds.accessKey, secretAccessKey: creds.secretKey },
    region: input.region ?? 'us-east-1',
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
}

function httpRequestOf(input: OracleInput) {
  const host = input.host ?? '127.0.0.1:9000';
  return {
    method: input.method,
    protocol: 'http:',
    hostname: host.split(':')[0] ?? host,
    path: input.path,
    query: { ...(input.query ?? {}) },
    headers: { host, ...(input.headers ?? {}) },
    ...(input.body === undefined ? {} : { body: input.body }),
  };
}

/** Signs with the Authorization header using the AWS SDK signer. */
export async function oracleSign(input: OracleInput): Promise<OracleRequest> {
  const signed = await signerFor(input).sign(httpRequestOf(input), { signingDate: new Date(input.dateMs) });
  const headers = new Headers();
  for (const [k, v] of Object.entries(signed.headers)) headers.set(k, v);
  return { method: input.method, rawPath: input.path, rawQuery: rawQueryOf(signed.query), headers };
}

/** Presigns with the AWS SDK signer, with S3's UNSIGNED-PAYLOAD as its presigner sets it. */
export async function oraclePresign(input: OracleInput & { expiresSec: number }): Promise<OracleRequest> {
  const request = httpRequestOf(input);
  const signed = await signerFor(input).presign({ ...request, headers: { ...request.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, {
    signingDate: new Date(input.dateMs),
    expiresIn: input.expiresSec,
  });
  const headers = new Headers();
  for (const [k, v] of Object.entries(signed.headers)) headers.set(k, v);
  return { method: input.method, rawPath: input.path, rawQuery: rawQueryOf(signed.query), headers };
}
