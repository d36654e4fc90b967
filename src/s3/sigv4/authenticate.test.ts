import { describe, expect, test } from 'bun:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { fixedClock } from '../../util/clock.ts';
import { S3Error } from '../errors.ts';
import type { S3ErrorCode } from '../errors.ts';
import { authenticate, SigningKeyCache } from './index.ts';
import type { AuthDeps, AuthRequest } from './index.ts';
import { deriveSigningKey, hmacHex, sha256Hex } from './crypto.ts';
import { canonicalRequest, stringToSign } from './canonical.ts';
import { oraclePresign, oracleSign, rootCreds, staticStore, testStore, userCreds } from './testing/oracle.ts';

const t0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const deps = (nowMs = t0, region = 'us-east-1'): AuthDeps => ({ credentials: testStore, clock: fixedClock(nowMs), region });

function expectS3Error(fn: () => unknown, code: S3ErrorCode, message?: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(S3Error);
  expect((caught as S3Error).code).toBe(code);
  if (message !== undefined) expect((caught as S3Error).message).toMatch(message);
}

const unsigned = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };

describe('Authorization header, checked against the AWS SDK signer', () => {
  test('GET with a query that needs encoding', async () => {
    const req = await oracleSign({
      method: 'GET', path: '/bucket', dateMs: t0, headers: unsigned,
      query: { 'list-type': '2', prefix: 'a b/ü+&=*', delimiter: '/', 'encoding-type': 'url', 'start-after': "x!'()~" },
    });
    const result = authenticate(req, deps());
    expect(result.accessKey).toBe(rootCreds.accessKey);
    expect(result.isRoot).toBe(true);
    expect(result.presigned).toBe(false);
    expect(result.payloadHash).toBe('UNSIGNED-PAYLOAD');
  });

  test('empty-valued sub-resources (?acl, ?uploads) and a second user', async () => {
    const req = await oracleSign({ method: 'POST', path: '/bucket/key', query: { uploads: '' }, dateMs: t0, headers: unsigned, creds: userCreds });
    const result = authenticate({ ...req, rawQuery: 'uploads' }, deps());
    expect(result.accessKey).toBe(userCreds.accessKey);
    expect(result.isRoot).toBe(false);
  });

  test('PUT with the real payload hash', async () => {
    const body = 'hello world';
    const req = await oracleSign({ method: 'PUT', path: '/bucket/obj', body, dateMs: t0, headers: { 'content-type': 'text/plain', 'x-amz-meta-a': '  two   spaces  ' } });
    expect(req.headers.get('x-amz-content-sha256')).toBe(sha256Hex(body));
    expect(authenticate(req, deps()).payloadHash).toBe(sha256Hex(body));
  });

  test('non-ASCII header values: UTF-8 bytes on the wire (botocore) and latin1 bytes (node http)', async () => {
    const value = 'Zürich, Höhe';
    const req = await oracleSign({ method: 'PUT', path: '/bucket/obj', body: 'x', dateMs: t0, headers: { 'x-amz-meta-city': value } });
    // The HTTP layer hands each received byte over as one character.
    const utf8OnWire = new Headers(req.headers);
    utf8OnWire.set('x-amz-meta-city', Buffer.from(value, 'utf8').toString('latin1'));
    expect(authenticate({ ...req, headers: utf8OnWire }, deps()).accessKey).toBe(rootCreds.accessKey);
    const latin = await oracleSign({ method: 'PUT', path: '/bucket/obj', body: 'x', dateMs: t0, headers: { 'x-amz-meta-city': 'Zürich' } });
    expect(authenticate(latin, deps()).accessKey).toBe(rootCreds.accessKey);
    const tampered = new Headers(req.headers);
    tampered.set('x-amz-meta-city', Buffer.from('Zurich, Höhe', 'utf8').toString('latin1'));
    expectS3Error(() => authenticate({ ...req, headers: tampered }, deps()), 'SignatureDoesNotMatch');
  });

  test('percent-encoded unicode key, as sent (S3 does not double-encode)', async () => {
    const path = '/bucket/dir%20one/%E2%9C%93%21%2A/a%2Bb';
    const req = await oracleSign({ method: 'GET', path, dateMs: t0, headers: unsigned });
    expect(authenticate(req, deps()).accessKey).toBe(rootCreds.accessKey);
  });

  test('a client that sent a raw character but signed its encoded form', async () => {
    const req = await oracleSign({ method: 'GET', path: '/bucket/a%28b%29', dateMs: t0, headers: unsigned });
    expect(authenticate({ ...req, rawPath: '/bucket/a(b)' }, deps()).accessKey).toBe(rootCreds.accessKey);
  });

  test('other regions', async () => {
    const req = await oracleSign({ method: 'GET', path: '/b', dateMs: t0, headers: unsigned, region: 'eu-central-1' });
    expect(authenticate(req, deps(t0, 'eu-central-1')).accessKey).toBe(rootCreds.accessKey);
    expectS3Error(() => authenticate(req, deps(t0, 'us-east-1')), 'AuthorizationHeaderMalformed', /region 'eu-central-1' is wrong; expecting 'us-east-1'/);
    expect(authenticate(req, deps(t0, '')).accessKey).toBe(rootCreds.accessKey);
  });

  test('streaming seed signature is carried for the chunk chain', async () => {
    const req = await oracleSign({
      method: 'PUT', path: '/b/k', dateMs: t0,
      headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '66560' },
    });
    const result = authenticate(req, deps());
    const sig = /Signature=([0-9a-f]{64})/.exec(req.headers.get('authorization') ?? '')?.[1];
    expect(result.signer.seedSignature).toBe(sig ?? 'missing');
    expect(result.payloadHash).toBe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    expect(JSON.stringify(result)).not.toContain(rootCreds.secretKey);
  });

  test('Date header instead of x-amz-date', () => {
    // Built by hand: SDKs always send x-amz-date. The string to sign uses the ISO form of Date.
    const date = new Date(t0).toUTCString();
    const creq = canonicalRequest({
      method: 'GET', uri: '/b', query: '', headers: `date:${date}\nhost:h\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n`,
      signedHeaders: 'date;host;x-amz-content-sha256', payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const key = deriveSigningKey(rootCreds.secretKey, '20261127', 'us-east-1', 's3');
    const sig = hmacHex(key, stringToSign('20261127T120000Z', '20261127/us-east-1/s3/aws4_request', sha256Hex(creq)));
    const headers = new Headers({
      host: 'h', date, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      authorization: `AWS4-HMAC-SHA256 Credential=${rootCreds.accessKey}/20261127/us-east-1/s3/aws4_request, SignedHeaders=date;host;x-amz-content-sha256, Signature=${sig}`,
    });
    const req = { method: 'GET', rawPath: '/b', rawQuery: '', headers };
    expect(authenticate(req, deps()).accessKey).toBe(rootCreds.accessKey);
    expectS3Error(() => authenticate(req, deps(t0 + 16 * 60_000)), 'RequestTimeTooSkewed');
  });
});

describe('AWS published examples', () => {
  const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const awsDeps: AuthDeps = {
    credentials: staticStore([{ accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: awsSecret, isRoot: true }]),
    clock: fixedClock(Date.UTC(2013, 4, 24)),
    region: 'us-east-1',
  };
  const common = {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
  };

  test('GET object with Range (header auth)', () => {
    const headers = new Headers({
      host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    });
    expect(authenticate({ method: 'GET', rawPath: '/test.txt', rawQuery: '', headers }, awsDeps).accessKey).toBe('AKIAIOSFODNN7EXAMPLE');
  });

  test('chunked upload seed signature', () => {
    const headers = new Headers({
      ...common, 'content-length': '66824', 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    });
    const result = authenticate({ method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '', headers }, awsDeps);
    const first = result.signer.chunkSignature(result.signer.seedSignature, sha256Hex('a'.repeat(65536)));
    expect(first).toBe('ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648');
    const second = result.signer.chunkSignature(first, sha256Hex('a'.repeat(1024)));
    expect(second).toBe('0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497');
    expect(result.signer.chunkSignature(second, sha256Hex(''))).toBe('b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9');
  });

  test('chunked upload with a signed trailer: seed and trailer signature', () => {
    const headers = new Headers({
      ...common, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'x-amz-trailer': 'x-amz-checksum-crc32c',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
    });
    const result = authenticate({ method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '', headers }, awsDeps);
    expect(result.signer.trailerSignature('e05ab64fe1dfdbf0b5870abbaabdb063c371d4e96f2767e6934d90529c5ae850', sha256Hex('x-amz-checksum-crc32c:wdBDMA==\n')))
      .toBe('41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf');
  });
});

describe('rejections', () => {
  const good = (): Promise<AuthRequest> => oracleSign({ method: 'GET', path: '/bucket/key', query: { versionId: 'null' }, dateMs: t0, headers: { ...unsigned, range: 'bytes=0-9' } });

  test('wrong secret', async () => {
    const req = await oracleSign({ method: 'GET', path: '/b', dateMs: t0, headers: unsigned, creds: { accessKey: rootCreds.accessKey, secretKey: 'wrong-secret' } });
    expectS3Error(() => authenticate(req, deps()), 'SignatureDoesNotMatch');
  });

  test('unknown access key', async () => {
    const req = await oracleSign({ method: 'GET', path: '/b', dateMs: t0, headers: unsigned, creds: { accessKey: 'AKIANOBODY', secretKey: 'x' } });
    expectS3Error(() => authenticate(req, deps()), 'InvalidAccessKeyId');
  });

  test('tampered signature, header, path, query and method', async () => {
    const base = await good();
    expect(authenticate(base, deps()).accessKey).toBe(rootCreds.accessKey);
    const auth = base.headers.get('authorization') ?? '';
    const flipped = auth.slice(0, -1) + (auth.endsWith('0') ? '1' : '0');
    expectS3Error(() => authenticate({ ...base, headers: new Headers([...base.headers, ['authorization', flipped]]) }, deps()), 'SignatureDoesNotMatch');
    const otherRange = new Headers(base.headers);
    otherRange.set('range', 'bytes=0-10');
    expectS3Error(() => authenticate({ ...base, headers: otherRange }, deps()), 'SignatureDoesNotMatch');
    expectS3Error(() => authenticate({ ...base, rawPath: '/bucket/kez' }, deps()), 'SignatureDoesNotMatch');
    expectS3Error(() => authenticate({ ...base, rawQuery: 'versionId=other' }, deps()), 'SignatureDoesNotMatch');
    expectS3Error(() => authenticate({ ...base, method: 'DELETE' }, deps()), 'SignatureDoesNotMatch');
    const otherHash = new Headers(base.headers);
    otherHash.set('x-amz-content-sha256', sha256Hex('x'));
    expectS3Error(() => authenticate({ ...base, headers: otherHash }, deps()), 'SignatureDoesNotMatch');
  });

  test('clock skew over 15 minutes, either way', async () => {
    const base = await good();
    const limitMs = 15 * 60 * 1000;
    expect(authenticate(base, deps(t0 + limitMs)).accessKey).toBe(rootCreds.accessKey);
    expect(authenticate(base, deps(t0 - limitMs)).accessKey).toBe(rootCreds.accessKey);
    expectS3Error(() => authenticate(base, deps(t0 + limitMs + 1000)), 'RequestTimeTooSkewed');
    expectS3Error(() => authenticate(base, deps(t0 - limitMs - 1000)), 'RequestTimeTooSkewed');
  });

  test('anonymous requests are denied', () => {
    expectS3Error(() => authenticate({ method: 'GET', rawPath: '/b', rawQuery: '', headers: new Headers({ host: 'h' }) }, deps()), 'AccessDenied');
  });

  test('malformed or unsupported Authorization headers', async () => {
    const h = (authorization: string): AuthRequest => ({ method: 'GET', rawPath: '/', rawQuery: '', headers: new Headers({ host: 'h', authorization, 'x-amz-date': '20261127T120000Z' }) });
    expectS3Error(() => authenticate(h('Bearer c2lnbmF0dXJl'), deps()), 'InvalidRequest');
    expectS3Error(() => authenticate(h('AWS AKIA:c2lnbmF0dXJl'), deps()), 'InvalidAccessKeyId');
    expectS3Error(() => authenticate(h('AWS4-HMAC-SHA256 Credential=AKIAROOTEXAMPLE/20261127/us-east-1/s3/aws4_request'), deps()), 'AuthorizationHeaderMalformed');
    const sig = 'a'.repeat(64);
    expectS3Error(() => authenticate(h(`AWS4-HMAC-SHA256 Credential=AKIAROOTEXAMPLE/20261127/us-east-1/s3/aws4_reqest, SignedHeaders=host, Signature=${sig}`), deps()), 'AuthorizationHeaderMalformed');
    expectS3Error(() => authenticate(h(`AWS4-HMAC-SHA256 Credential=AKIAROOTEXAMPLE/20261127/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=xyz`), deps()), 'AuthorizationHeaderMalformed');
    expectS3Error(() => authenticate(h(`AWS4-HMAC-SHA256 Credential=AKIAROOTEXAMPLE/20261127/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=${sig}`), deps()), 'AuthorizationHeaderMalformed', /host/);
    expectS3Error(() => authenticate(h(`AWS4-HMAC-SHA256 Credential=AKIAROOTEXAMPLE/20261126/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sig}`), deps()), 'AuthorizationHeaderMalformed', /date/);
    expectS3Error(() => authenticate(h(`AWS4-HMAC-SHA256 Credential=AKIAROOTEXAMPLE/20261127/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=${sig}`), deps()), 'AuthorizationHeaderMalformed');
    const noDate: AuthRequest = { method: 'GET', rawPath: '/', rawQuery: '', headers: new Headers({ host: 'h', authorization: `AWS4-HMAC-SHA256 Credential=AKIAROOTEXAMPLE/20261127/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sig}` }) };
    expectS3Error(() => authenticate(noDate, deps()), 'AccessDenied');
  });

  test('header auth and presigned query together', async () => {
    const base = await good();
    expectS3Error(() => authenticate({ ...base, rawQuery: `${base.rawQuery}&X-Amz-Algorithm=AWS4-HMAC-SHA256` }, deps()), 'InvalidArgument');
  });
});

describe('presigned URLs', () => {
  test('AWS SDK signer presign, GET and PUT', async () => {
    for (const method of ['GET', 'PUT']) {
      const req = await oraclePresign({ method, path: '/bucket/some%20key', dateMs: t0, expiresSec: 3600, query: { 'response-content-type': 'text/plain' } });
      expect(req.rawQuery).toContain('X-Amz-Signature=');
      const result = authenticate({ ...req, headers: new Headers({ host: '127.0.0.1:9000' }) }, deps(t0 + 1000));
      expect(result.presigned).toBe(true);
      expect(result.payloadHash).toBe('UNSIGNED-PAYLOAD');
    }
  });

  test('@aws-sdk/s3-request-presigner URLs, used as fetch would send them', async () => {
    const client = new S3Client({
      region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true,
      credentials: { accessKeyId: userCreds.accessKey, secretAccessKey: userCreds.secretKey },
    });
    const urls = [
      await getSignedUrl(client, new GetObjectCommand({ Bucket: 'bucket', Key: 'dir/ü key.txt' }), { expiresIn: 600, signingDate: new Date(t0) }),
      await getSignedUrl(client, new PutObjectCommand({ Bucket: 'bucket', Key: 'a+b=c' }), { expiresIn: 600, signingDate: new Date(t0) }),
    ];
    client.destroy();
    for (const [i, text] of urls.entries()) {
      const url = new URL(text);
      const req = { method: i === 0 ? 'GET' : 'PUT', rawPath: url.pathname, rawQuery: url.search, headers: new Headers({ host: url.host }) };
      expect(authenticate(req, deps(t0 + 5000)).accessKey).toBe(userCreds.accessKey);
    }
  });

  test('expiry and not-yet-valid, using the injected clock', async () => {
    const req = await oraclePresign({ method: 'GET', path: '/b/k', dateMs: t0, expiresSec: 60 });
    const r = { ...req, headers: new Headers({ host: '127.0.0.1:9000' }) };
    expect(authenticate(r, deps(t0 + 60_000)).presigned).toBe(true);
    expectS3Error(() => authenticate(r, deps(t0 + 61_000)), 'AccessDenied', 'Request has expired');
    expectS3Error(() => authenticate(r, deps(t0 - 16 * 60_000)), 'AccessDenied', /not valid yet/);
  });

  test('expiry limits', async () => {
    const week = await oraclePresign({ method: 'GET', path: '/b/k', dateMs: t0, expiresSec: 604800 });
    expect(authenticate({ ...week, headers: new Headers({ host: '127.0.0.1:9000' }) }, deps(t0 + 604800_000)).presigned).toBe(true);
    const tooLong = week.rawQuery.replace('X-Amz-Expires=604800', 'X-Amz-Expires=604801');
    expectS3Error(() => authenticate({ ...week, rawQuery: tooLong }, deps()), 'AuthorizationQueryParametersError');
    const missing = week.rawQuery.replace(/X-Amz-Date=[^&]*&?/, '');
    expectS3Error(() => authenticate({ ...week, rawQuery: missing }, deps()), 'AuthorizationQueryParametersError');
  });

  test('tampered presigned URLs', async () => {
    const req = await oraclePresign({ method: 'GET', path: '/b/k', dateMs: t0, expiresSec: 600, query: { 'response-content-disposition': 'inline' } });
    const ok = { ...req, headers: new Headers({ host: '127.0.0.1:9000' }) };
    expect(authenticate(ok, deps()).presigned).toBe(true);
    expectS3Error(() => authenticate({ ...ok, rawQuery: ok.rawQuery.replace('inline', 'attachment') }, deps()), 'SignatureDoesNotMatch');
    expectS3Error(() => authenticate({ ...ok, rawQuery: ok.rawQuery.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000') }, deps()), 'SignatureDoesNotMatch');
    expectS3Error(() => authenticate({ ...ok, rawPath: '/b/other' }, deps()), 'SignatureDoesNotMatch');
    expectS3Error(() => authenticate({ ...ok, method: 'PUT' }, deps()), 'SignatureDoesNotMatch');
    expectS3Error(() => authenticate({ ...ok, headers: new Headers({ host: 'evil.example:9000' }) }, deps()), 'SignatureDoesNotMatch');
  });
});

describe('signing-key cache', () => {
  test('reuses keys and stays bounded', async () => {
    const cache = new SigningKeyCache(2);
    const d = { ...deps(), keyCache: cache };
    for (const creds of [rootCreds, userCreds, rootCreds]) {
      const req = await oracleSign({ method: 'GET', path: '/b', dateMs: t0, headers: unsigned, creds });
      expect(authenticate(req, d).accessKey).toBe(creds.accessKey);
    }
    expect(cache.size).toBe(2);
    cache.get('a', '20260101', 'r', 's');
    cache.get('b', '20260101', 'r', 's');
    expect(cache.size).toBe(2);
  });
});
