// The operations layer main.ts mounts in front of the S3 app: health, metrics and
// admin routes; per-request metrics and audit from the app's request hook; and
// bandwidth limits, in-flight counts and transfer tracking around every body.
import type { Config } from '../config/config.ts';
import type { Kms, KmsHealth } from '../kms/types.ts';
import type { CredentialStore } from '../s3/credentials.ts';
import { rawRequestOf } from '../s3/raw-target.ts';
import type { ObjectStore } from '../storage/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { cryptoRandom, type Random } from '../util/random.ts';
import type { AuditSink } from '../observe/audit.ts';
import type { AuditSseMode } from '../observe/auditEvent.ts';
import { BandwidthLimiter, bandwidthSettingName } from '../observe/bandwidth.ts';
import { addKmsCollector, addProcessCollector, addStorageCollector, type CairnMetrics } from '../observe/cairnMetrics.ts';
import { ConfigCache, withConfigCache } from '../observe/configCache.ts';
import { handleHealth } from '../observe/health.ts';
import { handleMetrics } from '../observe/metricsEndpoint.ts';
import type { Observability } from '../observe/observability.ts';
import { RateLimiter } from '../observe/rateLimit.ts';
import { TransferRegistry } from '../observe/transfers.ts';
import { HealRunner } from './healRunner.ts';
import { RewrapRunner, rewrapCheckpointDefault } from './rewrap.ts';
import { handleAdmin } from './router.ts';
import type { AdminDeps } from './types.ts';
import { wrapTransfer } from './traffic.ts';

/** What the S3 app reports when a request has finished (its onRequestDone hook). */
export interface S3RequestDone {
  requestId?: string | undefined;
  operation: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  accessKey?: string | undefined;
  bucket?: string | undefined;
  key?: string | undefined;
  sseMode?: AuditSseMode | undefined;
  kmsKeyId?: string | undefined;
  errorCode?: string | undefined;
}

export interface OpsOptions {
  config: Config;
  version: string;
  store: ObjectStore;
  /** Already wrapped in MeteredKms with `metrics.kmsSink`; undefined without a KMS. */
  kms: Kms | undefined;
  credentials: CredentialStore;
  clock: Clock;
  logger: Logger;
  isShuttingDown: () => boolean;
  /** Built first (createObservability), since the KMS reports into its sink. */
  observability: Observability;
  random?: Random;
  /** The system document the rewrap job checkpoints to. */
  rewrapCheckpointName?: string;
}

export interface OpsLayer {
  readonly metrics: CairnMetrics;
  readonly configCache: ConfigCache;
  /** The store to hand the S3 app: bucket metadata read through the config cache, writes invalidate it. */
  readonly s3Store: ObjectStore;
  readonly audit: AuditSink;
  readonly transfers: TransferRegistry;
  readonly bandwidth: BandwidthLimiter;
  /** Answers /cairn/health/*, /minio/health/*, /cairn/metrics and /cairn/admin/v1/*; undefined for anything else. */
  handle(req: Request): Promise<Response | undefined>;
  /** Wraps the S3 app's fetch: ops routes first, then bandwidth, in-flight and transfer tracking around the app. */
  wrap(next: (req: Request) => Promise<Response> | Response): (req: Request) => Promise<Response>;
  onRequestDone(event: S3RequestDone): void;
  close(): Promise<void>;
}

function isOpsPath(rawPath: string): boolean {
  return rawPath.startsWith('/cairn/') || rawPath.startsWith('/minio/health/');
}

const encryptOperations = new Set(['PutObject', 'UploadPart', 'CopyObject', 'UploadPartCopy', 'PostObject']);
const decryptOperations = new Set(['GetObject']);
const kmsHealthCacheMs = 2000;

/** Probes may come every second; the KMS is asked at most every couple of seconds. */
function cachedKmsHealth(kms: Kms, clock: Clock): () => Promise<KmsHealth> {
  let last: { atMs: number; result: Promise<KmsHealth> } | undefined;
  return () => {
    const now = clock.nowMs();
    if (last === undefined || now - last.atMs >= kmsHealthCacheMs) last = { atMs: now, result: kms.health() };
    return last.result;
  };
}

