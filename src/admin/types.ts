// What the admin API needs from the rest of Cairn, injected by main.ts.
import type { Kms } from '../kms/types.ts';
import type { CredentialStore } from '../s3/credentials.ts';
import type { BucketName, ObjectStore } from '../storage/types.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { AuditSink } from '../observe/audit.ts';
import type { CairnMetrics } from '../observe/cairnMetrics.ts';
import type { ConfigCache } from '../observe/configCache.ts';
import type { RateLimiter } from '../observe/rateLimit.ts';
import type { TransferRegistry } from '../observe/transfers.ts';
import type { HealRunner } from './healRunner.ts';
import type { RewrapRunner } from './rewrap.ts';

export const adminPrefix = '/cairn/admin/v1';

export interface AdminDeps {
  version: string;
  startedMs: number;
  store: Pick<ObjectStore, 'info' | 'heal' | 'healCounters' | 'readSystem'>;
  /** Undefined when CAIRN_KMS_BACKEND=none. */
  kms: Kms | undefined;
  kmsDefaultKeyId: string | undefined;
  kmsAutoCreate: boolean;
  settings: Pick<ConfigCache, 'getSetting' | 'putSetting'>;
  credentials: CredentialStore;
  region: string;
  clock: Clock;
  audit: AuditSink;
  rateLimiter: RateLimiter;
  metrics?: Pick<CairnMetrics, 'adminRequests' | 'rateLimited'>;
  transfers: TransferRegistry;
  heal: HealRunner;
  /** System document the rewrap job checkpoints its progress to. */
  rewrapCheckpointName: string;
  /** The background rewrap job; undefined without a KMS. */
  rewrap?: RewrapRunner | undefined;
  newRequestId: () => string;
  logger: Logger;
}

/** One authenticated admin call, as a handler sees it. */
export interface AdminCall {
  req: Request;
  requestId: string;
  accessKey: string;
  params: { bucket?: BucketName; keyId?: string };
  body: Uint8Array;
  /** Filled in by handlers for the audit line. */
  audit: { bucket?: string; kmsKeyId?: string; detail?: Record<string, string | number | boolean> };
}

export type AdminHandler = (call: AdminCall, deps: AdminDeps) => Promise<Response>;
