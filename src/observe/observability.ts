// The first things main.ts builds, before the store and the KMS: the metrics
// registry and the audit log, plus the sink the metered KMS reports into (which
// feeds KMS metrics and audits key management and KMS failures).
import type { Config } from '../config/config.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { AuditLog, nullAudit, type AuditSink } from './audit.ts';
import { AuditSanitizer } from './auditEvent.ts';
import { createCairnMetrics, type CairnMetrics, type KmsMetricsSink } from './cairnMetrics.ts';

/** KMS calls worth an audit line even when they succeed: they change keys. */
const kmsManagementOperations = new Set(['createKey', 'rotateKey', 'setMinDecryptionVersion']);
/** Failures that are the caller's mistake are in the S3 line already; these point at the KMS itself. */
const kmsOutageCodes = new Set(['Unavailable', 'PermissionDenied', 'Internal']);

export interface Observability {
  readonly metrics: CairnMetrics;
  readonly audit: AuditSink;
  /** Pass to buildKms / MeteredKms. */
  readonly kmsSink: KmsMetricsSink;
  close(): Promise<void>;
}

/** Values that must never reach the audit log, whatever a caller passes in. */
export function configSecrets(config: Config): (string | undefined)[] {
  const kms = config.kms;
  const kmsSecrets = kms.backend === 'local' ? [kms.secretKey, kms.secretKey?.split(':')[1]] : kms.backend === 'vault' ? [kms.token, kms.appRoleSecretId] : [];
  return [config.rootPassword, config.metrics.token, ...kmsSecrets];
}

export async function createObservability(o: { config: Config; version: string; clock: Clock; logger: Logger }): Promise<Observability> {
  const { config, clock, logger } = o;
  const metrics = createCairnMetrics(o.version);
  const auditLog = config.audit.dir === undefined ? undefined : await AuditLog.open({
    ...config.audit,
    dir: config.audit.dir,
    clock,
    sanitizer: new AuditSanitizer(configSecrets(config)),
    counters: { written: (n) => metrics.auditWritten.inc({}, n), dropped: (n) => metrics.auditDropped.inc({}, n), queueLength: (n) => metrics.auditQueue.set({}, n) },
    logger,
  });
  const audit: AuditSink = auditLog ?? nullAudit;
  const kmsSink: KmsMetricsSink = {
    record(e) {
      metrics.kmsSink.record(e);
      const failed = e.errorCode !== undefined;
      if (!kmsManagementOperations.has(e.operation) && !(failed && kmsOutageCodes.has(e.errorCode ?? ''))) return;
      audit.record({ kind: 'kms', requestId: '', operation: `kms.${e.operation}`, status: failed ? 500 : 200, durationMs: e.durationMs, errorCode: e.errorCode, detail: { backend: e.backend } });
    },
  };
  return { metrics, audit, kmsSink, close: async () => { await auditLog?.close(); } };
}
