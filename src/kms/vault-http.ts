// HTTP transport to Vault: token or AppRole auth with renew-before-expiry and
// re-login on 403, namespace header, per-attempt timeouts, and bounded
// exponential backoff on 5xx / 429 / network errors (never on other 4xx).
// Tokens and secret ids never reach logs or error messages.
import { systemClock, type Clock } from '../util/clock.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { cryptoRandom, type Random } from '../util/random.ts';
import { KmsError } from './types.ts';

export type VaultAuth =
  | { kind: 'token'; token: string }
  | { kind: 'approle'; roleId: string; secretId: string; /** default "approle" */ mountPath?: string };

export interface VaultHttpOptions {
  /** e.g. "https://vault.example:8200" */
  address: string;
  auth: VaultAuth;
  /** Sent as X-Vault-Namespace (Vault Enterprise / HCP). */
  namespace?: string;
  /** Per attempt. Default 5000. */
  timeoutMs?: number;
  /** Extra attempts after the first on 5xx / 429 / network errors. Default 3. */
  retriesMax?: number;
  backoffMsBase?: number;
  backoffMsMax?: number;
  /** Renew once this fraction of the token TTL has passed. Default 2/3. */
  renewAfterFraction?: number;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

export type Json = Record<string, unknown>;

export interface VaultRequest {
  method: 'GET' | 'POST';
  /** Without the /v1/ prefix, e.g. "transit/keys/k1". */
  path: string;
  body?: Json;
  /** False for calls that must not repeat (rotate). Network errors are then final too. */
  retry: boolean;
}

export interface VaultResponse {
  status: number;
  body: Json;
}

interface TokenState {
  token: string;
  /** 0 = never expires. */
  expiresMs: number;
  renewAtMs: number;
  renewable: boolean;
}

export class VaultHttp {
  private tokenState: TokenState | undefined;
  private authInFlight: Promise<TokenState> | undefined;
  private readonly address: string;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchFn: (input: string, init: RequestInit) => Promise<Response>;
  private readonly timeoutMs: number;
  private readonly retriesMax: number;

  constructor(private readonly options: VaultHttpOptions) {
    const url = new URL(options.address);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new KmsError('Unavailable', 'Vault address must be http(s)');
    this.address = options.address.replace(/\/+$/, '');
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.logger = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? ((ms) => Bun.sleep(ms));
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retriesMax = options.retriesMax ?? 3;
  }

  /** Authenticated call. 2xx and 4xx (other than 403/429) come back for the caller to map. */
  async call(request: VaultRequest): Promise<VaultResponse> {
    let reloggedIn = false;
    for (let attempt = 0; ; attempt++) {
      const state = await this.ensureToken();
      const outcome = await this.send(request, state.token);
      if (outcome.kind === 'response' && outcome.response.status === 403 && !reloggedIn && this.options.auth.kind === 'approle') {
        reloggedIn = true; // the token was revoked or expired early: log in once more
        this.invalidate(state);
        attempt--;
        continue;
      }
      if (outcome.kind === 'response' && outcome.response.status === 403) throw new KmsError('PermissionDenied', `Vault denied ${request.path}`);
      if (outcome.kind === 'response' && !isRetryableStatus(outcome.response.status)) return outcome.response;
      const why = outcome.kind === 'response' ? `HTTP ${outcome.response.status}` : outcome.why;
      if (!request.retry || attempt >= this.retriesMax) throw new KmsError('Unavailable', `Vault unavailable (${request.path}: ${why})`);
      this.logger.warn('vault request failed, retrying', { path: request.path, why, attempt: attempt + 1 });
      await this.sleep(this.backoffMs(attempt));
    }
  }

  /** Unauthenticated GET sys/health: true when Vault answers as initialised and unsealed. */
  async sysHealth(): Promise<{ ok: boolean; detail: string }> {
    const outcome = await this.send({ method: 'GET', path: 'sys/health', retry: false }, undefined);
    if (outcome.kind !== 'response') return { ok: false, detail: outcome.why };
    const sealed = outcome.response.body['sealed'] === true;
    return { ok: outcome.response.status === 200 && !sealed, detail: `HTTP ${outcome.response.status}${sealed ? ' sealed' : ''}` };
  }

  /** Forces authentication now (startup check, health). */
  async authenticate(): Promise<void> {
    await this.ensureToken();
  }

  private async ensureToken(): Promise<TokenState> {
    const state = this.tokenState;
    const nowMs = this.clock.nowMs();
    if (state !== undefined && (state.expiresMs === 0 || nowMs < state.renewAtMs)) return state;
    if (this.authInFlight === undefined) {
      this.authInFlight = this.refresh(state).finally(() => { this.authInFlight = undefined; });
    }
    return this.authInFlight;
  }

  private async refresh(state: TokenState | undefined): Promise<TokenState> {
    if (state !== undefined && state.renewable) {
      const renewed = await this.tryRenew(state);
      if (renewed !== undefined) return this.adopt(renewed);
    }
    const nowMs = this.clock.nowMs();
    if (state !== undefined && this.options.auth.kind === 'token' && (state.expiresMs === 0 || nowMs < state.expiresMs)) {
      return state; // a static token that cannot be renewed is used until it expires
    }
    return this.adopt(await this.login());
  }

