// Bucket CORS with @aws-sdk/client-s3 (PutBucketCors, GetBucketCors, DeleteBucketCors)
// and the browser's side seen with fetch: unsigned preflight OPTIONS requests, and the
// Access-Control-* headers on actual requests that carry an Origin.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DeleteBucketCorsCommand, GetBucketCorsCommand, GetObjectCommand, PutBucketCorsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StartedServer } from './helpers/server.ts';
import { errorName, startWithBucket, stopWithClient } from './helpers/clients.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'cors-bucket';

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'page.txt', Body: 'hello from the bucket' }));
});
afterAll(async () => {
  await stopWithClient(server, s3);
});

function preflight(path: string, origin: string | undefined, method: string, headers?: string): Promise<Response> {
  const h: Record<string, string> = { 'access-control-request-method': method };
  if (origin !== undefined) h.origin = origin;
  if (headers !== undefined) h['access-control-request-headers'] = headers;
  return fetch(`${server.endpoint}/${bucket}/${path}`, { method: 'OPTIONS', headers: h });
}

describe('bucket CORS', () => {
  test('configuration round trip; a bucket without one answers NoSuchCORSConfiguration; bad rules are refused', async () => {
    expect(await errorName(s3.send(new GetBucketCorsCommand({ Bucket: bucket })))).toBe('NoSuchCORSConfiguration');
    const CORSRules = [
      { ID: 'app', AllowedOrigins: ['https://app.example.com', 'https://*.staging.example.com'], AllowedMethods: ['GET', 'PUT', 'POST'], AllowedHeaders: ['content-type', 'x-amz-*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
      { AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'] },
    ];
    await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules } }));
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(got.CORSRules?.[0]).toMatchObject({ ID: 'app', AllowedOrigins: CORSRules[0]!.AllowedOrigins, AllowedMethods: ['GET', 'PUT', 'POST'], AllowedHeaders: ['content-type', 'x-amz-*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 });
    expect(got.CORSRules?.[1]).toMatchObject({ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'] });
    expect(await errorName(s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } })))).toBe('InvalidRequest');
    // The refused configuration did not replace the stored one.
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules).toHaveLength(2);
  });

  test('preflights: allowed origins, methods and headers get the grant; anything else 403; no Origin 400', async () => {
    let res = await preflight('page.txt', 'https://app.example.com', 'PUT', 'Content-Type, X-Amz-Date');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, PUT, POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-amz-date');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    res = await preflight('', 'https://ci.staging.example.com', 'POST');
    expect(res.status).toBe(200);
    res = await preflight('page.txt', 'https://elsewhere.example.org', 'GET');
    expect([res.status, res.headers.get('access-control-allow-origin')]).toEqual([200, '*']);
    for (const [origin, method, headers] of [['https://elsewhere.example.org', 'PUT', undefined], ['https://app.example.com', 'DELETE', undefined], ['https://app.example.com', 'PUT', 'authorization']] as const) {
      res = await preflight('page.txt', origin, method, headers);
      expect([res.status, /<Code>AccessForbidden<\/Code>/.test(await res.text())]).toEqual([403, true]);
    }
    res = await preflight('page.txt', undefined, 'GET');
    expect(res.status).toBe(400);
  });

  test('actual requests with an Origin carry the matching rule\'s headers; without one, none', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'page.txt' }), { expiresIn: 60 });
    let res = await fetch(url, { headers: { origin: 'https://app.example.com' } });
    expect(await res.text()).toBe('hello from the bucket');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-expose-headers')).toBe('ETag');
    res = await fetch(url);
    await res.text();
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    await s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    res = await fetch(url, { headers: { origin: 'https://app.example.com' } });
    await res.text();
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight('page.txt', 'https://app.example.com', 'GET')).status).toBe(403);
    expect(await errorName(s3.send(new GetBucketCorsCommand({ Bucket: bucket })))).toBe('NoSuchCORSConfiguration');
  });
});
