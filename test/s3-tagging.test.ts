// Object tags with @aws-sdk/client-s3: on PutObject (x-amz-tagging), PutObjectTagging,
// GetObjectTagging, DeleteObjectTagging, the GET/HEAD tag count, copies (COPY and
// REPLACE directives), multipart uploads, and S3's rules on what a tag may be.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, DeleteBucketTaggingCommand, GetBucketTaggingCommand, PutBucketTaggingCommand, CreateMultipartUploadCommand, DeleteObjectTaggingCommand, GetObjectCommand,
  GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, PutObjectTaggingCommand, UploadPartCommand, type S3Client, type Tag,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StartedServer } from './helpers/server.ts';
import { errorName, startWithBucket, stopWithClient } from './helpers/clients.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'tag-bucket';

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
});
afterAll(async () => {
  await stopWithClient(server, s3);
});

async function tagsOf(key: string): Promise<Record<string, string>> {
  const r = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries((r.TagSet ?? []).map((t) => [t.Key, t.Value]));
}

describe('object tagging', () => {
  test('tags from PutObject, counted on GET and HEAD, replaced and deleted without touching the object', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'doc', Body: 'tagged', Tagging: 'project=edge%20store&tier=hot&empty=' }));
    expect(await tagsOf('doc')).toEqual({ project: 'edge store', tier: 'hot', empty: '' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'doc' }));
    const headUrl = await getSignedUrl(s3, new HeadObjectCommand({ Bucket: bucket, Key: 'doc' }), { expiresIn: 60 });
    expect((await fetch(headUrl, { method: 'HEAD' })).headers.get('x-amz-tagging-count')).toBe('3');
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'doc' }));
    expect(got.TagCount).toBe(3);
    await got.Body?.transformToString();
    const TagSet: Tag[] = [{ Key: 'owner', Value: 'ops@example.com' }, { Key: 'path', Value: 'a/b:c+d=e' }];
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'doc', Tagging: { TagSet } }));
    expect(await tagsOf('doc')).toEqual({ owner: 'ops@example.com', path: 'a/b:c+d=e' });
    const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'doc' }));
    expect(after.ETag).toBe(put.ETag);
    expect(after.LastModified?.getTime()).toBe(head.LastModified?.getTime());
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'doc' }));
    expect(await tagsOf('doc')).toEqual({});
    const untagged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'doc' }));
    expect(untagged.TagCount).toBeUndefined();
    expect(await untagged.Body?.transformToString()).toBe('tagged');
  });

  test('copies keep the source tags by default and take the request tags with REPLACE', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'src', Body: 'source', Tagging: 'a=1&b=2' }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-kept', CopySource: `${bucket}/src` }));
    expect(await tagsOf('copy-kept')).toEqual({ a: '1', b: '2' });
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-new', CopySource: `${bucket}/src`, TaggingDirective: 'REPLACE', Tagging: 'c=3' }));
    expect(await tagsOf('copy-new')).toEqual({ c: '3' });
    // Onto itself, a tag change alone is a metadata-only rewrite.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src`, TaggingDirective: 'REPLACE', Tagging: 'd=4' }));
    expect(await tagsOf('src')).toEqual({ d: '4' });
    const src = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'src' }));
    expect(await src.Body?.transformToString()).toBe('source');
  });

  test('a multipart upload carries the tags it was created with', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp', Tagging: 'kind=multipart' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId, PartNumber: 1, Body: 'one part' }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(await tagsOf('mp')).toEqual({ kind: 'multipart' });
  });

  test('S3 tag rules: at most 10, unique keys, no aws: prefix, lengths and characters; nothing stored when refused', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
    const ten = Array.from({ length: 10 }, (_, i) => ({ Key: `k${i}`, Value: 'v'.repeat(256) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'rules', Body: 'x' }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'rules', Tagging: { TagSet: ten } }));
    expect(Object.keys(await tagsOf('rules'))).toHaveLength(10);
    const refusals: [string, Promise<unknown>][] = [
      ['eleven on PUT', s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad-put', Body: 'x', Tagging: eleven }))],
      ['duplicate key', s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'rules', Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } }))],
      ['aws: prefix', s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'rules', Tagging: { TagSet: [{ Key: 'aws:x', Value: '1' }] } }))],
      ['long key', s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'rules', Tagging: { TagSet: [{ Key: 'k'.repeat(129), Value: '1' }] } }))],
      ['long value', s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'rules', Tagging: { TagSet: [{ Key: 'k', Value: 'v'.repeat(257) }] } }))],
      ['bad character', s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'rules', Tagging: { TagSet: [{ Key: 'k', Value: 'semi;colon' }] } }))],
    ];
    for (const [, p] of refusals) expect(await errorName(p)).toBe('InvalidTag');
    expect(Object.keys(await tagsOf('rules'))).toHaveLength(10);
    expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad-put' })))).toBe('NotFound');
    expect(await errorName(s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'missing' })))).toBe('NoSuchKey');
  });

  test('bucket tags: put, get (in key order), replace, delete; up to 50; no set is NoSuchTagSet', async () => {
    expect(await errorName(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })))).toBe('NoSuchTagSet');
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'team', Value: 'edge' }, { Key: 'cost-centre', Value: '42' }] } }));
    // A set: read back in key order, whatever order it was sent in.
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([{ Key: 'cost-centre', Value: '42' }, { Key: 'team', Value: 'edge' }]);
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: fifty } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toHaveLength(50);
    expect(await errorName(s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [...fifty, { Key: 'k50', Value: 'x' }] } })))).toBe('InvalidTag');
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }));
    expect(await errorName(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })))).toBe('NoSuchTagSet');
  });
});
