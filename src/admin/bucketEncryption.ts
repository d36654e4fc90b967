// Bucket default encryption as stored in the bucket setting `encryption`: the JSON
// equivalent of S3's ServerSideEncryptionConfiguration with its single rule.
// S3 PutBucketEncryption (XML) and the admin API (JSON) both write this form.

export const encryptionSettingName = 'encryption';

export type BucketEncryption =
  | { algorithm: 'AES256' }
  | { algorithm: 'aws:kms'; kmsKeyId?: string; bucketKeyEnabled?: boolean };

export class BucketEncryptionError extends Error {
  override name = 'BucketEncryptionError';
}

const keyIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Key ids as AWS clients send them: a bare name, or an ARN whose last part names the key. */
const arnPattern = /^arn:aws:kms:[^:]*:[^:]*:key\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

export function normalizeKmsKeyId(raw: string): string {
  const arn = arnPattern.exec(raw);
  const id = arn?.[1] ?? raw;
  if (!keyIdPattern.test(id)) throw new BucketEncryptionError('kmsKeyId must be 1-128 of [A-Za-z0-9._-], or an ARN ending in key/<name>');
  return id;
}

/** Validates untrusted JSON (admin API body or the stored setting) into the normal form. */
export function parseBucketEncryption(value: unknown): BucketEncryption {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BucketEncryptionError('expected a JSON object');
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!['algorithm', 'kmsKeyId', 'bucketKeyEnabled'].includes(k)) throw new BucketEncryptionError(`unknown field ${JSON.stringify(k).slice(0, 80)}`);
  }
  if (v['algorithm'] === 'AES256') {
    if (v['kmsKeyId'] !== undefined) throw new BucketEncryptionError('kmsKeyId is only allowed with algorithm aws:kms');
    if (v['bucketKeyEnabled'] !== undefined && typeof v['bucketKeyEnabled'] !== 'boolean') throw new BucketEncryptionError('bucketKeyEnabled must be a boolean');
    return { algorithm: 'AES256' };
  }
  if (v['algorithm'] !== 'aws:kms') throw new BucketEncryptionError('algorithm must be "AES256" or "aws:kms"');
  const out: { algorithm: 'aws:kms'; kmsKeyId?: string; bucketKeyEnabled?: boolean } = { algorithm: 'aws:kms' };
  const keyId = v['kmsKeyId'];
  if (keyId !== undefined && keyId !== '') {
    if (typeof keyId !== 'string') throw new BucketEncryptionError('kmsKeyId must be a string');
    out.kmsKeyId = normalizeKmsKeyId(keyId);
  }
  const bke = v['bucketKeyEnabled'];
  if (bke !== undefined) {
    if (typeof bke !== 'boolean') throw new BucketEncryptionError('bucketKeyEnabled must be a boolean');
    out.bucketKeyEnabled = bke;
  }
  return out;
}

/** Stable field order, so equal settings are equal strings. */
export function formatBucketEncryption(e: BucketEncryption): string {
  if (e.algorithm === 'AES256') return JSON.stringify({ algorithm: 'AES256' });
  const out: Record<string, string | boolean> = { algorithm: 'aws:kms' };
  if (e.kmsKeyId !== undefined) out['kmsKeyId'] = e.kmsKeyId;
  if (e.bucketKeyEnabled !== undefined) out['bucketKeyEnabled'] = e.bucketKeyEnabled;
  return JSON.stringify(out);
}

/** Reads the stored setting; undefined when absent. A corrupt value throws rather than silently meaning "no encryption". */
export function readBucketEncryption(setting: string | undefined): BucketEncryption | undefined {
  if (setting === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(setting);
  } catch {
    throw new BucketEncryptionError('stored encryption setting is not JSON');
  }
  return parseBucketEncryption(parsed);
}
