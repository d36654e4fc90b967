// Behaviour the common independent S3 conformance checks look at, with @aws-sdk/client-s3
// defaults: canned/owner-only ACL writes, listing edge cases (delimiters, url encoding,
// markers, max-keys=0), ranges on empty objects, conditional reads and self-copy rules.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  CopyObjectCommand, CreateBucketCommand, GetBucketAclCommand, GetObjectCommand, HeadObjectCommand, ListObjectsCommand, ListObjectsV2Command,
  PutBucketAclCommand, PutObjectAclCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import type { StartedServer } from './helpers/server.ts';
import { errorOf, startWithBucket, stopWithClient } from './helpers/clients.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'conformance';

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
});

afterAll(() => stopWithClient(server, s3));

async function putKeys(b: string, keys: string[]): Promise<void> {
  for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: b, Key: key, Body: key }));
}

describe('ACL writes', () => {
  test('an owner-only canned ACL is accepted on buckets and objects; grants to others are refused', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'acl-obj', Body: 'x' }));
    expect((await s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' }))).$metadata.httpStatusCode).toBe(200);
    expect((await s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'acl-obj', ACL: 'private' }))).$metadata.httpStatusCode).toBe(200);
    expect((await errorOf(s3.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' })))).code).toBe('NotImplemented');
    expect((await errorOf(s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'acl-obj', ACL: 'public-read-write' })))).code).toBe('NotImplemented');
    expect(await errorOf(s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'missing', ACL: 'private' })))).toEqual({ code: 'NoSuchKey', status: 404 });
    expect(await errorOf(s3.send(new PutBucketAclCommand({ Bucket: 'no-such-bucket', ACL: 'private' })))).toEqual({ code: 'NoSuchBucket', status: 404 });
  });

  test('the policy read back can be written back; adding a public grant is refused', async () => {
    const { Owner, Grants } = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    expect(Grants?.length).toBe(1);
    const policy = { Owner, Grants };
    expect((await s3.send(new PutBucketAclCommand({ Bucket: bucket, AccessControlPolicy: policy }))).$metadata.httpStatusCode).toBe(200);
    const publicRead = { Owner, Grants: [...(Grants ?? []), { Grantee: { Type: 'Group' as const, URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' as const }] };
    expect((await errorOf(s3.send(new PutBucketAclCommand({ Bucket: bucket, AccessControlPolicy: publicRead })))).code).toBe('NotImplemented');
  });
});

describe('listing edge cases', () => {
  test('delimiters, prefixes, markers and max-keys=0', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'conf-list' }));
    await putKeys('conf-list', ['foo/bar', 'foo/bar/xyzzy', 'quux/thud', 'asdf']);
    const basic = await s3.send(new ListObjectsCommand({ Bucket: 'conf-list', Delimiter: '/' }));
    expect(basic.Contents?.map((o) => o.Key)).toEqual(['asdf']);
    expect(basic.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['foo/', 'quux/']);
    expect(basic.Delimiter).toBe('/');
    const nested = await s3.send(new ListObjectsCommand({ Bucket: 'conf-list', Delimiter: '/', Prefix: 'foo/' }));
    expect([nested.Contents?.map((o) => o.Key), nested.CommonPrefixes?.map((p) => p.Prefix), nested.Prefix]).toEqual([['foo/bar'], ['foo/bar/'], 'foo/']);
    const zero = await s3.send(new ListObjectsCommand({ Bucket: 'conf-list', MaxKeys: 0 }));
    expect([zero.IsTruncated, zero.Contents]).toEqual([false, undefined]);
    const after = await s3.send(new ListObjectsCommand({ Bucket: 'conf-list', Marker: 'zzz' }));
    expect([after.IsTruncated, after.Contents]).toEqual([false, undefined]);
    const between = await s3.send(new ListObjectsCommand({ Bucket: 'conf-list', Marker: 'blah' }));
    expect(between.Contents?.map((o) => o.Key)).toEqual(['foo/bar', 'foo/bar/xyzzy', 'quux/thud']);
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: 'conf-list', StartAfter: 'foo/bar' }));
    expect([v2.Contents?.map((o) => o.Key), v2.StartAfter, v2.Contents?.[0]?.Owner]).toEqual([['foo/bar/xyzzy', 'quux/thud'], 'foo/bar', undefined]);
  });

  test('a non-slash delimiter and url encoding of keys and prefixes', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'conf-alt' }));
    await putKeys('conf-alt', ['bar', 'baz', 'cab', 'foo']);
    const alt = await s3.send(new ListObjectsCommand({ Bucket: 'conf-alt', Delimiter: 'a' }));
    expect([alt.Contents?.map((o) => o.Key), alt.CommonPrefixes?.map((p) => p.Prefix)]).toEqual([['foo'], ['ba', 'ca']]);
    await s3.send(new CreateBucketCommand({ Bucket: 'conf-enc' }));
    await putKeys('conf-enc', ['foo+1/bar', 'foo/bar/xyzzy', 'quux ab/thud', 'asdf+b']);
    // This SDK hands url-encoded names through as sent; keys, prefixes and the delimiter split all encoded.
    const enc = await s3.send(new ListObjectsV2Command({ Bucket: 'conf-enc', Delimiter: '/', EncodingType: 'url' }));
    expect([enc.Contents?.map((o) => o.Key), enc.CommonPrefixes?.map((p) => p.Prefix)]).toEqual([['asdf%2Bb'], ['foo%2B1/', 'foo/', 'quux%20ab/']]);
    const raw = await fetch(`${server.endpoint}/conf-enc?list-type=2&delimiter=%2F&encoding-type=url`);
    expect(raw.status).toBe(403); // unsigned: private
  });
});

