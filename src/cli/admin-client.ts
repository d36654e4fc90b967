// The command line's client for the running server's admin API: finds the endpoint
// (--endpoint, else CAIRN_ADDRESS with https when TLS is configured), the root
// credentials (CAIRN_ROOT_USER/PASSWORD, else the file the server generated on its
// first drive), signs each call with SigV4 and turns failures into plain sentences.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadConfig, statePaths, type Config } from '../config/config.ts';
import { parseCredentialsFile, rootCredentialsFileName, type StaticUser } from '../s3/credentials.ts';
import { signRequest } from '../s3/sigv4/index.ts';
import { adminPrefix } from '../admin/types.ts';
import type { Clock } from '../util/clock.ts';

/** A failure the CLI reports as one message and an exit code (1 runtime, 2 usage/config). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

/** The server answered with an error; `code` is the admin API's error code. */
export class AdminCallError extends CliError {
  override name = 'AdminCallError';
  constructor(message: string, readonly status: number, readonly code: string) {
    super(message, 1);
  }
}

export interface ConnectionOptions {
  endpoint: string | undefined;
  insecure: boolean;
  caFile: string | undefined;
}

/** Answers admin requests in this process (--offline) instead of over the network. */
export type LocalHandler = (req: Request) => Promise<Response | undefined>;

/** parseArgs option specs shared by every admin verb. */
export const connectionArgSpec = {
  endpoint: { type: 'string' },
  insecure: { type: 'boolean', default: false },
  'ca-file': { type: 'string' },
  offline: { type: 'boolean', default: false },
} as const;

export const connectionHelp = `Connection (the server must be running):
  --endpoint URL   server URL (default: from CAIRN_ADDRESS, https when CAIRN_TLS_CERT is set;
                   a wildcard listen address is reached on 127.0.0.1)
  --ca-file PATH   PEM CA bundle that signed the server's certificate
  --insecure       accept any TLS certificate (self-signed test set-ups only)
  --offline        the server is stopped: open its drives and KMS directly, with the
                   server's CAIRN_* settings (refused while anything answers on its address)
Credentials: CAIRN_ROOT_USER and CAIRN_ROOT_PASSWORD, else the root credentials the
server generated in $CAIRN_STATE_DIR/${rootCredentialsFileName} (default: <drives' parent>/.cairn).`;

export interface AdminTarget {
  endpoint: string;
  credentials: StaticUser;
  region: string;
  tls: { rejectUnauthorized: false } | { ca: string } | undefined;
  /** Set with --offline: requests go to this in-process handler. */
  local?: LocalHandler;
}

export function loadCliConfig(env: Readonly<Record<string, string | undefined>>): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
}

function endpointFromConfig(config: Config): string {
  const { host, port } = config.address;
  if (port === 0) throw new CliError('CAIRN_ADDRESS has port 0 (a random port); pass --endpoint with the URL the server printed', 2);
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostPart = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `${config.tls === undefined ? 'http' : 'https'}://${hostPart}:${port}`;
}

function normalizeEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--endpoint ${raw} is not a URL (expected e.g. http://127.0.0.1:9000)`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--endpoint must be http:// or https://, not ${url.protocol}`, 2);
  return `${url.protocol}//${url.host}`;
}

export async function rootCredentials(config: Config): Promise<StaticUser> {
  if (config.rootUser !== undefined && config.rootPassword !== undefined) return { accessKey: config.rootUser, secretKey: config.rootPassword };
  const path = join(statePaths(config).rootCredentialsDir, rootCredentialsFileName);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(`no root credentials: set CAIRN_ROOT_USER and CAIRN_ROOT_PASSWORD, or run where ${path} is readable (${code}; set CAIRN_DRIVES as the server has it)`, 2);
  }
  try {
    const [user] = parseCredentialsFile(`[${text}]`, path);
    if (user !== undefined) return user;
  } catch {
    // fall through: the message below names the file without its contents
  }
  throw new CliError(`${path} does not hold valid root credentials`, 2);
}

