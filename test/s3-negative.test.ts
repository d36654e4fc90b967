// Bad requests against the real server: each must answer the exact S3 error code and
// leave nothing stored. Also presigned GET/PUT with plain fetch, and the response
// envelope (request ids, bodiless HEAD errors).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { encodeSignedChunks, encodeUnsignedChunks, presignUrl, sha256Hex, signRequest } from '../src/s3/sigv4/index.ts';
import { bytesToBase64, createChecksummer } from '../src/s3/checksum/index.ts';
import { fixedClock, systemClock, type Clock } from '../src/util/clock.ts';
import type { StartedServer } from './helpers/server.ts';
import { sdkClient, startWithBucket, stopWithClient } from './helpers/clients.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'neg-bucket';

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
});

afterAll(() => stopWithClient(server, s3));

interface RawOptions {
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  payloadHash?: string;
  clock?: Clock;
  secretKey?: string;
  tamper?: (signed: Headers) => void;
}

async function signedFetch(method: string, path: string, o: RawOptions = {}): Promise<Response> {
  const url = `${server.endpoint}${path}`;
  const signed = signRequest(
    { method, url, headers: o.headers ?? {}, ...(o.body === undefined ? {} : { body: o.body }), ...(o.payloadHash === undefined ? {} : { payloadHash: o.payloadHash }) },
    { accessKey: server.accessKey, secretKey: o.secretKey ?? server.secretKey },
    o.clock ?? systemClock,
  );
  o.tamper?.(signed.headers);
  return fetch(signed.url, { method, headers: signed.headers, ...(o.body === undefined ? {} : { body: o.body }) });
}

async function s3Code(res: Response): Promise<string> {
  const text = await res.text();
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `status ${res.status} without code: ${text.slice(0, 200)}`;
}

async function stored(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    if (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404) return false;
    throw e;
  }
}

function crc32B64(data: Uint8Array): string {
  const c = createChecksummer('CRC32');
  c.update(data);
  return bytesToBase64(c.digest());
}