describe('objects', () => {
  test('ranges on a zero-byte object and past the end are InvalidRange', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'empty', Body: '' }));
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'empty', Range: 'bytes=40-50' })))).toEqual({ code: 'InvalidRange', status: 416 });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'eleven', Body: 'testcontent' }));
    const tail = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'eleven', Range: 'bytes=-7' }));
    expect([tail.ContentRange, await tail.Body?.transformToString()]).toEqual(['bytes 4-10/11', 'content']);
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'eleven', Range: 'bytes=40-50' })))).toEqual({ code: 'InvalidRange', status: 416 });
  });

  test('conditional reads: If-Unmodified-Since in the past fails, If-Modified-Since in the past succeeds', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond', Body: 'x' }));
    const past = new Date('1994-10-29T19:43:31Z');
    expect((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfModifiedSince: past }))).$metadata.httpStatusCode).toBe(200);
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfUnmodifiedSince: past })))).toEqual({ code: 'PreconditionFailed', status: 412 });
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', IfMatch: '"ABCORZ"' })))).toEqual({ code: 'PreconditionFailed', status: 412 });
  });

  test('copying an object onto itself needs a change; with REPLACE it rewrites the metadata', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'self', Body: 'foo', Metadata: { a: '1' } }));
    expect(await errorOf(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'self', CopySource: `${bucket}/self` })))).toEqual({ code: 'InvalidRequest', status: 400 });
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'self', CopySource: `${bucket}/self`, MetadataDirective: 'REPLACE', Metadata: { b: '2' } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'self' }));
    expect([got.Metadata, await got.Body?.transformToString()]).toEqual([{ b: '2' }, 'foo']);
  });

  test('storage classes: REDUCED_REDUNDANCY is kept and shown, STANDARD is the default, archive tiers are refused', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'class/rrs', Body: 'r', StorageClass: 'REDUCED_REDUNDANCY' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'class/std', Body: 's', StorageClass: 'STANDARD' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'class/rrs' }))).StorageClass).toBe('REDUCED_REDUNDANCY');
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'class/std' }))).StorageClass).toBeUndefined();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'class/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.StorageClass])).toEqual([['class/rrs', 'REDUCED_REDUNDANCY'], ['class/std', 'STANDARD']]);
    // A copy takes the class it asks for (STANDARD unless told); onto itself, a class change alone is allowed.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'class/copied', CopySource: `${bucket}/class/rrs` }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'class/copied' }))).StorageClass).toBeUndefined();
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'class/std', CopySource: `${bucket}/class/std`, StorageClass: 'REDUCED_REDUNDANCY' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'class/std' }))).StorageClass).toBe('REDUCED_REDUNDANCY');
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'class/ia', Body: 'x', StorageClass: 'STANDARD_IA' })))).toEqual({ code: 'NotImplemented', status: 501 });
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'class/bad', Body: 'x', StorageClass: 'cheap' as 'STANDARD' })))).toEqual({ code: 'InvalidStorageClass', status: 400 });
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'class/ia' })))).toEqual({ code: 'NotFound', status: 404 });
  });
});