  private adopt(state: TokenState): TokenState {
    this.tokenState = state;
    return state;
  }

  private invalidate(state: TokenState): void {
    if (this.tokenState === state) this.tokenState = undefined;
  }

  private async login(): Promise<TokenState> {
    const auth = this.options.auth;
    if (auth.kind === 'token') {
      const response = await this.authCall({ method: 'GET', path: 'auth/token/lookup-self', retry: true }, auth.token);
      const data = objectField(response.body, 'data');
      return this.tokenStateFrom(auth.token, numberField(data, 'ttl'), data['renewable'] === true);
    }
    const mount = (auth.mountPath ?? 'approle').replace(/^\/+|\/+$/g, '');
    const body = { role_id: auth.roleId, secret_id: auth.secretId };
    const response = await this.authCall({ method: 'POST', path: `auth/${mount}/login`, body, retry: true }, undefined);
    const block = objectField(response.body, 'auth');
    const token = block['client_token'];
    if (typeof token !== 'string' || token === '') throw new KmsError('Unavailable', 'Vault AppRole login returned no token');
    return this.tokenStateFrom(token, numberField(block, 'lease_duration'), block['renewable'] === true);
  }

  private async tryRenew(state: TokenState): Promise<TokenState | undefined> {
    try {
      const response = await this.authCall({ method: 'POST', path: 'auth/token/renew-self', body: {}, retry: true }, state.token);
      const block = objectField(response.body, 'auth');
      return this.tokenStateFrom(state.token, numberField(block, 'lease_duration'), block['renewable'] === true);
    } catch (error) {
      this.logger.warn('vault token renewal failed', { why: error instanceof Error ? error.message : 'error' });
      return undefined;
    }
  }

  private tokenStateFrom(token: string, ttlS: number, renewable: boolean): TokenState {
    const nowMs = this.clock.nowMs();
    if (ttlS <= 0) return { token, expiresMs: 0, renewAtMs: Number.POSITIVE_INFINITY, renewable };
    const fraction = this.options.renewAfterFraction ?? 2 / 3;
    return { token, expiresMs: nowMs + ttlS * 1000, renewAtMs: nowMs + ttlS * 1000 * fraction, renewable };
  }

  /** Auth endpoints: retried like any call, but 4xx (bad credentials) is final. */
  private async authCall(request: VaultRequest, token: string | undefined): Promise<VaultResponse> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.send(request, token);
      if (outcome.kind === 'response' && outcome.response.status < 300) return outcome.response;
      if (outcome.kind === 'response' && !isRetryableStatus(outcome.response.status)) {
        throw new KmsError('PermissionDenied', `Vault ${request.path} refused (HTTP ${outcome.response.status}: ${vaultErrors(outcome.response.body)})`);
      }
      const why = outcome.kind === 'response' ? `HTTP ${outcome.response.status}` : outcome.why;
      if (attempt >= this.retriesMax) throw new KmsError('Unavailable', `Vault unavailable (${request.path}: ${why})`);
      await this.sleep(this.backoffMs(attempt));
    }
  }

  private async send(request: VaultRequest, token: string | undefined): Promise<{ kind: 'response'; response: VaultResponse } | { kind: 'failed'; why: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-vault-request': 'true' };
    if (token !== undefined) headers['x-vault-token'] = token;
    if (this.options.namespace !== undefined) headers['x-vault-namespace'] = this.options.namespace;
    const init: RequestInit = { method: request.method, headers, signal: AbortSignal.timeout(this.timeoutMs) };
    if (request.body !== undefined) init.body = JSON.stringify(request.body);
    try {
      const response = await this.fetchFn(`${this.address}/v1/${request.path}`, init);
      const text = await response.text();
      return { kind: 'response', response: { status: response.status, body: parseBody(text) } };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const why = name === 'TimeoutError' || name === 'AbortError' ? `timed out after ${this.timeoutMs} ms` : 'network error';
      return { kind: 'failed', why };
    }
  }

  private backoffMs(attempt: number): number {
    const base = this.options.backoffMsBase ?? 50;
    const max = this.options.backoffMsMax ?? 2000;
    const ceiling = Math.min(max, base * 2 ** attempt);
    const jitter = (this.random.bytes(1)[0] ?? 0) / 255;
    return Math.round(ceiling * (0.5 + 0.5 * jitter));
  }
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

function parseBody(text: string): Json {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

export function vaultErrors(body: Json): string {
  const errors = body['errors'];
  if (!Array.isArray(errors) || errors.length === 0) return 'no details';
  return errors.filter((e): e is string => typeof e === 'string').join('; ').slice(0, 500);
}

export function objectField(body: Json, name: string): Json {
  const value = body[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KmsError('Unavailable', `Vault response lacks "${name}"`);
  }
  return value as Json;
}

export function numberField(body: Json, name: string): number {
  const value = body[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
