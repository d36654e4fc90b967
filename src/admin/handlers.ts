// The admin API handlers: JSON in, JSON out. Routing, auth, rate limits and
// audit happen in router.ts; each handler only does its one job.
import { validateKeyId } from '../kms/key-id.ts';
import { KmsError } from '../kms/types.ts';
import type { BucketName, ObjectKey } from '../storage/types.ts';
import { assert } from '../util/assert.ts';
import { bandwidthMaxBytesPerSec, bandwidthMinBytesPerSec, bandwidthSettingName, formatBandwidthSetting, parseBandwidthSetting } from '../observe/bandwidth.ts';
import { encryptionSettingName, formatBucketEncryption, parseBucketEncryption, readBucketEncryption } from './bucketEncryption.ts';
import { AdminError, json, parseJson } from './http.ts';
import { isBucketName } from './names.ts';
import { ownerSettingName } from '../s3/owners.ts';
import type { AdminCall, AdminDeps, AdminHandler } from './types.ts';

function requireKms(deps: AdminDeps): NonNullable<AdminDeps['kms']> {
  if (deps.kms === undefined) throw new AdminError(501, 'NotImplemented', 'no KMS is configured (CAIRN_KMS_BACKEND=none)');
  return deps.kms;
}

function bucketOf(call: AdminCall): BucketName {
  assert(call.params.bucket !== undefined, 'route gives a bucket');
  call.audit.bucket = call.params.bucket;
  return call.params.bucket;
}

function keyIdOf(call: AdminCall): string {
  assert(call.params.keyId !== undefined, 'route gives a key id');
  const keyId = validateKeyId(call.params.keyId);
  call.audit.kmsKeyId = keyId;
  return keyId;
}

export const info: AdminHandler = async (_call, deps) => {
  const storage = await deps.store.info();
  let kms: Record<string, unknown> = { backend: 'none' };
  if (deps.kms !== undefined) {
    try {
      const h = await deps.kms.health();
      kms = { backend: h.backend, online: h.online, latencyMs: h.latencyMs ?? null, detail: h.detail ?? null, defaultKeyId: deps.kmsDefaultKeyId ?? null };
    } catch (e) {
      kms = { backend: deps.kms.backend, online: false, detail: e instanceof Error ? e.message.slice(0, 200) : 'health check failed' };
    }
  }
  return json(200, {
    version: deps.version,
    uptimeMs: deps.clock.nowMs() - deps.startedMs,
    deploymentId: storage.deploymentId,
    erasure: { dataShards: storage.dataShards, parityShards: storage.parityShards, blockSizeBytes: storage.blockSizeBytes, writeQuorum: storage.writeQuorum, readQuorum: storage.readQuorum },
    drives: storage.drives,
    kms,
  });
};

export const kmsKeysList: AdminHandler = async (_call, deps) => json(200, { keys: (await requireKms(deps).listKeys()).sort() });

export const kmsKeyCreate: AdminHandler = async (call, deps) => {
  const kms = requireKms(deps);
  const keyId = keyIdOf(call);
  await kms.createKey(keyId);
  return json(201, await kms.keyStatus(keyId));
};

export const kmsKeyStatus: AdminHandler = async (call, deps) => json(200, await requireKms(deps).keyStatus(keyIdOf(call)));

export const kmsKeyRotate: AdminHandler = async (call, deps) => json(200, await requireKms(deps).rotateKey(keyIdOf(call)));

export const bucketEncryptionGet: AdminHandler = async (call, deps) => {
  const current = readBucketEncryption(await deps.settings.getSetting(bucketOf(call), encryptionSettingName));
  if (current === undefined) throw new AdminError(404, 'ServerSideEncryptionConfigurationNotFoundError', 'the bucket has no default encryption');
  return json(200, current);
};

export const bucketEncryptionPut: AdminHandler = async (call, deps) => {
  const bucket = bucketOf(call);
  const config = parseBucketEncryption(parseJson(call.body));
  if (config.algorithm === 'aws:kms') {
    const kms = requireKms(deps);
    if (config.kmsKeyId !== undefined) {
      call.audit.kmsKeyId = config.kmsKeyId;
      await checkKeyUsable(kms, config.kmsKeyId, deps.kmsAutoCreate);
    }
  }
  // AES256 needs a KMS too: SSE-S3 object keys are sealed by a KMS data key.
  else requireKms(deps);
  await deps.settings.putSetting(bucket, encryptionSettingName, formatBucketEncryption(config));
  call.audit.detail = { algorithm: config.algorithm };
  return json(200, config);
};

