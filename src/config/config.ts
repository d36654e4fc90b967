// Environment -> one frozen, validated Config. Nothing else in Cairn reads process.env.
import { dirname, join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { ConfigError, address, bytes, duration, expandList, flag, int, oneOf, str, type Env } from './parse.ts';

export { ConfigError } from './parse.ts';

export type KmsConfig =
  | { backend: 'none' }
  | {
      backend: 'local';
      /** `name:base64(32 bytes)`, from CAIRN_KMS_SECRET_KEY or the file in CAIRN_KMS_SECRET_KEY_FILE. Undefined: generate one (quickstart). */
      secretKey: string | undefined;
      secretKeyFile: string | undefined;
      autoCreate: boolean;
      defaultKeyId: string;
    }
  | {
      backend: 'vault';
      endpoint: string;
      mount: string;
      namespace: string | undefined;
      token: string | undefined;
      appRoleId: string | undefined;
      appRoleSecretId: string | undefined;
      autoCreate: boolean;
      defaultKeyId: string;
      timeoutMs: number;
      retriesMax: number;
    };

export interface Config {
  address: { host: string; port: number };
  drives: readonly string[];
  /**
   * Holds generated state: root credentials and the quickstart KMS master key. Kept
   * beside the drives, not in one, so a lost or stolen drive carries neither.
   */
  stateDir: string;
  /** Undefined: the default for the drive count (DESIGN.md §3). */
  parity: number | undefined;
  fsync: boolean;
  region: string;
  rootUser: string | undefined;
  rootPassword: string | undefined;
  credentialsFile: string | undefined;
  domain: string | undefined;
  tls: { certFile: string; keyFile: string } | undefined;
  kms: KmsConfig;
  sseCAllowInsecure: boolean;
  audit: {
    dir: string | undefined;
    maxBytes: number;
    maxAgeMs: number;
    retainCount: number;
    gzip: boolean;
    fsync: 'none' | 'interval' | 'always';
    queueMax: number;
  };
  metrics: { auth: 'public' | 'bearer'; token: string | undefined };
  bandwidthMaxBytesPerSec: number | undefined;
  configCache: { ttlMs: number; entriesMax: number };
  multipartStaleAgeMs: number;
  heal: { scanIntervalMs: number; objectsPerSecMax: number };
  adminRate: { burst: number; perMinute: number };
  shutdownGraceMs: number;
  /** A request body that sends nothing, or a response the client reads nothing of, for this long is cut off. */
  idleTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const defaultDrives = './data/drive{1...4}';

function drives(env: Env): string[] {
  const raw = str(env, 'CAIRN_DRIVES') ?? defaultDrives;
  const list = expandList('CAIRN_DRIVES', raw).map((p) => resolve(p));
  if (list.length < 1 || list.length > 16) throw new ConfigError('CAIRN_DRIVES', '1 to 16 directories (comma-separated or {1...N})', raw);
  if (new Set(list).size !== list.length) throw new ConfigError('CAIRN_DRIVES', 'distinct directories', raw);
  return list;
}

function kmsConfig(env: Env): KmsConfig {
  const backend = oneOf(env, 'CAIRN_KMS_BACKEND', ['local', 'vault', 'none'] as const, 'local');
  const autoCreate = flag(env, 'CAIRN_KMS_AUTO_CREATE', true);
  const defaultKeyId = str(env, 'CAIRN_KMS_DEFAULT_KEY') ?? str(env, 'CAIRN_KMS_VAULT_KEY_NAME') ?? 'cairn-default';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(defaultKeyId)) throw new ConfigError('CAIRN_KMS_DEFAULT_KEY', 'a key name of letters, digits, . _ - (max 128)', defaultKeyId);
  if (backend === 'none') return { backend };
  if (backend === 'local') {
    const secretKey = str(env, 'CAIRN_KMS_SECRET_KEY');
    const secretKeyFile = str(env, 'CAIRN_KMS_SECRET_KEY_FILE');
    if (secretKey !== undefined && secretKeyFile !== undefined) throw new ConfigError('CAIRN_KMS_SECRET_KEY', 'only one of CAIRN_KMS_SECRET_KEY and CAIRN_KMS_SECRET_KEY_FILE', '(set)');
    if (secretKey !== undefined) checkMasterKey('CAIRN_KMS_SECRET_KEY', secretKey);
    if (secretKeyFile !== undefined) checkMasterKey('CAIRN_KMS_SECRET_KEY_FILE', readSecretFile('CAIRN_KMS_SECRET_KEY_FILE', secretKeyFile));
    return { backend, secretKey, secretKeyFile, autoCreate, defaultKeyId };
  }
  // CAIRN_KMS_VAULT_ADDR is accepted too, after Vault's own VAULT_ADDR.
  const endpoint = str(env, 'CAIRN_KMS_VAULT_ENDPOINT') ?? str(env, 'CAIRN_KMS_VAULT_ADDR');
  if (endpoint === undefined || !/^https?:\/\/[^\s/]+/.test(endpoint)) throw new ConfigError('CAIRN_KMS_VAULT_ENDPOINT', 'the Vault URL, for example https://vault.example:8200', endpoint ?? '');
  const token = str(env, 'CAIRN_KMS_VAULT_TOKEN');
  const appRoleId = str(env, 'CAIRN_KMS_VAULT_APPROLE_ID');
  const appRoleSecretId = str(env, 'CAIRN_KMS_VAULT_APPROLE_SECRET') ?? str(env, 'CAIRN_KMS_VAULT_APPROLE_SECRET_ID');
  if (token === undefined && (appRoleId === undefined || appRoleSecretId === undefined)) {
    throw new ConfigError('CAIRN_KMS_VAULT_TOKEN', 'a token, or both CAIRN_KMS_VAULT_APPROLE_ID and CAIRN_KMS_VAULT_APPROLE_SECRET', '');
  }
  return {
    backend,
    endpoint: endpoint.replace(/\/+$/, ''),
    mount: (str(env, 'CAIRN_KMS_VAULT_MOUNT') ?? 'transit').replace(/^\/+|\/+$/g, ''),
    namespace: str(env, 'CAIRN_KMS_VAULT_NAMESPACE'),
    token,
    appRoleId,
    appRoleSecretId,
    autoCreate,
    defaultKeyId,
    timeoutMs: duration(env, 'CAIRN_KMS_VAULT_TIMEOUT', 5_000),
    retriesMax: int(env, 'CAIRN_KMS_VAULT_RETRIES', 3, 0, 10),
  };
}

function readSecretFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new ConfigError(name, 'a readable file holding name:base64(32 bytes)', path);
  }
}

