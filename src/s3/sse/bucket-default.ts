// Bucket default encryption for the S3 API: the S3 XML form of the one bucket setting
// the admin API also writes (src/admin/bucketEncryption.ts holds its JSON form and
// parser), the Put/Get/DeleteBucketEncryption handlers, and the lookup PUTs use.
import type { SseMode } from '../../crypto/index.ts';
import type { Kms } from '../../kms/types.ts';
import { KmsError } from '../../kms/types.ts';
import type { BucketName, ObjectStore } from '../../storage/types.ts';
import { BucketEncryptionError, encryptionSettingName, formatBucketEncryption, normalizeKmsKeyId, readBucketEncryption, type BucketEncryption } from '../../admin/bucketEncryption.ts';
import { S3Error } from '../errors.ts';
import { emptyResponse, xmlResponse } from '../response.ts';
import { childrenNamed, onlyChildren, optionalChild, parseXml, requiredChild, type XmlTree } from '../xml/parser.ts';
import { el } from '../xml/writer.ts';
import { readXmlBody } from '../operations/common.ts';
import { bucketHandler, type Handler } from '../operations/types.ts';

/** The default a PUT without SSE headers gets; null when the bucket has none. Reads through the config cache. */
export async function bucketDefaultMode(store: ObjectStore, bucket: BucketName): Promise<SseMode | null> {
  let setting: BucketEncryption | undefined;
  try {
    setting = readBucketEncryption((await store.getBucketMeta(bucket)).settings[encryptionSettingName]);
  } catch (e) {
    if (e instanceof BucketEncryptionError) throw new S3Error('InternalError', 'The bucket encryption setting is unreadable.');
    throw e;
  }
  if (setting === undefined) return null;
  if (setting.algorithm === 'AES256') return { kind: 'sse-s3' };
  const mode: SseMode = { kind: 'sse-kms', keyId: setting.kmsKeyId ?? '', context: {} };
  return setting.bucketKeyEnabled === undefined ? mode : { ...mode, bucketKeyEnabled: setting.bucketKeyEnabled };
}

const malformed = (message: string): S3Error => new S3Error('MalformedXML', message);

function textOf(node: XmlTree | undefined): string | undefined {
  return node === undefined ? undefined : node.text.trim();
}

/** ServerSideEncryptionConfiguration with exactly one Rule -> the setting. */
export function parseEncryptionXml(text: string): BucketEncryption {
  let root: XmlTree;
  try {
    root = parseXml(text);
  } catch {
    throw malformed('The XML you provided was not well-formed or did not validate against our published schema.');
  }
  if (root.name !== 'ServerSideEncryptionConfiguration') throw malformed('Expected ServerSideEncryptionConfiguration.');
  onlyChildren(root, ['Rule']);
  const rules = childrenNamed(root, 'Rule');
  if (rules.length !== 1) throw malformed('The configuration must hold exactly one Rule.');
  const rule = rules[0]!;
  onlyChildren(rule, ['ApplyServerSideEncryptionByDefault', 'BucketKeyEnabled']);
  const apply = requiredChild(rule, 'ApplyServerSideEncryptionByDefault');
  onlyChildren(apply, ['SSEAlgorithm', 'KMSMasterKeyID']);
  const algorithm = textOf(optionalChild(apply, 'SSEAlgorithm'));
  const keyId = textOf(optionalChild(apply, 'KMSMasterKeyID'));
  const bucketKey = textOf(optionalChild(rule, 'BucketKeyEnabled'));
  if (bucketKey !== undefined && bucketKey !== 'true' && bucketKey !== 'false') throw malformed('BucketKeyEnabled must be true or false.');
  if (algorithm === 'AES256') {
    if (keyId !== undefined) throw new S3Error('InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms', { ArgumentName: 'ApplyServerSideEncryptionByDefault' });
    return { algorithm: 'AES256' };
  }
  if (algorithm !== 'aws:kms') throw malformed('SSEAlgorithm must be AES256 or aws:kms.');
  const out: { algorithm: 'aws:kms'; kmsKeyId?: string; bucketKeyEnabled?: boolean } = { algorithm: 'aws:kms' };
  if (keyId !== undefined && keyId !== '') {
    try {
      out.kmsKeyId = normalizeKmsKeyId(keyId);
    } catch {
      throw new S3Error('KMS.NotFoundException', 'Invalid keyId');
    }
  }
  if (bucketKey !== undefined) out.bucketKeyEnabled = bucketKey === 'true';
  return out;
}

export function encryptionXml(setting: BucketEncryption): ReturnType<typeof el> {
  const apply = el('ApplyServerSideEncryptionByDefault',
    el('SSEAlgorithm', setting.algorithm),
    setting.algorithm === 'aws:kms' && setting.kmsKeyId !== undefined ? el('KMSMasterKeyID', setting.kmsKeyId) : undefined);
  const bucketKey = setting.algorithm === 'aws:kms' && setting.bucketKeyEnabled !== undefined ? el('BucketKeyEnabled', String(setting.bucketKeyEnabled)) : undefined;
  return el('ServerSideEncryptionConfiguration', el('Rule', apply, bucketKey));
}

export interface BucketEncryptionDeps {
  kms: Kms | undefined;
  /** CAIRN_KMS_AUTO_CREATE: an unknown key is created on first use instead of refused. */
  kmsAutoCreate: boolean;
}

/** SSE-S3 and SSE-KMS both need a KMS; a named key must exist (or be creatable). */
async function checkUsable(setting: BucketEncryption, d: BucketEncryptionDeps): Promise<void> {
  if (d.kms === undefined) throw new S3Error('NotImplemented', 'Server side encryption specified but KMS is not configured');
  if (setting.algorithm !== 'aws:kms' || setting.kmsKeyId === undefined || d.kmsAutoCreate) return;
  try {
    await d.kms.keyStatus(setting.kmsKeyId);
  } catch (e) {
    if (e instanceof KmsError && (e.code === 'KeyNotFound' || e.code === 'InvalidKeyId')) throw new S3Error('KMS.NotFoundException', 'Invalid keyId');
    if (e instanceof KmsError && e.code === 'Unavailable') throw new S3Error('KMSUnavailable');
    throw e;
  }
}

/** The three S3 handlers over the shared setting; writes go through the cached store view, which invalidates. */
export function bucketEncryptionHandlers(d: BucketEncryptionDeps): { get: Handler; put: Handler; del: Handler } {
  return {
    get: bucketHandler(async (ctx, deps) => {
      const meta = await deps.store.getBucketMeta(ctx.bucket);
      const setting = readBucketEncryption(meta.settings[encryptionSettingName]);
      if (setting === undefined) throw new S3Error('ServerSideEncryptionConfigurationNotFoundError', undefined, { BucketName: ctx.bucket });
      return xmlResponse(encryptionXml(setting));
    }),
    put: bucketHandler(async (ctx, deps) => {
      const setting = parseEncryptionXml(await readXmlBody(ctx, deps));
      await deps.store.headBucket(ctx.bucket);
      await checkUsable(setting, d);
      await deps.store.putBucketSetting(ctx.bucket, encryptionSettingName, formatBucketEncryption(setting));
      return emptyResponse(200);
    }),
    del: bucketHandler(async (ctx, deps) => {
      await deps.store.headBucket(ctx.bucket);
      await deps.store.putBucketSetting(ctx.bucket, encryptionSettingName, null);
      return emptyResponse(204);
    }),
  };
}