async function checkKeyUsable(kms: NonNullable<AdminDeps['kms']>, keyId: string, autoCreate: boolean): Promise<void> {
  try {
    await kms.keyStatus(keyId);
  } catch (e) {
    if (e instanceof KmsError && e.code === 'KeyNotFound') {
      if (autoCreate) return; // created on first use
      throw new AdminError(400, 'KMS.NotFoundException', `KMS key ${keyId} does not exist`);
    }
    throw e;
  }
}

export const bucketEncryptionDelete: AdminHandler = async (call, deps) => {
  await deps.settings.putSetting(bucketOf(call), encryptionSettingName, null);
  return json(204, null);
};

export const bucketBandwidthGet: AdminHandler = async (call, deps) => {
  const rate = parseBandwidthSetting(await deps.settings.getSetting(bucketOf(call), bandwidthSettingName));
  return json(200, { bytesPerSec: rate ?? null });
};

export const bucketBandwidthPut: AdminHandler = async (call, deps) => {
  const bucket = bucketOf(call);
  const body = parseJson(call.body) as { bytesPerSec?: unknown } | null;
  const rate = typeof body === 'object' && body !== null ? body.bytesPerSec : undefined;
  if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < bandwidthMinBytesPerSec || rate > bandwidthMaxBytesPerSec) {
    throw new AdminError(400, 'InvalidArgument', `bytesPerSec must be an integer from ${bandwidthMinBytesPerSec} to ${bandwidthMaxBytesPerSec}`);
  }
  await deps.settings.putSetting(bucket, bandwidthSettingName, formatBandwidthSetting(rate));
  call.audit.detail = { bytesPerSec: rate };
  return json(200, { bytesPerSec: rate });
};

export const bucketBandwidthDelete: AdminHandler = async (call, deps) => {
  await deps.settings.putSetting(bucketOf(call), bandwidthSettingName, null);
  return json(204, null);
};

/** The user who owns a bucket (its access key), or null for root. */
export const bucketOwnerGet: AdminHandler = async (call, deps) => {
  return json(200, { owner: (await deps.settings.getSetting(bucketOf(call), ownerSettingName)) ?? null });
};

/** Hands a bucket to a user from the credentials file (`{"owner": "app"}`), or back to root (`{"owner": null}`). */
export const bucketOwnerPut: AdminHandler = async (call, deps) => {
  const bucket = bucketOf(call);
  const body = parseJson(call.body) as { owner?: unknown } | null;
  const owner = typeof body === 'object' && body !== null ? body.owner : undefined;
  if (owner !== null && (typeof owner !== 'string' || deps.credentials.lookup(owner) === undefined)) {
    throw new AdminError(400, 'InvalidArgument', 'owner must be the access key of a configured user, or null for root');
  }
  const userKey = owner === null || deps.credentials.lookup(owner)?.isRoot === true ? null : owner;
  await deps.settings.putSetting(bucket, ownerSettingName, userKey);
  call.audit.detail = { owner: userKey ?? 'root' };
  return json(200, { owner: userKey });
};

/** Body `{}` (or none) heals everything in the background, `{"bucket"}` one bucket; `{"bucket","key"}` heals one object now. */
export const healStart: AdminHandler = async (call, deps) => {
  const body = call.body.byteLength === 0 ? {} : parseJson(call.body);
  if (typeof body !== 'object' || body === null) throw new AdminError(400, 'InvalidArgument', 'expected {} or {"bucket":..., "key":...}');
  const { bucket, key } = body as { bucket?: unknown; key?: unknown };
  if (bucket === undefined && key === undefined) {
    const started = deps.heal.start();
    return json(202, { started, ...deps.heal.status() });
  }
  if (key === undefined && typeof bucket === 'string' && isBucketName(bucket)) {
    call.audit.bucket = bucket;
    // Validated just above: one bucket's objects are healed in the background.
    const started = deps.heal.start(bucket as BucketName);
    return json(202, { started, ...deps.heal.status() });
  }
  if (typeof bucket !== 'string' || typeof key !== 'string' || !isBucketName(bucket) || key === '' || Buffer.byteLength(key) > 1024) {
    throw new AdminError(400, 'InvalidArgument', 'bucket must be a bucket name and key 1-1024 bytes');
  }
  call.audit.bucket = bucket;
  // Validated just above: the only place these brands are created from the body.
  const result = await deps.store.heal(bucket as BucketName, key as ObjectKey);
  return json(200, result);
};

export const healStatus: AdminHandler = async (_call, deps) => json(200, { ...deps.heal.status(), counters: deps.store.healCounters() });

export const transfersList: AdminHandler = async (_call, deps) => json(200, { transfers: deps.transfers.list(), count: deps.transfers.size() });
