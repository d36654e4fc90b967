// A test double of HashiCorp Vault's documented HTTP API (Transit secrets
// engine, token and AppRole auth), because Vault cannot be installed on the
// machines that run Cairn's tests. It follows the documented JSON shapes:
// `{"data":{...}}` / `{"auth":{...}}` envelopes, `{"errors":[...]}` failures,
// `vault:vN:` ciphertexts, derived keys that demand a base64 `context`,
// min_decryption_version via keys/:name/config, token TTL with lookup-self and
// renew-self, AppRole login, namespaces, and injectable 403s, 5xx and delays.
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../util/clock.ts';
import { cryptoRandom, type Random } from '../../util/random.ts';
import { TransitError, TransitState } from './vault-transit-state.ts';

export interface VaultDoubleOptions {
  clock?: Clock;
  random?: Random;
  mountPath?: string;
  /** When set, every request must carry this X-Vault-Namespace. */
  namespace?: string;
  /** Answer key create/rotate/config with 204 and no body, as Vault versions before 1.12 did. */
  emptyWriteResponses?: boolean;
}

export interface Fault {
  /** Only requests whose path (after /v1/) starts with this are affected; default all. */
  pathPrefix?: string;
  delayMs?: number;
  status?: number;
  /** How many matching requests the fault applies to. */
  times: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  namespace: string | null;
  status: number;
}

interface TokenEntry {
  accessor: string;
  policies: string[];
  ttlS: number;
  renewable: boolean;
  issuedMs: number;
  /** 0 = never expires (root tokens). */
  expiresMs: number;
  maxExpiresMs: number;
  path: string;
}

type Json = Record<string, unknown>;
const requestBodyBytesMax = 1024 * 1024;