export async function resolveTarget(config: Config, options: ConnectionOptions): Promise<AdminTarget> {
  const endpoint = options.endpoint === undefined ? endpointFromConfig(config) : normalizeEndpoint(options.endpoint);
  let tls: AdminTarget['tls'];
  if (options.insecure) tls = { rejectUnauthorized: false };
  else if (options.caFile !== undefined) {
    try {
      tls = { ca: await readFile(options.caFile, 'utf8') };
    } catch {
      throw new CliError(`--ca-file ${options.caFile} cannot be read`, 2);
    }
  }
  return { endpoint, credentials: await rootCredentials(config), region: config.region, tls };
}

const requestTimeoutMs = 30_000;
const tlsErrorCodes = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']);

function transportError(e: unknown, target: AdminTarget): CliError {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  const name = e instanceof Error ? e.name : '';
  if (code === 'ConnectionRefused' || code === 'ECONNREFUSED') {
    return new CliError(`cannot reach the Cairn server at ${target.endpoint} (connection refused). Is it running? Set CAIRN_ADDRESS or pass --endpoint; while it is stopped, --offline works on its drives directly.`);
  }
  if (name === 'TimeoutError') return new CliError(`the Cairn server at ${target.endpoint} did not answer within ${requestTimeoutMs / 1000} s`);
  if (tlsErrorCodes.has(code)) return new CliError(`TLS: the certificate of ${target.endpoint} is not trusted (${code}); pass --ca-file PATH, or --insecure for a self-signed test set-up`);
  const detail = e instanceof Error ? e.message : String(e);
  return new CliError(`cannot reach the Cairn server at ${target.endpoint}: ${code !== '' ? `${code}: ` : ''}${detail}`);
}

async function send(target: AdminTarget, method: string, url: string, headers: Headers, bytes: Uint8Array | undefined): Promise<Response> {
  const body = bytes === undefined ? {} : { body: bytes };
  if (target.local !== undefined) return (await target.local(new Request(url, { method, headers, ...body }))) ?? new Response(null, { status: 404 });
  try {
    return await fetch(url, { method, headers, ...body, signal: AbortSignal.timeout(requestTimeoutMs), ...(target.tls === undefined ? {} : { tls: target.tls }) });
  } catch (e) {
    throw transportError(e, target);
  }
}

const slowDownRetriesMax = 3;
const slowDownWaitMsMax = 10_000;

/** Calls the admin API; returns the parsed JSON body of a 2xx answer, throws CliError otherwise. */
export async function adminCall(target: AdminTarget, clock: Clock, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const url = `${target.endpoint}${adminPrefix}/${path}`;
  const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
  let response: Response;
  for (let attempt = 0; ; attempt++) {
    // Signed per attempt: the signature carries the time.
    const signed = signRequest(
      { method, url, headers: bytes === undefined ? {} : { 'content-type': 'application/json' }, ...(bytes === undefined ? {} : { body: bytes }), region: target.region },
      target.credentials,
      clock,
    );
    response = await send(target, method, signed.url, signed.headers, bytes);
    // Configuration calls are rate limited; a short wait the server asks for is worth taking.
    const waitMs = Number(response.headers.get('retry-after') ?? 'NaN') * 1000;
    if (response.status !== 429 || attempt >= slowDownRetriesMax || !(waitMs >= 0 && waitMs <= slowDownWaitMsMax)) break;
    await response.body?.cancel();
    await Bun.sleep(Math.max(waitMs, 100));
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (response.ok) return parsed;
  const code = typeof parsed === 'object' && parsed !== null && typeof (parsed as { code?: unknown }).code === 'string' ? (parsed as { code: string }).code : '';
  throw new AdminCallError(describeFailure(response.status, parsed, target), response.status, code);
}

function describeFailure(status: number, body: unknown, target: AdminTarget): string {
  const { code, message } = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown };
  const what = typeof code === 'string' ? `${code}: ${typeof message === 'string' ? message : ''}` : `HTTP ${status} from ${target.endpoint} (is this a Cairn server?)`;
  if (status === 403 && code === 'AccessDenied') return `${what} (the server refused the root credentials: check CAIRN_ROOT_USER/CAIRN_ROOT_PASSWORD)`;
  if (status === 403 && typeof code === 'string' && code !== '') return `${what} (check CAIRN_ROOT_USER/CAIRN_ROOT_PASSWORD and the clock)`;
  return what;
}
