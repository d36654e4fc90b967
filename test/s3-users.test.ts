// Users from CAIRN_CREDENTIALS_FILE are accounts of their own, as on AWS: a bucket belongs
// to whoever created it, and only its owner and root can use it. Everyone else gets
// AccessDenied for the bucket and its objects (and nothing they send is stored), sees
// only their own buckets in ListBuckets, and BucketAlreadyExists for a taken name.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand,
  GetBucketAclCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand,
  UploadPartCopyCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startServer, type StartedServer } from './helpers/server.ts';
import { adminCall } from './helpers/admin.ts';
import { errorOf, sdkClient } from './helpers/clients.ts';
import { postForm, signedPostFields } from './helpers/post.ts';

let work: string;
let server: StartedServer;
let root: S3Client;
let alice: S3Client;
let bob: S3Client;
const users = [{ accessKey: 'alice', secretKey: 'alice-secret-0123456789' }, { accessKey: 'bob', secretKey: 'bob-secret-0123456789' }];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cairn-users-'));
  const file = join(work, 'users.json');
  await writeFile(file, JSON.stringify(users), { mode: 0o600 });
  server = await startServer({ env: { CAIRN_CREDENTIALS_FILE: file } });
  root = sdkClient(server);
  alice = sdkClient(server, users[0]);
  bob = sdkClient(server, users[1]);
  await root.send(new CreateBucketCommand({ Bucket: 'root-bucket' }));
  await alice.send(new CreateBucketCommand({ Bucket: 'alice-bucket' }));
  await bob.send(new CreateBucketCommand({ Bucket: 'bob-bucket' }));
  await root.send(new PutObjectCommand({ Bucket: 'root-bucket', Key: 'r', Body: 'root data' }));
  await alice.send(new PutObjectCommand({ Bucket: 'alice-bucket', Key: 'a', Body: 'alice data' }));
  await bob.send(new PutObjectCommand({ Bucket: 'bob-bucket', Key: 'b', Body: 'bob data' }));
}, 60_000);

