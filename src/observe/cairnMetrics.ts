// Every series Cairn exports, in one place, plus the scrape-time collectors that
// pull drive and heal state from the store and KMS health from the KMS.
import { readdir } from 'node:fs/promises';
import type { ObjectStore } from '../storage/types.ts';
import { Registry, type Counter, type Gauge, type Histogram } from './metrics.ts';

export type SseMode = 'none' | 'sse-s3' | 'sse-kms' | 'sse-c';
export type CryptoDirection = 'encrypt' | 'decrypt';

/** What the metered KMS wrapper reports into: one call per KMS operation. */
export interface KmsMetricsSink {
  record(event: { operation: string; backend: string; durationMs: number; errorCode?: string | undefined }): void;
}

/** One finished S3 request, as the S3 app's request hook reports it. */
export interface RequestMetricsEvent {
  operation: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
}

export interface CairnMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'operation' | 'status'>;
  readonly requestSeconds: Histogram<'operation'>;
  readonly bytesIn: Counter<'operation'>;
  readonly bytesOut: Counter<'operation'>;
  readonly inFlight: Gauge;
  readonly encryptionOps: Counter<'mode' | 'direction'>;
  readonly kmsOps: Counter<'operation' | 'backend'>;
  readonly kmsErrors: Counter<'operation' | 'backend' | 'code'>;
  readonly kmsSeconds: Histogram<'operation' | 'backend'>;
  readonly kmsUp: Gauge;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheEvictions: Counter;
  readonly cacheEntries: Gauge;
  readonly driveState: Gauge<'drive' | 'state'>;
  readonly driveFreeBytes: Gauge<'drive'>;
  readonly driveTotalBytes: Gauge<'drive'>;
  readonly driveErrors: Counter<'drive'>;
  readonly drivesOnline: Gauge;
  readonly drivesTotal: Gauge;
  readonly writeQuorum: Gauge;
  readonly readQuorum: Gauge;
  readonly healQueue: Gauge;
  readonly healObjects: Counter;
  readonly healShards: Counter;
  readonly healScanned: Counter;
  readonly healBitrot: Counter;
  readonly healFailures: Counter;
  readonly auditWritten: Counter;
  readonly auditDropped: Counter;
  readonly auditQueue: Gauge;
  readonly adminRequests: Counter<'operation' | 'status'>;
  readonly rateLimited: Counter<'scope'>;
  readonly throttledSeconds: Counter<'scope'>;
  readonly buildInfo: Gauge<'version'>;
  readonly kmsSink: KmsMetricsSink;
  onRequestDone(event: RequestMetricsEvent): void;
}

const driveStates = ['online', 'offline', 'healing'] as const;
/** S3 operation names are a closed set, but the bound keeps a bug from exploding the series count. */
const operationSeriesMax = 200;

