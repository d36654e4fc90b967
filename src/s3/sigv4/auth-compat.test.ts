import { createHmac } from 'node:crypto';
// Compatibility corners of request authentication that real clients and conformance
// suites hit: SigV2 presigned query URLs and headers, an empty Authorization header, X-Amz-Expires=0.
import { describe, expect, test } from 'bun:test';
import { fixedClock } from '../../util/clock.ts';
import { S3Error } from '../errors.ts';
import { authenticate } from './authenticate.ts';
import { oraclePresign, staticStore, testStore } from './testing/oracle.ts';

// The worked example of AWS's SigV2 query-string authentication documentation.
const credentials = staticStore([{ accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', isRoot: true }]);
const query = 'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D';
const beforeExpiryMs = 1175139620 * 1000 - 60_000;

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return 'OK';
}

test('a SigV2 presigned GET is accepted before it expires, as unsigned payload', () => {
  const auth = authenticate({ method: 'GET', rawPath: '/johnsmith/photos/puppy.jpg', rawQuery: query, headers: new Headers() },
    { credentials, clock: fixedClock(beforeExpiryMs), region: 'us-east-1' });
  expect([auth.accessKey, auth.isRoot, auth.presigned, auth.payloadHash]).toEqual(['AKIAIOSFODNN7EXAMPLE', true, true, 'UNSIGNED-PAYLOAD']);
});

test('expired, tampered, wrong method and unknown key are refused with their codes', () => {
  const deps = { credentials, clock: fixedClock(beforeExpiryMs), region: 'us-east-1' };
  const req = { method: 'GET', rawPath: '/johnsmith/photos/puppy.jpg', rawQuery: query, headers: new Headers() };
  expect(codeOf(() => authenticate(req, { ...deps, clock: fixedClock(1175139621 * 1000) }))).toBe('AccessDenied');
  expect(codeOf(() => authenticate({ ...req, rawPath: '/johnsmith/photos/kitten.jpg' }, deps))).toBe('SignatureDoesNotMatch');
  expect(codeOf(() => authenticate({ ...req, method: 'PUT' }, deps))).toBe('SignatureDoesNotMatch');
  expect(codeOf(() => authenticate({ ...req, rawQuery: `${query}&uploads` }, deps))).toBe('SignatureDoesNotMatch');
  expect(codeOf(() => authenticate({ ...req, rawQuery: query.replace('AKIAIOSFODNN7EXAMPLE', 'UNKNOWN') }, deps))).toBe('InvalidAccessKeyId');
  expect(codeOf(() => authenticate({ ...req, rawQuery: query.replace('Expires=1175139620', 'Expires=soon') }, deps))).toBe('AccessDenied');
});

test('a raw "+" in the signature is read as "+", not as a space', () => {
  const raw = query.replace('%2B', '+');
  const auth = authenticate({ method: 'GET', rawPath: '/johnsmith/photos/puppy.jpg', rawQuery: raw, headers: new Headers() },
    { credentials, clock: fixedClock(beforeExpiryMs), region: 'us-east-1' });
  expect(auth.accessKey).toBe('AKIAIOSFODNN7EXAMPLE');
});

// The worked examples of AWS's SigV2 header ("Authorization: AWS") documentation.
describe('SigV2 Authorization header', () => {
  const getDate = 'Tue, 27 Mar 2007 19:36:42 +0000';
  const at = (date: string) => ({ credentials, clock: fixedClock(Date.parse(date) + 60_000), region: 'us-east-1' });
  const get = (authorization: string, extra: Record<string, string> = {}) => ({ method: 'GET', rawPath: '/johnsmith/photos/puppy.jpg', rawQuery: '', headers: new Headers({ date: getDate, authorization, ...extra }) });

  test('the documented GET and PUT are accepted, as unsigned payload', () => {
    const auth = authenticate(get('AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU='), at(getDate));
    expect([auth.accessKey, auth.presigned, auth.payloadHash]).toEqual(['AKIAIOSFODNN7EXAMPLE', false, 'UNSIGNED-PAYLOAD']);
    const putDate = 'Tue, 27 Mar 2007 21:15:45 +0000';
    const put = { method: 'PUT', rawPath: '/johnsmith/photos/puppy.jpg', rawQuery: '', headers: new Headers({ date: putDate, 'content-type': 'image/jpeg', 'content-length': '94328', authorization: 'AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg=' }) };
    expect(authenticate(put, at(putDate)).accessKey).toBe('AKIAIOSFODNN7EXAMPLE');
  });

  test('a virtual-host request signs its bucket as the resource\'s first segment (the documented example)', () => {
    const req = { method: 'GET', rawPath: '/photos/puppy.jpg', rawQuery: '', headers: new Headers({ date: getDate, authorization: 'AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=' }), virtualHostBucket: 'awsexamplebucket1' };
    expect(authenticate(req, at(getDate)).accessKey).toBe('AKIAIOSFODNN7EXAMPLE');
    expect(codeOf(() => authenticate({ ...req, virtualHostBucket: 'otherbucket' }, at(getDate)))).toBe('SignatureDoesNotMatch');
  });

  test('x-amz-* headers are ordered by name, so ...-key comes before ...-key-md5 (SSE-C, as botocore signs)', () => {
    const amz = {
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key': 'pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=',
      'x-amz-server-side-encryption-customer-key-md5': 'DWygnHRtgiJ77HCm+1rvHw==',
    };
    // The string to sign as botocore's HmacV1Auth builds it (names sorted, then "name:value").
    const toSign = `PUT\n\n\n${getDate}\n${Object.entries(amz).map(([n, v]) => `${n}:${v}\n`).join('')}/johnsmith/photos/puppy.jpg`;
    const signature = createHmac('sha1', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').update(toSign).digest('base64');
    const put = { method: 'PUT', rawPath: '/johnsmith/photos/puppy.jpg', rawQuery: '', headers: new Headers({ date: getDate, ...amz, authorization: `AWS AKIAIOSFODNN7EXAMPLE:${signature}` }) };
    expect(authenticate(put, at(getDate)).accessKey).toBe('AKIAIOSFODNN7EXAMPLE');
  });

  test('tampering, a wrong key, a skewed or missing date and streaming payloads are refused', () => {
    const good = 'AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=';
    expect(codeOf(() => authenticate({ ...get(good), rawPath: '/johnsmith/photos/kitten.jpg' }, at(getDate)))).toBe('SignatureDoesNotMatch');
    expect(codeOf(() => authenticate(get(good, { 'x-amz-meta-extra': 'unsigned' }), at(getDate)))).toBe('SignatureDoesNotMatch');
    expect(codeOf(() => authenticate(get('AWS UNKNOWNKEY:bWq2s1WEIj+Ydj0vQ697zp+IXMU='), at(getDate)))).toBe('InvalidAccessKeyId');
    expect(codeOf(() => authenticate(get(good), { ...at(getDate), clock: fixedClock(Date.parse(getDate) + 16 * 60_000) }))).toBe('RequestTimeTooSkewed');
    expect(codeOf(() => authenticate({ ...get(good), headers: new Headers({ authorization: good }) }, at(getDate)))).toBe('AccessDenied');
    expect(codeOf(() => authenticate(get('AWS no-colon'), at(getDate)))).toBe('AuthorizationHeaderMalformed');
    expect(codeOf(() => authenticate(get(good, { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' }), at(getDate)))).toBe('InvalidRequest');
  });
});

test('an empty Authorization header is anonymous (AccessDenied), not a malformed signature', () => {
  const deps = { credentials, clock: fixedClock(beforeExpiryMs), region: 'us-east-1' };
  expect(codeOf(() => authenticate({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: new Headers({ authorization: '' }) }, deps))).toBe('AccessDenied');
  // SigV2 in the header needs its Date like any signed request.
  expect(codeOf(() => authenticate({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: new Headers({ authorization: 'AWS AKIAIOSFODNN7EXAMPLE:abc' }) }, deps))).toBe('AccessDenied');
  expect(codeOf(() => authenticate({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: new Headers({ authorization: 'Bearer abc' }) }, deps))).toBe('InvalidRequest');
});

test('a SigV4 presigned URL with X-Amz-Expires=0 is expired (403 AccessDenied), not malformed', async () => {
  const t0 = Date.UTC(2024, 0, 2, 3, 4, 5);
  const req = await oraclePresign({ method: 'GET', path: '/b/k', dateMs: t0, expiresSec: 60 });
  const zero = { ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=60', 'X-Amz-Expires=0') };
  expect(codeOf(() => authenticate(zero, { credentials: testStore, clock: fixedClock(t0), region: 'us-east-1' }))).toBe('AccessDenied');
  expect(codeOf(() => authenticate(req, { credentials: testStore, clock: fixedClock(t0), region: 'us-east-1' }))).toBe('OK');
});

test('a negative X-Amz-Expires is malformed, and the message says why', async () => {
  const t0 = Date.UTC(2024, 0, 2, 3, 4, 5);
  const req = await oraclePresign({ method: 'GET', path: '/b/k', dateMs: t0, expiresSec: 60 });
  const negative = { ...req, rawQuery: req.rawQuery.replace('X-Amz-Expires=60', 'X-Amz-Expires=-1000') };
  let message = '';
  try {
    authenticate(negative, { credentials: testStore, clock: fixedClock(t0), region: 'us-east-1' });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(codeOf(() => authenticate(negative, { credentials: testStore, clock: fixedClock(t0), region: 'us-east-1' }))).toBe('AuthorizationQueryParametersError');
  expect(message).toContain('non-negative');
});