afterAll(async () => {
  for (const c of [root, alice, bob]) c?.destroy();
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

const names = async (c: S3Client): Promise<string[]> => ((await c.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '');
const keys = async (bucket: string): Promise<string[]> => ((await root.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key ?? '');

describe('bucket ownership', () => {
  test('each user lists only its own buckets; root lists all', async () => {
    expect(await names(alice)).toEqual(['alice-bucket']);
    expect(await names(bob)).toEqual(['bob-bucket']);
    expect(await names(root)).toEqual(['alice-bucket', 'bob-bucket', 'root-bucket']);
  });

  test('another user\'s or root\'s bucket: AccessDenied for every call, and nothing is changed', async () => {
    for (const bucket of ['bob-bucket', 'root-bucket']) {
      const key = bucket === 'bob-bucket' ? 'b' : 'r';
      const denied = [
        () => alice.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
        () => alice.send(new PutObjectCommand({ Bucket: bucket, Key: 'intruder', Body: 'x' })),
        () => alice.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
        () => alice.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: key }] } })),
        () => alice.send(new ListObjectsV2Command({ Bucket: bucket })),
        () => alice.send(new GetBucketAclCommand({ Bucket: bucket })),
        () => alice.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp' })),
        () => alice.send(new DeleteBucketCommand({ Bucket: bucket })),
      ];
      for (const call of denied) expect(await errorOf(call())).toEqual({ code: 'AccessDenied', status: 403 });
      expect((await errorOf(alice.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).status).toBe(403);
      expect((await errorOf(alice.send(new HeadBucketCommand({ Bucket: bucket })))).status).toBe(403);
      expect(await keys(bucket)).toEqual([key]);
    }
  });

  test('a presigned URL signed by another user is refused', async () => {
    const url = await getSignedUrl(alice, new GetObjectCommand({ Bucket: 'bob-bucket', Key: 'b' }), { expiresIn: 60 });
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
    const own = await fetch(await getSignedUrl(bob, new GetObjectCommand({ Bucket: 'bob-bucket', Key: 'b' }), { expiresIn: 60 }));
    expect(await own.text()).toBe('bob data');
  });

  test('a browser-form upload signed by another user is refused and stores nothing', async () => {
    const signer = { ...users[0]!, region: server.region };
    const fields = signedPostFields(signer, 'bob-bucket', [['starts-with', '$key', '']], { extra: { key: 'posted' } });
    const res = await postForm(`${server.endpoint}/bob-bucket`, fields, 'form data');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
    expect(await keys('bob-bucket')).toEqual(['b']);
    const own = await postForm(`${server.endpoint}/alice-bucket`, signedPostFields(signer, 'alice-bucket', [['starts-with', '$key', '']], { extra: { key: 'posted' } }), 'form data');
    expect(own.status).toBe(204);
    expect(await keys('alice-bucket')).toEqual(['a', 'posted']);
    await alice.send(new DeleteObjectCommand({ Bucket: 'alice-bucket', Key: 'posted' }));
  });

  test('copying out of another user\'s bucket is refused, whole or as a part', async () => {
    expect(await errorOf(alice.send(new CopyObjectCommand({ Bucket: 'alice-bucket', Key: 'stolen', CopySource: 'bob-bucket/b' })))).toEqual({ code: 'AccessDenied', status: 403 });
    const mp = await alice.send(new CreateMultipartUploadCommand({ Bucket: 'alice-bucket', Key: 'stolen-mp' }));
    expect(await errorOf(alice.send(new UploadPartCopyCommand({ Bucket: 'alice-bucket', Key: 'stolen-mp', UploadId: mp.UploadId, PartNumber: 1, CopySource: 'bob-bucket/b' })))).toEqual({ code: 'AccessDenied', status: 403 });
    expect(await keys('alice-bucket')).toEqual(['a']);
  });

  test('a taken name is BucketAlreadyExists; one\'s own is BucketAlreadyOwnedByYou; a missing bucket is NoSuchBucket for everyone', async () => {
    expect(await errorOf(alice.send(new CreateBucketCommand({ Bucket: 'bob-bucket' })))).toEqual({ code: 'BucketAlreadyExists', status: 409 });
    expect(await errorOf(alice.send(new CreateBucketCommand({ Bucket: 'root-bucket' })))).toEqual({ code: 'BucketAlreadyExists', status: 409 });
    expect(await errorOf(alice.send(new CreateBucketCommand({ Bucket: 'alice-bucket' })))).toEqual({ code: 'BucketAlreadyOwnedByYou', status: 409 });
    expect(await errorOf(root.send(new CreateBucketCommand({ Bucket: 'root-bucket' })))).toEqual({ code: 'BucketAlreadyOwnedByYou', status: 409 });
    // Root administers every bucket, so a user's bucket is root's to use too.
    expect(await errorOf(root.send(new CreateBucketCommand({ Bucket: 'alice-bucket' })))).toEqual({ code: 'BucketAlreadyOwnedByYou', status: 409 });
    expect(await errorOf(alice.send(new GetObjectCommand({ Bucket: 'nobody-bucket', Key: 'x' })))).toEqual({ code: 'NoSuchBucket', status: 404 });
  });

  test('root hands a bucket to a user through the admin API, and takes it back', async () => {
    const admin = (method: string, body?: unknown): Promise<Response> => adminCall(server, method, '/bucket/root-bucket/owner', body);
    expect(await errorOf(alice.send(new GetObjectCommand({ Bucket: 'root-bucket', Key: 'r' })))).toEqual({ code: 'AccessDenied', status: 403 });
    expect((await admin('PUT', { owner: 'alice' })).status).toBe(200);
    expect(await (await admin('GET')).json()).toEqual({ owner: 'alice' });
    expect(await (await alice.send(new GetObjectCommand({ Bucket: 'root-bucket', Key: 'r' }))).Body?.transformToString()).toBe('root data');
    expect(await names(alice)).toEqual(['alice-bucket', 'root-bucket']);
    expect(await errorOf(bob.send(new GetObjectCommand({ Bucket: 'root-bucket', Key: 'r' })))).toEqual({ code: 'AccessDenied', status: 403 });
    expect((await admin('PUT', { owner: null })).status).toBe(200);
    expect(await errorOf(alice.send(new GetObjectCommand({ Bucket: 'root-bucket', Key: 'r' })))).toEqual({ code: 'AccessDenied', status: 403 });
    expect(await names(alice)).toEqual(['alice-bucket']);
  });

  test('root administers every bucket; ACLs and listings name the bucket\'s owner', async () => {
    expect(await (await root.send(new GetObjectCommand({ Bucket: 'alice-bucket', Key: 'a' }))).Body?.transformToString()).toBe('alice data');
    const aliceAcl = await alice.send(new GetBucketAclCommand({ Bucket: 'alice-bucket' }));
    expect(aliceAcl.Owner?.DisplayName).toBe('alice');
    expect(aliceAcl.Grants?.[0]?.Grantee?.ID).toBe(aliceAcl.Owner?.ID);
    const rootAcl = await root.send(new GetBucketAclCommand({ Bucket: 'root-bucket' }));
    expect(rootAcl.Owner?.ID).not.toBe(aliceAcl.Owner?.ID);
    expect((await root.send(new GetBucketAclCommand({ Bucket: 'alice-bucket' }))).Owner?.ID).toBe(aliceAcl.Owner?.ID);
    const listed = await alice.send(new ListObjectsV2Command({ Bucket: 'alice-bucket', FetchOwner: true }));
    expect(listed.Contents?.[0]?.Owner?.DisplayName).toBe('alice');
    expect((await alice.send(new ListBucketsCommand({}))).Owner?.DisplayName).toBe('alice');
  });
});