function requestIdFrom(random: Random): () => string {
  return () => Buffer.from(random.bytes(8)).toString('hex').toUpperCase();
}

export async function createOpsLayer(o: OpsOptions): Promise<OpsLayer> {
  const { config, clock, logger } = o;
  const random = o.random ?? cryptoRandom;
  const { metrics, audit } = o.observability;
  addStorageCollector(metrics, o.store);
  addProcessCollector(metrics, clock.nowMs());
  const kmsHealth = o.kms === undefined ? undefined : cachedKmsHealth(o.kms, clock);
  if (kmsHealth !== undefined) addKmsCollector(metrics, kmsHealth);

  const configCache = new ConfigCache(o.store, {
    ...config.configCache,
    clock,
    sink: { hit: () => metrics.cacheHits.inc({}), miss: () => metrics.cacheMisses.inc({}), eviction: () => metrics.cacheEvictions.inc({}) },
  });
  metrics.registry.addCollector(() => metrics.cacheEntries.set({}, configCache.stats().entries));
  await configCache.warm().catch((e: unknown) => logger.warn('config cache warm-up failed', { error: String(e) }));

  const transfers = new TransferRegistry(clock);
  const bandwidth = new BandwidthLimiter({
    globalBytesPerSec: config.bandwidthMaxBytesPerSec,
    bucketSetting: (bucket) => configCache.getSetting(bucket, bandwidthSettingName),
    clock,
    onWaitMs: (scope, ms) => metrics.throttledSeconds.inc({ scope }, ms / 1000),
  });
  const adminDeps: AdminDeps = {
    version: o.version,
    startedMs: clock.nowMs(),
    store: o.store,
    kms: o.kms,
    kmsDefaultKeyId: config.kms.backend === 'none' ? undefined : config.kms.defaultKeyId,
    kmsAutoCreate: config.kms.backend !== 'none' && config.kms.autoCreate,
    settings: configCache,
    credentials: o.credentials,
    region: config.region,
    clock,
    audit,
    rateLimiter: new RateLimiter(config.adminRate.burst, config.adminRate.perMinute, clock),
    metrics,
    transfers,
    heal: new HealRunner(o.store, clock, logger),
    rewrapCheckpointName: o.rewrapCheckpointName ?? rewrapCheckpointDefault,
    rewrap: o.kms === undefined ? undefined : new RewrapRunner({ store: o.store, kms: o.kms, clock, logger, checkpointName: o.rewrapCheckpointName ?? rewrapCheckpointDefault }),
    newRequestId: requestIdFrom(random),
    logger,
  };
  const metricsAuth = config.metrics.auth === 'bearer' && config.metrics.token !== undefined ? { mode: 'bearer' as const, token: config.metrics.token } : { mode: 'public' as const };
  const healthDeps = { storageInfo: () => o.store.info(), kmsHealth, isShuttingDown: o.isShuttingDown };

  const handle = async (req: Request): Promise<Response | undefined> => {
    // Cheap test first: every S3 request passes through here.
    if (!isOpsPath(rawRequestOf(req).rawPath)) return undefined;
    return (await handleHealth(req, healthDeps)) ?? (await handleMetrics(req, { registry: metrics.registry, auth: metricsAuth, logger })) ?? (await handleAdmin(req, adminDeps));
  };

  const onRequestDone = (e: S3RequestDone): void => {
    metrics.onRequestDone(e);
    const ok = e.status >= 200 && e.status < 300;
    if (ok && e.sseMode !== undefined && (encryptOperations.has(e.operation) || decryptOperations.has(e.operation))) {
      metrics.encryptionOps.inc({ mode: e.sseMode, direction: encryptOperations.has(e.operation) ? 'encrypt' : 'decrypt' });
    }
    audit.record({ kind: 's3', ...e, requestId: e.requestId ?? '' });
  };

  return {
    metrics,
    configCache,
    s3Store: withConfigCache(o.store, configCache),
    audit,
    transfers,
    bandwidth,
    handle,
    wrap: (next) => async (req) => (await handle(req)) ?? wrapTransfer(req, next, { metrics, bandwidth, transfers, domain: config.domain, newId: adminDeps.newRequestId, logger }),
    onRequestDone,
    close: () => o.observability.close(),
  };
}