export function createCairnMetrics(version: string, registry = new Registry()): CairnMetrics {
  const r = registry;
  const m = {
    registry: r,
    requests: r.counter('cairn_s3_requests_total', 'S3 requests by operation and HTTP status.', ['operation', 'status'], operationSeriesMax * 8),
    requestSeconds: r.histogram('cairn_s3_request_duration_seconds', 'S3 request latency from first byte in to last byte out.', ['operation'], undefined, operationSeriesMax),
    bytesIn: r.counter('cairn_s3_received_bytes_total', 'Request body bytes received.', ['operation'], operationSeriesMax),
    bytesOut: r.counter('cairn_s3_sent_bytes_total', 'Response body bytes sent.', ['operation'], operationSeriesMax),
    inFlight: r.gauge('cairn_s3_requests_in_flight', 'S3 requests being served now.'),
    encryptionOps: r.counter('cairn_encryption_operations_total', 'Object encryptions and decryptions by SSE mode.', ['mode', 'direction'], 16),
    kmsOps: r.counter('cairn_kms_operations_total', 'KMS calls by operation.', ['operation', 'backend'], 64),
    kmsErrors: r.counter('cairn_kms_errors_total', 'Failed KMS calls by operation and error code.', ['operation', 'backend', 'code'], 256),
    kmsSeconds: r.histogram('cairn_kms_operation_duration_seconds', 'KMS call latency.', ['operation', 'backend'], undefined, 64),
    kmsUp: r.gauge('cairn_kms_up', '1 when the KMS health check passed at the last scrape, 0 when it failed; absent without a KMS.'),
    cacheHits: r.counter('cairn_config_cache_hits_total', 'Bucket setting lookups served from the cache.'),
    cacheMisses: r.counter('cairn_config_cache_misses_total', 'Bucket setting lookups that read the store.'),
    cacheEvictions: r.counter('cairn_config_cache_evictions_total', 'Cache entries evicted by size or TTL.'),
    cacheEntries: r.gauge('cairn_config_cache_entries', 'Buckets held in the settings cache.'),
    driveState: r.gauge('cairn_drive_state', '1 for the state each drive is in (online, offline, healing), 0 for the others.', ['drive', 'state'], 16 * 3),
    driveFreeBytes: r.gauge('cairn_drive_free_bytes', 'Free bytes on the file system holding the drive.', ['drive'], 16),
    driveTotalBytes: r.gauge('cairn_drive_total_bytes', 'Size of the file system holding the drive.', ['drive'], 16),
    driveErrors: r.counter('cairn_drive_errors_total', 'I/O errors seen on the drive since start.', ['drive'], 16),
    drivesOnline: r.gauge('cairn_drives_online', 'Drives online.'),
    drivesTotal: r.gauge('cairn_drives', 'Drives in the erasure set.'),
    writeQuorum: r.gauge('cairn_write_quorum_drives', 'Drives that must be online for writes to succeed.'),
    readQuorum: r.gauge('cairn_read_quorum_drives', 'Drives that must be online for reads to succeed.'),
    healQueue: r.gauge('cairn_heal_queue_length', 'Objects waiting to be healed.'),
    healObjects: r.counter('cairn_heal_objects_healed_total', 'Objects healed.'),
    healShards: r.counter('cairn_heal_shards_healed_total', 'Shards rewritten by healing.'),
    healScanned: r.counter('cairn_heal_objects_scanned_total', 'Objects checked by the heal scanner.'),
    healBitrot: r.counter('cairn_heal_bitrot_detected_total', 'Shard blocks whose checksum did not match.'),
    healFailures: r.counter('cairn_heal_failures_total', 'Heal attempts that failed.'),
    auditWritten: r.counter('cairn_audit_events_written_total', 'Audit events written to the audit log.'),
    auditDropped: r.counter('cairn_audit_events_dropped_total', 'Audit events dropped because the queue was full or the log could not be written.'),
    auditQueue: r.gauge('cairn_audit_queue_length', 'Audit events waiting to be written.'),
    adminRequests: r.counter('cairn_admin_requests_total', 'Admin API calls by operation and HTTP status.', ['operation', 'status'], 256),
    rateLimited: r.counter('cairn_rate_limited_total', 'Requests refused with 429 by a rate limit.', ['scope'], 16),
    throttledSeconds: r.counter('cairn_bandwidth_throttled_seconds_total', 'Time transfers spent waiting on a bandwidth limit.', ['scope'], 16),
    buildInfo: r.gauge('cairn_build_info', 'Always 1; the version label names the running build.', ['version'], 1),
  };
  m.buildInfo.set({ version }, 1);
  const kmsSink: KmsMetricsSink = {
    record(e) {
      const labels = { operation: e.operation, backend: e.backend };
      m.kmsOps.inc(labels);
      m.kmsSeconds.observe(labels, e.durationMs / 1000);
      if (e.errorCode !== undefined) m.kmsErrors.inc({ ...labels, code: e.errorCode });
    },
  };
  const onRequestDone = (e: RequestMetricsEvent): void => {
    m.requests.inc({ operation: e.operation, status: String(e.status) });
    m.requestSeconds.observe({ operation: e.operation }, e.durationMs / 1000);
    if (e.bytesIn > 0) m.bytesIn.inc({ operation: e.operation }, e.bytesIn);
    if (e.bytesOut > 0) m.bytesOut.inc({ operation: e.operation }, e.bytesOut);
  };
  return { ...m, kmsSink, onRequestDone };
}

/** Drive, quorum and heal series are read from the store at scrape time, so they are never stale. */
export function addStorageCollector(m: CairnMetrics, store: Pick<ObjectStore, 'info' | 'healCounters'>): void {
  m.registry.addCollector(async () => {
    const info = await store.info();
    m.driveState.reset();
    m.driveFreeBytes.reset();
    m.driveTotalBytes.reset();
    for (const d of info.drives) {
      const drive = String(d.index);
      for (const state of driveStates) m.driveState.set({ drive, state }, d.state === state ? 1 : 0);
      m.driveFreeBytes.set({ drive }, d.freeBytes);
      m.driveTotalBytes.set({ drive }, d.totalBytes);
      m.driveErrors.mirror({ drive }, d.errors);
    }
    m.drivesOnline.set({}, info.drives.filter((d) => d.state === 'online').length);
    m.drivesTotal.set({}, info.drives.length);
    m.writeQuorum.set({}, info.writeQuorum);
    m.readQuorum.set({}, info.readQuorum);
  });
  m.registry.addCollector(() => {
    const h = store.healCounters();
    m.healQueue.set({}, h.queued);
    m.healObjects.mirror({}, h.healedObjects);
    m.healShards.mirror({}, h.healedShards);
    m.healScanned.mirror({}, h.scannedObjects);
    m.healBitrot.mirror({}, h.bitrotDetected);
    m.healFailures.mirror({}, h.failures);
  });
}

/** KMS reachability as a gauge, so alerts need not infer it from error rates. */
export function addKmsCollector(m: CairnMetrics, health: () => Promise<{ online: boolean }>): void {
  m.registry.addCollector(async () => {
    try {
      m.kmsUp.set({}, (await health()).online ? 1 : 0);
    } catch {
      m.kmsUp.set({}, 0);
    }
  });
}

/** The standard process series (as Prometheus client libraries name them), read at scrape time. */
export function addProcessCollector(m: CairnMetrics, startMs: number): void {
  const r = m.registry;
  const start = r.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds.');
  const cpu = r.counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
  const rss = r.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  const heap = r.gauge('process_heap_bytes', 'JavaScript heap in use, in bytes.');
  const fds = r.gauge('process_open_fds', 'Open file descriptors (Linux).');
  start.set({}, startMs / 1000);
  r.addCollector(async () => {
    const usage = process.cpuUsage();
    cpu.mirror({}, (usage.user + usage.system) / 1e6);
    const mem = process.memoryUsage();
    rss.set({}, mem.rss);
    heap.set({}, mem.heapUsed);
    try {
      fds.set({}, (await readdir('/proc/self/fd')).length);
    } catch {
      // Not Linux: the gauge stays at its last value (0).
    }
  });
}
