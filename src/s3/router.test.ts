import { expect, test } from 'bun:test';
import { routeRequest, targetOf } from './router.ts';

const route = (method: string, path: string, query = '', headers: Record<string, string> = {}) =>
  routeRequest(method, new URLSearchParams(query), new Headers(headers), targetOf(path, 'localhost:9000', undefined));

test('targets: path style and virtual-host style', () => {
  expect(targetOf('/', 'h', undefined)).toEqual({ bucket: undefined, key: undefined });
  expect(targetOf('/b', 'h', undefined)).toEqual({ bucket: 'b', key: undefined });
  expect(targetOf('/b/', 'h', undefined)).toEqual({ bucket: 'b', key: undefined });
  expect(targetOf('/b//a%2Fb%20c', 'h', undefined)).toEqual({ bucket: 'b', key: '/a/b c' });
  expect(targetOf('/k/x', 'bkt.s3.local:9000', 's3.local')).toEqual({ bucket: 'bkt', key: 'k/x' });
  expect(targetOf('/bkt/k', 's3.local:9000', 's3.local')).toEqual({ bucket: 'bkt', key: 'k' });
  expect(() => targetOf('/b/%E0%A4%A', 'h', undefined)).toThrow();
});

test('operations', () => {
  expect(route('GET', '/').operation).toBe('ListBuckets');
  expect(route('PUT', '/b').operation).toBe('CreateBucket');
  expect(route('GET', '/b', 'list-type=2&prefix=a').operation).toBe('ListObjectsV2');
  expect(route('GET', '/b', 'x-id=ListObjects').operation).toBe('ListObjects');
  expect(route('GET', '/b', 'location').operation).toBe('GetBucketLocation');
  expect(route('POST', '/b', 'delete').operation).toBe('DeleteObjects');
  expect(route('POST', '/b', '', { 'content-type': 'multipart/form-data; boundary=x' }).operation).toBe('PostObject');
  expect(route('POST', '/b').operation).toBe('NotImplemented');
  expect(route('PUT', '/b/k', 'x-id=PutObject').operation).toBe('PutObject');
  expect(route('PUT', '/b/k', '', { 'x-amz-copy-source': '/a/b' }).operation).toBe('CopyObject');
  expect(route('PUT', '/b/k', 'partNumber=1&uploadId=u').operation).toBe('UploadPart');
  expect(route('PUT', '/b/k', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': 'a/b' }).operation).toBe('UploadPartCopy');
  expect(route('POST', '/b/k', 'uploads').operation).toBe('CreateMultipartUpload');
  expect(route('POST', '/b/k', 'uploadId=u').operation).toBe('CompleteMultipartUpload');
  expect(route('DELETE', '/b/k', 'uploadId=u').operation).toBe('AbortMultipartUpload');
  expect(route('GET', '/b/k', 'uploadId=u').operation).toBe('ListParts');
  expect(route('GET', '/b/k', 'partNumber=2').operation).toBe('GetObject');
  expect(route('PUT', '/b', 'policy')).toMatchObject({ operation: 'NotImplemented', detail: 'PUT ?policy' });
  expect(route('PUT', '/b/k', 'tagging').operation).toBe('PutObjectTagging');
  expect(route('DELETE', '/b/k', 'tagging').operation).toBe('DeleteObjectTagging');
  expect(route('PUT', '/b/k', 'retention').operation).toBe('PutObjectRetention');
  expect(route('PUT', '/b/k', 'restore').operation).toBe('NotImplemented');
  expect(route('OPTIONS', '/b/k').operation).toBe('CorsPreflight');
  expect(route('GET', '/b/k', 'attributes').operation).toBe('GetObjectAttributes');
  expect(route('PUT', '/b', 'cors').operation).toBe('PutBucketCors');
  expect(route('DELETE', '/b', 'cors').operation).toBe('DeleteBucketCors');
  expect(route('POST', '/b/k', 'select&select-type=2').operation).toBe('NotImplemented');
});