/** Validates shape only; never echoes the secret. */
function checkMasterKey(name: string, value: string): void {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}):([A-Za-z0-9+/=]+)$/.exec(value);
  const ok = m !== null && m[2] !== undefined && Buffer.from(m[2], 'base64').length === 32;
  if (!ok) throw new ConfigError(name, 'name:base64(32 random bytes), e.g. my-key:$(head -c32 /dev/urandom | base64)', '(hidden)');
}

function tls(env: Env): Config['tls'] {
  const certFile = str(env, 'CAIRN_TLS_CERT');
  const keyFile = str(env, 'CAIRN_TLS_KEY');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new ConfigError('CAIRN_TLS_CERT', 'a PEM certificate path (CAIRN_TLS_KEY is set)', '');
  if (keyFile === undefined) throw new ConfigError('CAIRN_TLS_KEY', 'a PEM private key path (CAIRN_TLS_CERT is set)', '');
  return { certFile: resolve(certFile), keyFile: resolve(keyFile) };
}

function credentials(env: Env): Pick<Config, 'rootUser' | 'rootPassword'> {
  const rootUser = str(env, 'CAIRN_ROOT_USER');
  const rootPassword = str(env, 'CAIRN_ROOT_PASSWORD');
  if ((rootUser === undefined) !== (rootPassword === undefined)) {
    throw new ConfigError(rootUser === undefined ? 'CAIRN_ROOT_USER' : 'CAIRN_ROOT_PASSWORD', 'both CAIRN_ROOT_USER and CAIRN_ROOT_PASSWORD, or neither', '');
  }
  if (rootUser !== undefined && !/^[\x21-\x7e]{3,128}$/.test(rootUser)) throw new ConfigError('CAIRN_ROOT_USER', '3 to 128 printable ASCII characters without spaces', rootUser);
  if (rootPassword !== undefined && !/^[\x21-\x7e]{8,256}$/.test(rootPassword)) throw new ConfigError('CAIRN_ROOT_PASSWORD', '8 to 256 printable ASCII characters without spaces', '(hidden)');
  return { rootUser, rootPassword };
}