describe('authentication failures store nothing', () => {
  test('wrong secret key', async () => {
    const bad = sdkClient(server, { secretKey: 'not-the-right-secret' });
    let code = '';
    try {
      await bad.send(new PutObjectCommand({ Bucket: bucket, Key: 'wrong-secret', Body: 'x' }));
    } catch (e) {
      code = e instanceof S3ServiceException ? e.name : String(e);
    }
    bad.destroy();
    expect(code).toBe('SignatureDoesNotMatch');
    expect(await stored('wrong-secret')).toBe(false);
  });

  test('unknown access key and anonymous requests', async () => {
    const bad = sdkClient(server, { accessKey: 'nobody-here' });
    await expect(bad.send(new ListObjectsV2Command({ Bucket: bucket }))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    bad.destroy();
    const anon = await fetch(`${server.endpoint}/${bucket}/anon`, { method: 'PUT', body: 'x' });
    expect(anon.status).toBe(403);
    expect(await s3Code(anon)).toBe('AccessDenied');
    expect(await stored('anon')).toBe(false);
  });

  test('tampered signature', async () => {
    const res = await signedFetch('PUT', `/${bucket}/tampered`, {
      body: 'data',
      tamper: (h) => {
        const auth = h.get('authorization') ?? '';
        const last = auth.at(-1) === '0' ? '1' : '0';
        h.set('authorization', auth.slice(0, -1) + last);
      },
    });
    expect(res.status).toBe(403);
    expect(await s3Code(res)).toBe('SignatureDoesNotMatch');
    expect(await stored('tampered')).toBe(false);
  });

  test('tampered header after signing', async () => {
    const res = await signedFetch('PUT', `/${bucket}/tampered-meta`, { body: 'data', headers: { 'x-amz-meta-a': '1' }, tamper: (h) => h.set('x-amz-meta-a', '2') });
    expect(await s3Code(res)).toBe('SignatureDoesNotMatch');
    expect(await stored('tampered-meta')).toBe(false);
  });

  test('skewed clock', async () => {
    const res = await signedFetch('PUT', `/${bucket}/skewed`, { body: 'data', clock: fixedClock(Date.now() - 20 * 60_000) });
    expect(res.status).toBe(403);
    expect(await s3Code(res)).toBe('RequestTimeTooSkewed');
    expect(await stored('skewed')).toBe(false);
  });

  test('expired presigned PUT and GET; expiry over 7 days', async () => {
    const creds = { accessKey: server.accessKey, secretKey: server.secretKey };
    const old = fixedClock(Date.now() - 2 * 3_600_000);
    const put = await fetch(presignUrl({ method: 'PUT', url: `${server.endpoint}/${bucket}/expired`, expiresSec: 60 }, creds, old), { method: 'PUT', body: 'x' });
    expect(put.status).toBe(403);
    expect(await s3Code(put)).toBe('AccessDenied');
    expect(await stored('expired')).toBe(false);
    const get = await fetch(presignUrl({ method: 'GET', url: `${server.endpoint}/${bucket}/expired`, expiresSec: 60 }, creds, old));
    expect(await s3Code(get)).toBe('AccessDenied');
    const tooLong = await fetch(presignUrl({ method: 'GET', url: `${server.endpoint}/${bucket}/x`, expiresSec: 604_801 }, creds, systemClock));
    expect(await s3Code(tooLong)).toBe('AuthorizationQueryParametersError');
  });
});

describe('payload verification failures store nothing', () => {
  test('wrong x-amz-content-sha256', async () => {
    const res = await signedFetch('PUT', `/${bucket}/sha-mismatch`, { body: 'the real body', payloadHash: sha256Hex('another body') });
    expect(res.status).toBe(400);
    expect(await s3Code(res)).toBe('XAmzContentSHA256Mismatch');
    expect(await stored('sha-mismatch')).toBe(false);
  });

  test('bad and malformed Content-MD5', async () => {
    const wrongMd5 = Buffer.from(new Bun.CryptoHasher('md5').update('other').digest()).toString('base64');
    const res = await signedFetch('PUT', `/${bucket}/bad-md5`, { body: 'payload', headers: { 'content-md5': wrongMd5 } });
    expect(await s3Code(res)).toBe('BadDigest');
    expect(await stored('bad-md5')).toBe(false);
    const malformed = await signedFetch('PUT', `/${bucket}/bad-md5`, { body: 'payload', headers: { 'content-md5': 'not-base64!' } });
    expect(await s3Code(malformed)).toBe('InvalidDigest');
    expect(await stored('bad-md5')).toBe(false);
  });

  test('bad chunk signature in a signed streaming body', async () => {
    const data = new Uint8Array(70_000).fill(7);
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) };
    const url = `${server.endpoint}/${bucket}/bad-chunk`;
    const signed = signRequest({ method: 'PUT', url, headers, payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
    const framed = encodeSignedChunks([data.subarray(0, 65_536), data.subarray(65_536)], signed.chunkSigner);
    const text = Buffer.from(framed).toString('latin1');
    const sigAt = text.indexOf('chunk-signature=', 100) + 'chunk-signature='.length;
    framed[sigAt] = framed[sigAt] === 0x30 ? 0x31 : 0x30;
    const res = await fetch(url, { method: 'PUT', headers: signed.headers, body: framed });
    expect(await s3Code(res)).toBe('SignatureDoesNotMatch');
    expect(await stored('bad-chunk')).toBe(false);
    // The same body with the signatures intact is accepted.
    const good = signRequest({ method: 'PUT', url, headers, payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
    const ok = await fetch(url, { method: 'PUT', headers: good.headers, body: encodeSignedChunks([data.subarray(0, 65_536), data.subarray(65_536)], good.chunkSigner) });
    expect(ok.status).toBe(200);
    expect(await stored('bad-chunk')).toBe(true);
  });

  test('wrong trailer checksum', async () => {
    const data = new TextEncoder().encode('trailer checked body');
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32' };
    const body = (value: string): Uint8Array => encodeUnsignedChunks([data], { name: 'x-amz-checksum-crc32', value });
    const bad = await signedFetch('PUT', `/${bucket}/bad-trailer`, { headers, body: body(crc32B64(new TextEncoder().encode('other'))), payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' });
    expect(await s3Code(bad)).toBe('BadDigest');
    expect(await stored('bad-trailer')).toBe(false);
    const good = await signedFetch('PUT', `/${bucket}/bad-trailer`, { headers, body: body(crc32B64(data)), payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' });
    expect(good.status).toBe(200);
    expect(good.headers.get('x-amz-checksum-crc32')).toBe(crc32B64(data));
  });
});

describe('interrupted uploads', () => {
  test('a client that disconnects mid-body stores nothing', async () => {
    const signed = signRequest({ method: 'PUT', url: `${server.endpoint}/${bucket}/cut-off`, payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'content-length': '10000000' } }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
    await new Promise<void>((resolve) => {
      void Bun.connect({
        hostname: '127.0.0.1',
        port: Number(new URL(server.endpoint).port),
        socket: {
          open(sock) {
            let head = 'PUT /neg-bucket/cut-off HTTP/1.1\r\n';
            signed.headers.forEach((v, k) => { head += `${k}: ${v}\r\n`; });
            sock.write(`${head}\r\n${'x'.repeat(100_000)}`);
            setTimeout(() => sock.end(), 200);
          },
          data() {},
          close() { resolve(); },
        },
      });
    });
    await Bun.sleep(300);
    expect(await stored('cut-off')).toBe(false);
  });
});

describe('request validation', () => {
  test('malformed XML', async () => {
    const create = await signedFetch('POST', `/${bucket}/xml?uploads`);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await create.text())?.[1] ?? '';
    for (const body of ['<CompleteMultipartUpload><Part>', 'not xml at all', '<Other/>', '<!DOCTYPE x [<!ENTITY a "b">]><CompleteMultipartUpload/>']) {
      const res = await signedFetch('POST', `/${bucket}/xml?uploadId=${uploadId}`, { body });
      expect(await s3Code(res)).toBe('MalformedXML');
    }
    expect(await stored('xml')).toBe(false);
    const md5 = (s: string): string => Buffer.from(new Bun.CryptoHasher('md5').update(s).digest()).toString('base64');
    const del = '<Delete><Object><Key>a</Key></Object>';
    expect(await s3Code(await signedFetch('POST', `/${bucket}?delete`, { body: del, headers: { 'content-md5': md5(del) } }))).toBe('MalformedXML');
    const okDelete = '<Delete><Object><Key>a</Key></Object></Delete>';
    expect(await s3Code(await signedFetch('POST', `/${bucket}?delete`, { body: okDelete }))).toBe('InvalidRequest');
  });

  test('invalid bucket names', async () => {
    for (const name of ['UPPER', 'a', 'has_underscore', 'x'.repeat(64), 'ends-', '10.0.0.1', 'cairn']) {
      const res = await signedFetch('PUT', `/${name}`);
      expect(await s3Code(res)).toBe('InvalidBucketName');
    }
    const list = await signedFetch('GET', '/');
    expect((await list.text()).match(/<Name>/g)?.length).toBe(1);
  });

  test('oversize user metadata', async () => {
    const res = await signedFetch('PUT', `/${bucket}/big-meta`, { body: 'x', headers: { 'x-amz-meta-big': 'v'.repeat(2048) } });
    expect(res.status).toBe(400);
    expect(await s3Code(res)).toBe('MetadataTooLarge');
    expect(await stored('big-meta')).toBe(false);
    const fits = await signedFetch('PUT', `/${bucket}/big-meta`, { body: 'x', headers: { 'x-amz-meta-big': 'v'.repeat(2000) } });
    expect(fits.status).toBe(200);
  });

  test('oversize header section', async () => {
    const res = await signedFetch('GET', `/${bucket}?list-type=2`, { headers: { 'x-custom-padding': 'p'.repeat(9_000) } });
    expect(res.status).toBe(400);
    expect(await s3Code(res)).toBe('RequestHeaderSectionTooLarge');
  });

  test('every answer has a request id; HEAD errors have no body', async () => {
    const res = await signedFetch('HEAD', `/${bucket}/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
    expect(await res.text()).toBe('');
    const err = await signedFetch('GET', `/${bucket}/nothing-here`);
    const text = await err.text();
    expect(text).toContain('<Code>NoSuchKey</Code>');
    expect(text).toContain(`<RequestId>${err.headers.get('x-amz-request-id')}</RequestId>`);
    expect(text).toContain(`<Resource>/${bucket}/nothing-here</Resource>`);
  });

  test('unknown sub-resources are NotImplemented', async () => {
    expect(await s3Code(await signedFetch('PUT', `/${bucket}?lifecycle`, { body: '<LifecycleConfiguration/>' }))).toBe('NotImplemented');
    expect(await s3Code(await signedFetch('POST', `/${bucket}/k?restore`, { body: '<RestoreRequest/>' }))).toBe('NotImplemented');
    expect(await s3Code(await signedFetch('PUT', `/${bucket}/k`, { body: 'x', headers: { 'x-amz-server-side-encryption': 'AES256' } }))).toBe('NotImplemented');
    expect(await stored('k')).toBe(false);
  });
});

describe('presigned URLs with plain fetch', () => {
  test('PUT then GET', async () => {
    const creds = { accessKey: server.accessKey, secretKey: server.secretKey };
    const url = `${server.endpoint}/${bucket}/presigned%20key`;
    const put = await fetch(presignUrl({ method: 'PUT', url, expiresSec: 300 }, creds, systemClock), { method: 'PUT', body: 'presigned body' });
    expect(put.status).toBe(200);
    const get = await fetch(presignUrl({ method: 'GET', url, expiresSec: 300 }, creds, systemClock));
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('presigned body');
  });

  test('SDK presigner URLs work with fetch', async () => {
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'sdk-presigned' }), { expiresIn: 300 });
    expect((await fetch(putUrl, { method: 'PUT', body: 'via sdk presigner' })).status).toBe(200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'sdk-presigned' }), { expiresIn: 300 });
    expect(await (await fetch(getUrl)).text()).toBe('via sdk presigner');
  });
});
