// @aws-sdk/client-s3 with default settings against the real server process: buckets,
// objects, metadata, ranges, conditionals, listings, deletes and copies.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  CopyObjectCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetBucketLocationCommand,
  GetBucketVersioningCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsCommand,
  ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand, S3Client, GetObjectAclCommand,
  PutBucketPolicyCommand, GetBucketPolicyCommand, PutObjectLegalHoldCommand, GetObjectLegalHoldCommand, PutObjectLockConfigurationCommand, GetObjectRetentionCommand,
  GetBucketPolicyStatusCommand, GetBucketLifecycleConfigurationCommand, GetObjectLockConfigurationCommand, GetBucketWebsiteCommand,
  GetBucketReplicationCommand, GetPublicAccessBlockCommand, GetBucketOwnershipControlsCommand, GetBucketLoggingCommand,
  GetBucketNotificationConfigurationCommand, GetBucketRequestPaymentCommand, GetBucketAccelerateConfigurationCommand,
  DeleteBucketPolicyCommand, DeleteBucketLifecycleCommand, PutBucketLifecycleConfigurationCommand,
  PutPublicAccessBlockCommand, DeletePublicAccessBlockCommand, PutBucketAclCommand,
} from '@aws-sdk/client-s3';
import type { StartedServer } from './helpers/server.ts';
import { errorOf, startWithBucket, stopWithClient } from './helpers/clients.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'sdk-bucket';

async function text(key: string, extra: Partial<ConstructorParameters<typeof GetObjectCommand>[0]> = {}): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return (await r.Body?.transformToString()) ?? '';
}

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
});

afterAll(() => stopWithClient(server, s3));

