// Authentication and policy of a browser-style POST upload. The form carries a base64
// policy document and its signature: SigV4 (x-amz-algorithm, x-amz-credential,
// x-amz-date, x-amz-signature: HMAC of the policy under the derived signing key) or
// SigV2 (AWSAccessKeyId, signature: HMAC-SHA1 of the policy). The policy expires, and
// every form field must satisfy its conditions, with none left unmentioned.
import { createHmac } from 'node:crypto';
import { S3Error } from '../errors.ts';
import type { CredentialStore } from '../credentials.ts';
import { algorithmName, deriveSigningKey, hmacHex, signaturesEqual } from '../sigv4/crypto.ts';

export interface PostSigner {
  accessKey: string;
  isRoot: boolean;
}

/** Checks the form's signature over its policy; the policy itself is checked by checkPolicy. */
export function checkPostSignature(fields: ReadonlyMap<string, string>, deps: { credentials: CredentialStore; region: string }): PostSigner {
  const policy = fields.get('policy');
  const v4Signature = fields.get('x-amz-signature');
  const v2Signature = fields.get('signature');
  if (v4Signature === undefined && v2Signature === undefined) {
    // Signed in part (a policy or a credential, without its signature) is a malformed form, not an anonymous one.
    if (fields.has('x-amz-credential')) throw new S3Error('InvalidArgument', 'Bucket POST must contain a field named \'x-amz-signature\'.', { ArgumentName: 'x-amz-signature' });
    if (policy !== undefined || fields.has('awsaccesskeyid')) throw new S3Error('InvalidArgument', 'Bucket POST must contain a field named \'signature\'.', { ArgumentName: 'signature' });
    throw new S3Error('AccessDenied', 'Anonymous access is not allowed: the form must be signed.');
  }
  if (policy === undefined) throw new S3Error('InvalidArgument', 'Bucket POST must contain a field named \'policy\'.', { ArgumentName: 'policy' });
  if (v4Signature !== undefined) {
    const algorithm = fields.get('x-amz-algorithm');
    if (algorithm !== algorithmName) throw new S3Error('InvalidArgument', `Only the ${algorithmName} algorithm is supported.`, { ArgumentName: 'x-amz-algorithm', ArgumentValue: algorithm ?? '' });
    const credential = fields.get('x-amz-credential') ?? '';
    const parts = credential.split('/');
    if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1] ?? '')) {
      throw new S3Error('InvalidArgument', 'The x-amz-credential field is malformed.', { ArgumentName: 'x-amz-credential', ArgumentValue: credential });
    }
    const [accessKey, date, region, service] = parts as [string, string, string, string];
    if (deps.region !== '' && region !== deps.region) throw new S3Error('AuthorizationQueryParametersError', `Error parsing the X-Amz-Credential parameter; the region '${region}' is wrong; expecting '${deps.region}'.`);
    if (service !== 's3') throw new S3Error('AuthorizationQueryParametersError', `Error parsing the X-Amz-Credential parameter; incorrect service '${service}'.`);
    const entry = deps.credentials.lookup(accessKey);
    if (entry === undefined) throw new S3Error('InvalidAccessKeyId');
    const expected = hmacHex(deriveSigningKey(entry.secretKey, date, region, service), policy);
    if (!signaturesEqual(expected, v4Signature.trim().toLowerCase())) throw new S3Error('SignatureDoesNotMatch');
    return { accessKey, isRoot: entry.isRoot };
  }
  const accessKey = fields.get('awsaccesskeyid') ?? '';
  const entry = deps.credentials.lookup(accessKey);
  if (entry === undefined) throw new S3Error('InvalidAccessKeyId');
  const expected = createHmac('sha1', entry.secretKey).update(policy).digest('base64');
  if (!signaturesEqual(expected, (v2Signature ?? '').trim())) throw new S3Error('SignatureDoesNotMatch');
  return { accessKey, isRoot: entry.isRoot };
}

export interface PolicyLimits {
  /** From a content-length-range condition. */
  lengthMin: number;
  lengthMax: number;
}

/** Fields that the signature covers or that carry the signature, and so need no condition. */
const exemptFields = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);

function invalidPolicy(detail: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${detail}`);
}

function failed(condition: unknown): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
}

function fieldName(ref: unknown, condition: unknown): string {
  if (typeof ref !== 'string' || !ref.startsWith('$') || ref.length < 2) throw invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
  return ref.slice(1).toLowerCase();
}

function integer(v: unknown, condition: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalidPolicy(`Invalid content-length-range ${JSON.stringify(condition)}.`);
  return n;
}

/**
 * Checks the decoded policy against the form (`value(name)` is a field's value, with
 * `bucket` and the final `key`), and returns the size limits it sets.
 */
export function checkPolicy(policyB64: string, fields: ReadonlyMap<string, string>, value: (name: string) => string | undefined, nowMs: number, objectBytesMax: number): PolicyLimits {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(policyB64, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalidPolicy('The policy is not a JSON object.');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') throw invalidPolicy('Policy missing expiration.');
  // ISO 8601 in UTC, as S3 requires ("2007-12-01T12:00:00.000Z").
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(expiration)) throw invalidPolicy(`Invalid 'expiration' value: '${expiration}'.`);
  const expiresMs = Date.parse(expiration);
  if (Number.isNaN(expiresMs)) throw invalidPolicy(`Invalid expiration '${expiration}'.`);
  if (nowMs > expiresMs) throw new S3Error('AccessDenied', 'Invalid according to Policy: Policy expired.');
  if (!Array.isArray(conditions)) throw invalidPolicy('Policy missing conditions.');
  const limits: PolicyLimits = { lengthMin: 0, lengthMax: objectBytesMax };
  const covered = new Set<string>();
  const actual = (name: string): string => value(name) ?? '';
  for (const condition of conditions as unknown[]) {
    if (Array.isArray(condition)) {
      const op = typeof condition[0] === 'string' ? condition[0].toLowerCase() : '';
      if (op === 'content-length-range') {
        if (condition.length !== 3) throw invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
        limits.lengthMin = Math.max(limits.lengthMin, integer(condition[1], condition));
        limits.lengthMax = Math.min(limits.lengthMax, integer(condition[2], condition));
        continue;
      }
      if ((op !== 'eq' && op !== 'starts-with') || condition.length !== 3 || typeof condition[2] !== 'string') throw invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
      const name = fieldName(condition[1], condition);
      const want = condition[2];
      covered.add(name);
      const got = actual(name);
      if (op === 'eq' && got !== want) throw failed(condition);
      // A Content-Type may list several types; each must match.
      const values = name === 'content-type' ? got.split(',').map((v) => v.trim()) : [got];
      if (op === 'starts-with' && !values.every((v) => v.startsWith(want))) throw failed(condition);
      continue;
    }
    if (typeof condition !== 'object' || condition === null) throw invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
    const entries = Object.entries(condition);
    if (entries.length !== 1 || typeof entries[0]![1] !== 'string') throw invalidPolicy(`Invalid condition ${JSON.stringify(condition)}.`);
    const [rawName, want] = entries[0] as [string, string];
    const name = rawName.toLowerCase();
    covered.add(name);
    if (actual(name) !== want) throw failed(['eq', `$${name}`, want]);
  }
  for (const name of fields.keys()) {
    // A checksum of the file can only make the upload fail, so it needs no condition.
    if (exemptFields.has(name) || name.startsWith('x-ignore-') || name.startsWith('x-amz-checksum-') || covered.has(name)) continue;
    throw new S3Error('AccessDenied', `Invalid according to Policy: Extra input fields: ${name}`);
  }
  return limits;
}