export class VaultDouble {
  readonly requests: RecordedRequest[] = [];
  readonly rootToken: string;
  readonly transit: TransitState;
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly appRoles = new Map<string, { secretId: string; tokenTtlS: number; tokenMaxTtlS: number }>();
  private readonly faults: Fault[] = [];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly mountPath: string;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(private readonly options: VaultDoubleOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.mountPath = (options.mountPath ?? 'transit').replace(/^\/+|\/+$/g, '');
    this.transit = new TransitState(this.random, () => Math.floor(this.clock.nowMs() / 1000));
    this.rootToken = this.issueToken({ ttlS: 0, renewable: false, policies: ['root'] });
    this.server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => this.handle(request) });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  stop(): void {
    void this.server.stop(true);
  }

  issueToken(spec: { ttlS: number; renewable: boolean; policies?: string[]; maxTtlS?: number; path?: string }): string {
    const token = `hvs.${Buffer.from(this.random.bytes(18)).toString('base64url')}`;
    const nowMs = this.clock.nowMs();
    this.tokens.set(token, {
      accessor: Buffer.from(this.random.bytes(12)).toString('base64url'),
      policies: spec.policies ?? ['default', 'cairn'],
      ttlS: spec.ttlS,
      renewable: spec.renewable,
      issuedMs: nowMs,
      expiresMs: spec.ttlS === 0 ? 0 : nowMs + spec.ttlS * 1000,
      maxExpiresMs: spec.maxTtlS === undefined ? 0 : nowMs + spec.maxTtlS * 1000,
      path: spec.path ?? 'auth/token/create',
    });
    return token;
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  addAppRole(roleId: string, secretId: string, tokenTtlS: number, tokenMaxTtlS = 0): void {
    this.appRoles.set(roleId, { secretId, tokenTtlS, tokenMaxTtlS });
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  countRequests(pathPrefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix)).length;
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/v1\//, '');
    const namespace = request.headers.get('x-vault-namespace');
    const record: RecordedRequest = { method: request.method, path, namespace, status: 0 };
    this.requests.push(record);
    const response = await this.respond(request, url, path, namespace);
    record.status = response.status;
    return response;
  }

  private async respond(request: Request, url: URL, path: string, namespace: string | null): Promise<Response> {
    const fault = this.takeFault(path);
    if (fault?.delayMs !== undefined) await Bun.sleep(fault.delayMs);
    if (fault?.status !== undefined) return errorResponse(fault.status, [fault.status === 403 ? 'permission denied' : 'injected failure']);
    if (!url.pathname.startsWith('/v1/')) return errorResponse(404, []);
    if (path === 'sys/health') return json(200, { initialized: true, sealed: false, standby: false, version: '1.17.0-double', cluster_name: 'vault-double' });
    if (this.options.namespace !== undefined && namespace?.replace(/\/+$/, '') !== this.options.namespace) {
      return errorResponse(404, [`no handler for route "${path}". route entry not found.`]);
    }
    try {
      const body = request.method === 'POST' || request.method === 'PUT' ? await readJson(request) : {};
      if (path === 'auth/approle/login' && request.method !== 'GET') return this.appRoleLogin(body);
      const token = request.headers.get('x-vault-token') ?? request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
      const entry = this.liveToken(token);
      if (entry === undefined) return errorResponse(403, ['permission denied']);
      if (path === 'auth/token/lookup-self') return json(200, this.envelope({ data: this.lookup(token, entry) }));
      if (path === 'auth/token/renew-self') return this.renew(token, entry, body);
      const list = request.method === 'LIST' || url.searchParams.get('list') === 'true';
      return this.transitRoute(request.method, path, body, list);
    } catch (error) {
      if (error instanceof TransitError) return errorResponse(error.status, [error.message]);
      return errorResponse(500, ['internal error']);
    }
  }

  private transitRoute(method: string, path: string, body: Json, list: boolean): Response {
    const prefix = `${this.mountPath}/`;
    if (!path.startsWith(prefix)) return errorResponse(404, [`no handler for route "${path}". route entry not found.`]);
    const parts = path.slice(prefix.length).split('/');
    const [head, second, third, fourth] = parts;
    const state = this.transit;
    if (head === 'keys' && (second === undefined || second === '') && list) {
      const names = state.list();
      return names.length === 0 ? errorResponse(404, []) : json(200, this.envelope({ data: { keys: names } }));
    }
    if (head === 'keys' && second !== undefined && third === undefined) {
      if (method === 'GET') {
        const key = state.get(second);
        return key === undefined ? errorResponse(404, []) : json(200, this.envelope({ data: state.describe(key) }));
      }
      if (method === 'POST') return this.keyWritten(state.create(second, body));
    }
    if (method !== 'POST' || second === undefined) return errorResponse(405, ['unsupported operation']);
    if (head === 'keys' && third === 'rotate') return this.keyWritten(state.rotate(second));
    if (head === 'keys' && third === 'config') return this.keyWritten(state.configure(second, body));
    if (head === 'encrypt') {
      const plaintext = new Uint8Array(Buffer.from(String(body['plaintext'] ?? ''), 'base64'));
      return json(200, this.envelope({ data: { ciphertext: state.encrypt(second, plaintext, body['context']), key_version: state.get(second)?.versions.length } }));
    }
    if (head === 'decrypt') {
      const plaintext = state.decrypt(second, body['ciphertext'], body['context']);
      return json(200, this.envelope({ data: { plaintext: Buffer.from(plaintext).toString('base64') } }));
    }
    if (head === 'rewrap') {
      const plaintext = state.decrypt(second, body['ciphertext'], body['context']);
      const ciphertext = state.encrypt(second, plaintext, body['context'], Number(body['key_version'] ?? 0));
      return json(200, this.envelope({ data: { ciphertext, key_version: Number(/^vault:v(\d+):/.exec(ciphertext)?.[1]) } }));
    }
    if (head === 'datakey' && (second === 'plaintext' || second === 'wrapped') && third !== undefined && fourth === undefined) {
      return this.dataKey(second, third, body);
    }
    return errorResponse(404, [`no handler for route "${path}". route entry not found.`]);
  }

  private keyWritten(key: Parameters<TransitState['describe']>[0]): Response {
    if (this.options.emptyWriteResponses === true) return new Response(null, { status: 204 });
    return json(200, this.envelope({ data: this.transit.describe(key) }));
  }

  private dataKey(kind: 'plaintext' | 'wrapped', name: string, body: Json): Response {
    const bits = Number(body['bits'] ?? 256);
    if (bits !== 128 && bits !== 256 && bits !== 512) throw new TransitError(400, 'invalid bits length');
    const plaintext = this.random.bytes(bits / 8);
    const ciphertext = this.transit.encrypt(name, plaintext, body['context']);
    const keyVersion = Number(/^vault:v(\d+):/.exec(ciphertext)?.[1]);
    const data: Json = { ciphertext, key_version: keyVersion };
    if (kind === 'plaintext') data['plaintext'] = Buffer.from(plaintext).toString('base64');
    return json(200, this.envelope({ data }));
  }

  private appRoleLogin(body: Json): Response {
    const role = this.appRoles.get(String(body['role_id'] ?? ''));
    if (role === undefined) return errorResponse(400, ['invalid role ID']);
    if (role.secretId !== body['secret_id']) return errorResponse(400, ['invalid secret id']);
    const spec = { ttlS: role.tokenTtlS, renewable: true, path: 'auth/approle/login', ...(role.tokenMaxTtlS > 0 ? { maxTtlS: role.tokenMaxTtlS } : {}) };
    const token = this.issueToken(spec);
    return json(200, this.envelope({ auth: this.authBlock(token, this.tokens.get(token)) }));
  }

  private renew(token: string, entry: TokenEntry, body: Json): Response {
    if (!entry.renewable) return errorResponse(400, ['lease is not renewable']);
    const incrementS = parseDurationS(body['increment']) ?? entry.ttlS;
    const nowMs = this.clock.nowMs();
    let expiresMs = nowMs + incrementS * 1000;
    if (entry.maxExpiresMs > 0) expiresMs = Math.min(expiresMs, entry.maxExpiresMs);
    entry.expiresMs = expiresMs;
    return json(200, this.envelope({ auth: this.authBlock(token, entry) }));
  }

  private authBlock(token: string, entry: TokenEntry | undefined): Json {
    const remainingS = entry === undefined || entry.expiresMs === 0 ? 0 : Math.max(0, Math.round((entry.expiresMs - this.clock.nowMs()) / 1000));
    return {
      client_token: token, accessor: entry?.accessor, policies: entry?.policies, token_policies: entry?.policies,
      metadata: null, lease_duration: remainingS, renewable: entry?.renewable ?? false,
      entity_id: '', token_type: 'service', orphan: true,
    };
  }

  private lookup(token: string, entry: TokenEntry): Json {
    const nowMs = this.clock.nowMs();
    return {
      accessor: entry.accessor, creation_time: Math.floor(entry.issuedMs / 1000), creation_ttl: entry.ttlS,
      display_name: 'token', entity_id: '', expire_time: entry.expiresMs === 0 ? null : new Date(entry.expiresMs).toISOString(),
      explicit_max_ttl: 0, id: token, issue_time: new Date(entry.issuedMs).toISOString(), meta: null, num_uses: 0,
      orphan: true, path: entry.path, policies: entry.policies, renewable: entry.renewable,
      ttl: entry.expiresMs === 0 ? 0 : Math.max(0, Math.round((entry.expiresMs - nowMs) / 1000)), type: 'service',
    };
  }

  private liveToken(token: string): TokenEntry | undefined {
    const entry = this.tokens.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresMs !== 0 && this.clock.nowMs() >= entry.expiresMs) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry;
  }

  private takeFault(path: string): Fault | undefined {
    const fault = this.faults.find((f) => f.times > 0 && (f.pathPrefix === undefined || path.startsWith(f.pathPrefix)));
    if (fault !== undefined) fault.times--;
    return fault;
  }

  private envelope(parts: { data?: Json; auth?: Json }): Json {
    return {
      request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0,
      data: parts.data ?? null, wrap_info: null, warnings: null, auth: parts.auth ?? null,
    };
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function errorResponse(status: number, errors: string[]): Response {
  return json(status, { errors });
}

async function readJson(request: Request): Promise<Json> {
  const text = await request.text();
  if (text.length > requestBodyBytesMax) throw new TransitError(413, 'request body too large');
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TransitError(400, 'failed to parse JSON input');
    return parsed as Json;
  } catch (error) {
    if (error instanceof TransitError) throw error;
    throw new TransitError(400, 'failed to parse JSON input');
  }
}

/** Vault durations: integer seconds or "90s" / "15m" / "1h". */
function parseDurationS(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)([smh]?)$/.exec(value);
  if (match === null) return undefined;
  const scale = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  return Number(match[1]) * scale;
}