describe('buckets', () => {
  test('create, list, head, location, versioning, delete', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'sdk-other' }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(['sdk-bucket', 'sdk-other']);
    expect((await s3.send(new HeadBucketCommand({ Bucket: 'sdk-other' }))).$metadata.httpStatusCode).toBe(200);
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'sdk-other' }))).LocationConstraint).toBeUndefined();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'sdk-other' }))).Status).toBeUndefined();
    expect(await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'sdk-other' })))).toEqual({ code: 'BucketAlreadyOwnedByYou', status: 409 });
    await s3.send(new PutObjectCommand({ Bucket: 'sdk-other', Key: 'x', Body: 'x' }));
    expect(await errorOf(s3.send(new DeleteBucketCommand({ Bucket: 'sdk-other' })))).toEqual({ code: 'BucketNotEmpty', status: 409 });
    await s3.send(new DeleteObjectCommand({ Bucket: 'sdk-other', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'sdk-other' }));
    expect(await errorOf(s3.send(new HeadBucketCommand({ Bucket: 'sdk-other' })))).toEqual({ code: 'NotFound', status: 404 });
    expect(await errorOf(s3.send(new ListObjectsV2Command({ Bucket: 'sdk-other' })))).toEqual({ code: 'NoSuchBucket', status: 404 });
  });

  test('invalid names, a foreign location and the reserved name are refused, and nothing is created', async () => {
    for (const name of ['ab', 'Upper-Case', 'a..b', '192.168.5.4', 'cairn', 'bad_name', '-dash']) {
      expect((await errorOf(s3.send(new CreateBucketCommand({ Bucket: name })))).code).toBe('InvalidBucketName');
    }
    expect((await errorOf(s3.send(new CreateBucketCommand({ Bucket: 'sdk-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })))).code).toBe('IllegalLocationConstraintException');
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(names).toEqual(['sdk-bucket']);
  });

  test('configurations a bucket cannot have read as "none configured", as on an unconfigured AWS bucket', async () => {
    const missing: [() => Promise<unknown>, string][] = [
      [() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NoSuchLifecycleConfiguration'],
      [() => s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })), 'ObjectLockConfigurationNotFoundError'],
      [() => s3.send(new GetBucketWebsiteCommand({ Bucket: bucket })), 'NoSuchWebsiteConfiguration'],
      [() => s3.send(new GetBucketReplicationCommand({ Bucket: bucket })), 'ReplicationConfigurationNotFoundError'],
      [() => s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket })), 'OwnershipControlsNotFoundError'],
      [() => s3.send(new GetBucketLoggingCommand({ Bucket: 'sdk-absent' })), 'NoSuchBucket'],
    ];
    for (const [call, code] of missing) expect((await errorOf(call())).code).toBe(code);
    expect((await s3.send(new GetBucketLoggingCommand({ Bucket: bucket }))).LoggingEnabled).toBeUndefined();
    const notes = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect([notes.TopicConfigurations, notes.QueueConfigurations, notes.LambdaFunctionConfigurations].every((l) => l === undefined || l.length === 0)).toBe(true);
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }))).Payer).toBe('BucketOwner');
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic).toBe(false);
    expect((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: bucket }))).Status).toBeUndefined();
    expect((await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
    expect((await errorOf(s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [{ ID: 'r', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }] } })))).code).toBe('NotImplemented');
  });

  test('a public access block is kept and returned; with BlockPublicAcls a public ACL is AccessDenied, without it 501', async () => {
    expect((await errorOf(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))).code).toBe('NoSuchPublicAccessBlockConfiguration');
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'pab', Body: 'x', ACL: 'public-read' })))).toEqual({ code: 'NotImplemented', status: 501 });
    const conf = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: false };
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: conf }));
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual(conf);
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'pab', Body: 'x', ACL: 'public-read' })))).toEqual({ code: 'AccessDenied', status: 403 });
    expect(await errorOf(s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'authenticated-read' })))).toEqual({ code: 'AccessDenied', status: 403 });
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'pab' })))).status).toBe(404);
    // Owner-only ACLs are still fine.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'pab', Body: 'x', ACL: 'private' }));
    expect((await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
    expect((await errorOf(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))).code).toBe('NoSuchPublicAccessBlockConfiguration');
    expect(await errorOf(s3.send(new PutPublicAccessBlockCommand({ Bucket: 'sdk-no-such-bucket', PublicAccessBlockConfiguration: conf })))).toEqual({ code: 'NoSuchBucket', status: 404 });
  });

  test('unsupported sub-resources answer NotImplemented or the honest empty answer', async () => {
    expect((await errorOf(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: '{}' })))).code).toBe('NotImplemented');
    expect((await errorOf(s3.send(new GetBucketPolicyCommand({ Bucket: bucket })))).code).toBe('NoSuchBucketPolicy');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'acl', Body: 'a' }));
    expect(await errorOf(s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: 'acl', LegalHold: { Status: 'ON' } })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect(await errorOf(s3.send(new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } })))).toEqual({ code: 'InvalidBucketState', status: 409 });
    // Unsupported calls on a bucket that is not there say so first.
    expect(await errorOf(s3.send(new PutBucketPolicyCommand({ Bucket: 'sdk-no-such-bucket', Policy: '{}' })))).toEqual({ code: 'NoSuchBucket', status: 404 });
    expect(await errorOf(s3.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: 'acl' })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect(await errorOf(s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: 'acl' })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect(await errorOf(s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: 'no-such' })))).toEqual({ code: 'NoSuchKey', status: 404 });
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'acl' }));
    expect(acl.Grants?.[0]?.Permission).toBe('FULL_CONTROL');
  });
});