export function loadConfig(env: Env): Config {
  const driveList = drives(env);
  const parityMax = Math.floor(driveList.length / 2);
  const parity = str(env, 'CAIRN_PARITY') === undefined ? undefined : int(env, 'CAIRN_PARITY', 0, 0, parityMax);
  const domain = str(env, 'CAIRN_DOMAIN');
  if (domain !== undefined && !/^[a-z0-9.-]+(:\d+)?$/i.test(domain)) throw new ConfigError('CAIRN_DOMAIN', 'a host name such as s3.example.com', domain);
  // Default: bearer when a token is configured, otherwise public (the quickstart scrapes unauthenticated).
  const metricsToken = str(env, 'CAIRN_METRICS_TOKEN');
  const metricsAuth = oneOf(env, 'CAIRN_METRICS_AUTH', ['public', 'bearer'] as const, metricsToken === undefined ? 'public' : 'bearer');
  if (metricsAuth === 'bearer' && metricsToken === undefined) throw new ConfigError('CAIRN_METRICS_TOKEN', 'a bearer token of at least 16 characters (CAIRN_METRICS_AUTH=bearer)', '');
  if (metricsToken !== undefined && metricsToken.length < 16) throw new ConfigError('CAIRN_METRICS_TOKEN', 'a bearer token of at least 16 characters', '(hidden)');
  const bandwidth = str(env, 'CAIRN_BANDWIDTH_MAX_BYTES_PER_SEC') === undefined ? undefined : bytes(env, 'CAIRN_BANDWIDTH_MAX_BYTES_PER_SEC', 0);
  if (bandwidth !== undefined && bandwidth < 1024) throw new ConfigError('CAIRN_BANDWIDTH_MAX_BYTES_PER_SEC', 'at least 1024 bytes per second', String(bandwidth));
  const auditDir = str(env, 'CAIRN_AUDIT_DIR');
  const config: Config = {
    address: address(env, 'CAIRN_ADDRESS', ':9000'),
    drives: driveList,
    stateDir: resolve(str(env, 'CAIRN_STATE_DIR') ?? join(dirname(driveList[0] ?? './data/drive1'), '.cairn')),
    parity,
    fsync: flag(env, 'CAIRN_FSYNC', true),
    region: str(env, 'CAIRN_REGION') ?? 'us-east-1',
    ...credentials(env),
    credentialsFile: str(env, 'CAIRN_CREDENTIALS_FILE'),
    domain: domain?.toLowerCase(),
    tls: tls(env),
    kms: kmsConfig(env),
    sseCAllowInsecure: flag(env, 'CAIRN_SSE_C_ALLOW_INSECURE', false),
    audit: {
      dir: auditDir === undefined ? undefined : resolve(auditDir),
      maxBytes: bytes(env, 'CAIRN_AUDIT_MAX_BYTES', 100 * 1024 * 1024),
      maxAgeMs: duration(env, 'CAIRN_AUDIT_MAX_AGE', 24 * 3_600_000),
      retainCount: int(env, 'CAIRN_AUDIT_RETAIN', 10, 1, 10_000),
      gzip: flag(env, 'CAIRN_AUDIT_GZIP', false),
      fsync: oneOf(env, 'CAIRN_AUDIT_FSYNC', ['none', 'interval', 'always'] as const, 'interval'),
      queueMax: int(env, 'CAIRN_AUDIT_QUEUE', 10_000, 1, 1_000_000),
    },
    metrics: { auth: metricsAuth, token: metricsToken },
    bandwidthMaxBytesPerSec: bandwidth,
    configCache: { ttlMs: duration(env, 'CAIRN_CONFIG_CACHE_TTL', 60_000), entriesMax: int(env, 'CAIRN_CONFIG_CACHE_SIZE', 10_000, 1, 10_000_000) },
    multipartStaleAgeMs: duration(env, 'CAIRN_MULTIPART_STALE_AGE', 7 * 86_400_000),
    heal: { scanIntervalMs: duration(env, 'CAIRN_HEAL_SCAN_INTERVAL', 3_600_000), objectsPerSecMax: int(env, 'CAIRN_HEAL_RATE', 100, 1, 100_000) },
    adminRate: { burst: int(env, 'CAIRN_ADMIN_RATE_BURST', 10, 1, 10_000), perMinute: int(env, 'CAIRN_ADMIN_RATE_PER_MIN', 60, 1, 100_000) },
    shutdownGraceMs: duration(env, 'CAIRN_SHUTDOWN_GRACE', 30_000),
    idleTimeoutMs: duration(env, 'CAIRN_IDLE_TIMEOUT', 30_000),
    logLevel: oneOf(env, 'CAIRN_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Where generated state lives; the server and the CLI must agree. */
export function statePaths(config: Pick<Config, 'stateDir'>): { rootCredentialsDir: string; generatedKeyDir: string } {
  return { rootCredentialsDir: config.stateDir, generatedKeyDir: config.stateDir };
}
