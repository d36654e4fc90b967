import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { SseError } from './errors.ts';
import { parseCopySourceSse, parsePutSse, parseReadSse, SseHeaders as H } from './sse-headers.ts';

const rawKey = new Uint8Array(32).map((_, i) => i + 1);
const keyB64 = Buffer.from(rawKey).toString('base64');
const md5B64 = createHash('md5').update(rawKey).digest('base64');
const trio = { [H.customerAlgorithm]: 'AES256', [H.customerKey]: keyB64, [H.customerKeyMd5]: md5B64 };
const ctxB64 = Buffer.from(JSON.stringify({ project: 'x', team: 'y' })).toString('base64');

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof SseError) return `${e.httpStatus} ${e.code}`;
    throw e;
  }
  return 'ok';
}

describe('parsePutSse', () => {
  test('no headers: null, so the bucket default applies', () => {
    expect(parsePutSse({})).toBeNull();
    expect(parsePutSse(new Headers({ 'content-type': 'text/plain' }))).toBeNull();
  });

  test('SSE-S3, SSE-KMS and SSE-C', () => {
    expect(parsePutSse({ [H.sse]: 'AES256' })).toEqual({ kind: 'sse-s3' });
    expect(parsePutSse(new Headers({ [H.sse]: 'aws:kms', [H.kmsKeyId]: 'arn:aws:kms:us-east-1:1:key/k1', [H.context]: ctxB64, [H.bucketKeyEnabled]: 'TRUE' })))
      .toEqual({ kind: 'sse-kms', keyId: 'arn:aws:kms:us-east-1:1:key/k1', context: { project: 'x', team: 'y' }, bucketKeyEnabled: true });
    expect(parsePutSse({ [H.sse]: 'aws:kms' })).toEqual({ kind: 'sse-kms', keyId: '', context: {} });
    const c = parsePutSse(trio);
    expect(c?.kind).toBe('sse-c');
    if (c?.kind === 'sse-c') {
      expect([...c.key]).toEqual([...rawKey]);
      expect(c.keyMd5).toBe(md5B64);
    }
  });

  test('bad or conflicting headers are 400 InvalidArgument', () => {
    const bad = '400 InvalidArgument';
    expect(codeOf(() => parsePutSse({ [H.sse]: 'aes256' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.sse]: 'aws:kms:dsse' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.kmsKeyId]: 'k1' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.sse]: 'AES256', [H.kmsKeyId]: 'k1' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ ...trio, [H.sse]: 'AES256' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ ...trio, [H.sse]: 'aws:kms' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.sse]: 'aws:kms', [H.context]: 'not base64!' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.sse]: 'aws:kms', [H.context]: Buffer.from('[1]').toString('base64') }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.sse]: 'aws:kms', [H.context]: Buffer.from('{"a":1}').toString('base64') }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.sse]: 'aws:kms', [H.kmsKeyId]: ' k1' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.sse]: 'aws:kms', [H.bucketKeyEnabled]: 'yes' }))).toBe(bad);
  });

  test('SSE-C trio: algorithm, key size, missing parts and MD5 are checked', () => {
    const bad = '400 InvalidArgument';
    expect(codeOf(() => parsePutSse({ ...trio, [H.customerAlgorithm]: 'AES128' }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.customerAlgorithm]: 'AES256', [H.customerKey]: keyB64 }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ [H.customerKey]: keyB64, [H.customerKeyMd5]: md5B64 }))).toBe(bad);
    const short = Buffer.from(rawKey.subarray(0, 16));
    expect(codeOf(() => parsePutSse({ ...trio, [H.customerKey]: short.toString('base64'), [H.customerKeyMd5]: createHash('md5').update(short).digest('base64') }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ ...trio, [H.customerKeyMd5]: createHash('md5').update('x').digest('base64') }))).toBe(bad);
    expect(codeOf(() => parsePutSse({ ...trio, [H.customerKey]: keyB64.replace(/=*$/, '') + '%' }))).toBe(bad);
  });
});

describe('parseReadSse and parseCopySourceSse', () => {
  test('GET/HEAD accept only the SSE-C trio; SSE-S3/KMS headers are 400', () => {
    expect(parseReadSse({})).toBeNull();
    expect(parseReadSse(trio)?.keyMd5).toBe(md5B64);
    expect(codeOf(() => parseReadSse({ [H.sse]: 'AES256' }))).toBe('400 InvalidArgument');
    expect(codeOf(() => parseReadSse({ [H.sse]: 'aws:kms', [H.kmsKeyId]: 'k' }))).toBe('400 InvalidArgument');
  });

  test('copy source reads its own trio and ignores the destination trio', () => {
    expect(parseCopySourceSse(trio)).toBeNull();
    const src = { [H.copyCustomerAlgorithm]: 'AES256', [H.copyCustomerKey]: keyB64, [H.copyCustomerKeyMd5]: md5B64 };
    expect(parseCopySourceSse(src)?.keyMd5).toBe(md5B64);
    expect(codeOf(() => parseCopySourceSse({ ...src, [H.copyCustomerKeyMd5]: 'AAAA' }))).toBe('400 InvalidArgument');
  });
});