describe('objects', () => {
  test('metadata and content headers are stored and returned', async () => {
    const expires = new Date('2030-01-01T00:00:00Z');
    await s3.send(new PutObjectCommand({
      Bucket: bucket, Key: 'meta/obj', Body: 'hello', ContentType: 'text/plain', ContentEncoding: 'identity', ContentDisposition: 'attachment; filename="a.txt"',
      ContentLanguage: 'en', CacheControl: 'max-age=60', Expires: expires, Metadata: { color: 'blue', 'with-dash': 'x y' },
    }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta/obj' }));
    expect(head).toMatchObject({ ContentType: 'text/plain', ContentEncoding: 'identity', ContentDisposition: 'attachment; filename="a.txt"', ContentLanguage: 'en', CacheControl: 'max-age=60', ContentLength: 5, Metadata: { color: 'blue', 'with-dash': 'x y' } });
    expect(head.Expires?.toISOString()).toBe(expires.toISOString());
    expect(head.ETag).toBe('"5d41402abc4b2a76b9719d911017c592"');
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'meta/obj', ResponseContentType: 'application/x-override', ResponseContentDisposition: 'inline', ResponseCacheControl: 'no-cache' }));
    expect(got).toMatchObject({ ContentType: 'application/x-override', ContentDisposition: 'inline', CacheControl: 'no-cache' });
    expect(await got.Body?.transformToString()).toBe('hello');
    // A file name beyond latin-1 comes back as its UTF-8 bytes (Node reads them as latin-1).
    const named = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'meta/obj', ResponseContentDisposition: 'attachment; filename="5 €.txt"' }));
    expect(Buffer.from(named.ContentDisposition ?? '', 'latin1').toString('utf8')).toBe('attachment; filename="5 €.txt"');
    expect(await named.Body?.transformToString()).toBe('hello');
  });

  test('default content type, empty objects, keys with odd characters', async () => {
    const keys = ['folder/', 'folder/inner', 'a', 'a/b', 'empty', 'sp ace/and+plus', 'uni/ünï/€', 'a//b', 'q?x=1&y#z', '.hidden/..x/...', 'dot/./seg', 'up/../x', `${'k'.repeat(1000)}`];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key === 'empty' || key === 'folder/' ? '' : key }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'empty' }))).ContentLength).toBe(0);
    for (const key of keys) expect(await text(key)).toBe(key === 'empty' || key === 'folder/' ? '' : key);
    const folder = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'folder/', Delimiter: '/' }));
    expect(folder.Contents?.map((c) => c.Key)).toEqual(['folder/', 'folder/inner']);
    expect((await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k'.repeat(1025), Body: 'x' })))).code).toBe('KeyTooLongError');
  });

  test('ranges answer 206 with Content-Range, or 416', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'range', Body: '0123456789' }));
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', Range: 'bytes=2-5' }));
    expect(r.$metadata.httpStatusCode).toBe(206);
    expect(r.ContentRange).toBe('bytes 2-5/10');
    expect(await r.Body?.transformToString()).toBe('2345');
    expect(await text('range', { Range: 'bytes=-3' })).toBe('789');
    expect(await text('range', { Range: 'bytes=7-' })).toBe('789');
    expect(await text('range', { Range: 'bytes=8-100' })).toBe('89');
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', Range: 'bytes=10-' })))).toEqual({ code: 'InvalidRange', status: 416 });
    const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', PartNumber: 1 }));
    expect(part.PartsCount).toBe(1);
    expect(await part.Body?.transformToString()).toBe('0123456789');
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range', PartNumber: 2 })))).status).toBe(416);
  });

  test('conditional GET and HEAD: 304 and 412 with AWS precedence', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond', Body: 'c' }));
    const etag = put.ETag ?? '';
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    expect(await text('cond', { IfMatch: etag })).toBe('c');
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfMatch: '"nope"' })))).toEqual({ code: 'PreconditionFailed', status: 412 });
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfNoneMatch: etag })))).status).toBe(304);
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond', IfModifiedSince: future })))).status).toBe(304);
    expect((await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfUnmodifiedSince: past })))).status).toBe(412);
    // If-Match true wins over If-Unmodified-Since false; If-None-Match false wins over If-Modified-Since.
    expect(await text('cond', { IfMatch: etag, IfUnmodifiedSince: past })).toBe('c');
    expect(await text('cond', { IfNoneMatch: '"other"', IfModifiedSince: future })).toBe('c');
  });

  test('conditional PUT: If-None-Match * and If-Match', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cput', Body: 'one', IfNoneMatch: '*' }));
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cput', Body: 'two', IfNoneMatch: '*' })))).toEqual({ code: 'PreconditionFailed', status: 412 });
    expect((await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cput', Body: 'two', IfMatch: '"0123"' })))).status).toBe(412);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cput', Body: 'three', IfMatch: first.ETag }));
    expect(await text('cput')).toBe('three');
    expect((await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cput-missing', Body: 'x', IfMatch: first.ETag })))).code).toBe('NoSuchKey');
  });

  test('stored checksums come back with checksum mode', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum', Body: 'checksummed', ChecksumAlgorithm: 'SHA256' }));
    expect(put.ChecksumSHA256).toBeString();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sum', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumSHA256).toBe(put.ChecksumSHA256);
    const plain = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sum' }));
    expect(plain.ChecksumSHA256).toBeUndefined();
  });

  test('missing objects', async () => {
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' })))).toEqual({ code: 'NoSuchKey', status: 404 });
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' })))).toEqual({ code: 'NotFound', status: 404 });
    expect((await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'missing' }))).$metadata.httpStatusCode).toBe(204);
  });
});

describe('listing', () => {
  const keys = ['list/a', 'list/b/1', 'list/b/2', 'list/c', 'list/d d', 'list/e+e'];
  beforeAll(async () => {
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  });

  test('v2: prefix, delimiter, pagination with continuation tokens, start-after, fetch-owner', async () => {
    const top = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', Delimiter: '/' }));
    expect(top.Contents?.map((c) => c.Key)).toEqual(['list/a', 'list/c', 'list/d d', 'list/e+e']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['list/b/']);
    expect(top.KeyCount).toBe(5);
    expect(top.Contents?.[0]?.Owner).toBeUndefined();
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', MaxKeys: 2, ContinuationToken: token, FetchOwner: true }));
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      expect(page.Contents?.[0]?.Owner?.ID).toBe(server.accessKey);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    expect(seen).toEqual(keys);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/', StartAfter: 'list/c' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['list/d d', 'list/e+e']);
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/d', EncodingType: 'url' }));
    expect(encoded.Contents?.map((c) => c.Key)).toEqual(['list/d%20d']);
    expect((await errorOf(s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: 'bogus' })))).code).toBe('InvalidArgument');
  });

  test('v1: marker, NextMarker with a delimiter', async () => {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'list/', Delimiter: '/', MaxKeys: 2 }));
    expect(page.Contents?.map((c) => c.Key)).toEqual(['list/a']);
    expect(page.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['list/b/']);
    expect(page.IsTruncated).toBe(true);
    const next = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: 'list/', Delimiter: '/', Marker: page.NextMarker }));
    expect(next.Contents?.map((c) => c.Key)).toEqual(['list/c', 'list/d d', 'list/e+e']);
  });

  test('versions of an unversioned bucket are null and latest', async () => {
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'list/b/' }));
    expect(v.Versions?.map((x) => [x.Key, x.VersionId, x.IsLatest])).toEqual([['list/b/1', 'null', true], ['list/b/2', 'null', true]]);
  });

  test('DeleteObjects, verbose and quiet', async () => {
    const verbose = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'list/a' }, { Key: 'list/none' }] } }));
    expect(verbose.Deleted?.map((d) => d.Key).sort()).toEqual(['list/a', 'list/none']);
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'list/b/1' }, { Key: 'list/b/2' }] } }));
    expect(quiet.Deleted ?? []).toEqual([]);
    expect(quiet.Errors ?? []).toEqual([]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/' }));
    expect(left.Contents?.map((c) => c.Key)).toEqual(['list/c', 'list/d d', 'list/e+e']);
  });
});

describe('copy', () => {
  test('COPY keeps metadata, REPLACE changes it, self-copy needs REPLACE', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: 'source', ContentType: 'text/x-src', Metadata: { a: '1' } }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst', CopySource: `${bucket}/src` }));
    expect(copied.CopyObjectResult?.ETag).toBe('"' + new Bun.CryptoHasher('md5').update('source').digest('hex') + '"');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst' }));
    expect(head).toMatchObject({ ContentType: 'text/x-src', Metadata: { a: '1' } });
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst2', CopySource: `${bucket}/src`, MetadataDirective: 'REPLACE', ContentType: 'text/new', Metadata: { b: '2' } }));
    expect(await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst2' }))).toMatchObject({ ContentType: 'text/new', Metadata: { b: '2' } });
    expect((await errorOf(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src` })))).code).toBe('InvalidRequest');
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src`, MetadataDirective: 'REPLACE', Metadata: { c: '3' } }));
    const self = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'src' }));
    expect(self.Metadata).toEqual({ c: '3' });
    expect(await text('src')).toBe('source');
  });

  test('copy-source conditions and missing sources', async () => {
    const src = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'src' }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst3', CopySource: `${bucket}/src`, CopySourceIfMatch: src.ETag }));
    expect((await errorOf(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst4', CopySource: `${bucket}/src`, CopySourceIfNoneMatch: src.ETag })))).status).toBe(412);
    expect((await errorOf(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst4', CopySource: `${bucket}/src`, CopySourceIfModifiedSince: new Date(Date.now() + 3_600_000) })))).status).toBe(412);
    expect((await errorOf(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst4', CopySource: `${bucket}/nothing` })))).code).toBe('NoSuchKey');
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst4' })))).status).toBe(404);
  });

  test('keys with special characters copy', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sp ace/ü+x', Body: 'special' }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copied special', CopySource: encodeURIComponent(`${bucket}/sp ace/ü+x`) }));
    expect(await text('copied special')).toBe('special');
  });
});
