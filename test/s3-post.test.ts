// Browser-form uploads (PostObject) sent by fetch with FormData, the way a web page
// posts them: SigV4 policies signed here with the documented algorithm, the policy's
// conditions, form limits, response modes, and every refusal storing nothing.
// (boto3's generate_presigned_post, SigV2 and SigV4, is checked in clients/boto3_smoke.py.)
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StartedServer } from './helpers/server.ts';
import { startWithBucket, stopWithClient } from './helpers/clients.ts';
import { postForm, signedPostFields } from './helpers/post.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'post-bucket';

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
});
afterAll(async () => {
  await stopWithClient(server, s3);
});

/** Fields of a policy signed with root's secret (or `secretKey`, for a wrong-key case). */
function signedFields(conditions: unknown[], opts: { expiresInMs?: number; expiration?: string; secretKey?: string; extra?: Record<string, string> } = {}): Record<string, string> {
  const signer = { accessKey: server.accessKey, secretKey: opts.secretKey ?? server.secretKey, region: server.region };
  return signedPostFields(signer, bucket, conditions, opts);
}

function post(fields: Record<string, string>, file: Uint8Array | string, opts: { filename?: string; after?: Record<string, string> } = {}): Promise<Response> {
  return postForm(`${server.endpoint}/${bucket}`, fields, file, opts);
}

async function codeOf(res: Response): Promise<string> {
  return /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1] ?? `no error (${res.status})`;
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function body(key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await r.Body?.transformToString()) ?? '';
}

describe('PostObject', () => {
  test('a signed form stores the file under the key, with ${filename}, metadata and content type; fields after the file are ignored', async () => {
    const fields = { key: 'uploads/${filename}', 'Content-Type': 'text/markdown', 'x-amz-meta-owner': 'web' };
    const res = await post({ ...fields, ...signedFields([['starts-with', '$key', 'uploads/'], ['starts-with', '$Content-Type', 'text/'], { 'x-amz-meta-owner': 'web' }]) }, '# hello', { filename: 'notes.md', after: { 'x-amz-meta-late': 'ignored' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('etag')).toBe(`"${new Bun.CryptoHasher('md5').update('# hello').digest('hex')}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'uploads/notes.md' }));
    expect(head.ContentType).toBe('text/markdown');
    expect(head.Metadata).toEqual({ owner: 'web' });
    expect(await body('uploads/notes.md')).toBe('# hello');
  });

  test('non-ASCII metadata fields: latin-1 text comes back as itself, text beyond it as an RFC 2047 word', async () => {
    const fields = { key: 'unicode-meta', 'x-amz-meta-city': 'Zürich', 'x-amz-meta-price': '5 €' };
    const res = await post({ ...fields, ...signedFields([{ key: 'unicode-meta' }, { 'x-amz-meta-city': 'Zürich' }, { 'x-amz-meta-price': '5 €' }]) }, 'x');
    expect(res.status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'unicode-meta' }));
    expect(head.Metadata).toEqual({ city: 'Zürich', price: `=?UTF-8?B?${Buffer.from('5 €').toString('base64')}?=` });
  });

  test('success_action_status 201 answers a PostResponse; 200 an empty body; a redirect 303 with bucket, key and etag', async () => {
    let res = await post({ key: 'r201', success_action_status: '201', ...signedFields([{ key: 'r201' }, { success_action_status: '201' }]) }, 'a');
    expect(res.status).toBe(201);
    const xml = await res.text();
    expect(xml).toContain('<Key>r201</Key>');
    expect(xml).toContain(`<Bucket>${bucket}</Bucket>`);
    res = await post({ key: 'r200', success_action_status: '200', ...signedFields([{ key: 'r200' }, { success_action_status: '200' }]) }, 'b');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const redirect = 'http://127.0.0.1:1/done?from=form';
    res = await post({ key: 'r303', success_action_redirect: redirect, ...signedFields([{ key: 'r303' }, { success_action_redirect: redirect }]) }, 'c');
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('from')).toBe('form');
    expect(location.searchParams.get('key')).toBe('r303');
    expect(location.searchParams.get('bucket')).toBe(bucket);
    expect(location.searchParams.get('etag')).toBe(`"${new Bun.CryptoHasher('md5').update('c').digest('hex')}"`);
  });

  test('refusals store nothing: bad signature, unknown key, expired policy, failed and missing conditions, size range', async () => {
    const cases: [string, Promise<Response>, string][] = [
      ['sig', post({ key: 'no-sig', ...signedFields([{ key: 'no-sig' }], { secretKey: 'wrong-secret' }) }, 'x'), 'SignatureDoesNotMatch'],
      ['expired', post({ key: 'no-exp', ...signedFields([{ key: 'no-exp' }], { expiresInMs: -60_000 }) }, 'x'), 'AccessDenied'],
      ['condition', post({ key: 'no-cond', ...signedFields([{ key: 'other' }]) }, 'x'), 'AccessDenied'],
      ['extra field', post({ key: 'no-extra', 'x-amz-meta-sneaky': '1', ...signedFields([{ key: 'no-extra' }]) }, 'x'), 'AccessDenied'],
      ['too large', post({ key: 'no-large', ...signedFields([{ key: 'no-large' }, ['content-length-range', 0, 10]]) }, 'x'.repeat(11)), 'EntityTooLarge'],
      ['too small', post({ key: 'no-small', ...signedFields([{ key: 'no-small' }, ['content-length-range', 5, 10]]) }, 'x'), 'EntityTooSmall'],
      ['anonymous', post({ key: 'no-anon' }, 'x'), 'AccessDenied'],
      ['bad policy', post({ key: 'no-policy', ...signedFields([{ key: 'no-policy' }]), policy: 'bm90IGpzb24=' }, 'x'), 'SignatureDoesNotMatch'],
    ];
    for (const [, res, code] of cases) expect(await codeOf(await res)).toBe(code);
    for (const key of ['no-sig', 'no-exp', 'no-cond', 'no-extra', 'no-large', 'no-small', 'no-anon', 'no-policy']) expect(await exists(key)).toBe(false);
  });

  test('an x-amz-checksum-* field is verified against the file (no condition needed) and kept', async () => {
    const data = 'checksummed form upload';
    const sha = createHash('sha256').update(data).digest('base64');
    let res = await post({ key: 'ck-good', 'x-amz-checksum-sha256': sha, ...signedFields([{ key: 'ck-good' }]) }, data);
    expect(res.status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ck-good', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumSHA256).toBe(sha);
    const wrong = createHash('sha256').update('other data').digest('base64');
    res = await post({ key: 'ck-bad', 'x-amz-checksum-sha256': wrong, ...signedFields([{ key: 'ck-bad' }]) }, data);
    expect([res.status, await codeOf(res)]).toEqual([400, 'BadDigest']);
    res = await post({ key: 'ck-junk', 'x-amz-checksum-sha256': 'sailorjerry', ...signedFields([{ key: 'ck-junk' }]) }, data);
    expect([res.status, await codeOf(res)]).toEqual([400, 'InvalidRequest']);
    expect(await exists('ck-bad')).toBe(false);
    expect(await exists('ck-junk')).toBe(false);
  });

  test('a policy expiration not in ISO 8601 UTC, and a policy sent without its signature, are malformed (400)', async () => {
    let res = await post({ key: 'bad-date', ...signedFields([{ key: 'bad-date' }], { expiration: '2099-11-27 22:00:09.511140+00:00' }) }, 'x');
    expect([res.status, await codeOf(res)]).toEqual([400, 'InvalidPolicyDocument']);
    const { 'x-amz-signature': _dropped, ...unsigned } = signedFields([{ key: 'no-signature' }]);
    res = await post({ key: 'no-signature', ...unsigned }, 'x');
    expect([res.status, await codeOf(res)]).toEqual([400, 'InvalidArgument']);
    expect(await exists('bad-date')).toBe(false);
    expect(await exists('no-signature')).toBe(false);
  });

  test('malformed forms: no file, no key, oversized fields, a body cut before the closing boundary', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries({ key: 'nofile', ...signedFields([{ key: 'nofile' }]) })) form.append(k, v);
    let res = await fetch(`${server.endpoint}/${bucket}`, { method: 'POST', body: form });
    expect([res.status, await codeOf(res)]).toEqual([400, 'InvalidArgument']);
    res = await post(signedFields([]), 'x');
    expect([res.status, await codeOf(res)]).toEqual([400, 'InvalidArgument']);
    res = await post({ key: 'big-fields', 'x-ignore-padding': 'p'.repeat(30_000), ...signedFields([{ key: 'big-fields' }]) }, 'x');
    expect([res.status, await codeOf(res)]).toEqual([400, 'MaxPostPreDataLengthExceededError']);
    const boundary = 'cut-boundary';
    const fields = { key: 'cut', ...signedFields([{ key: 'cut' }]) };
    const text = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('')
      + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.txt"\r\n\r\npartial data with no end`;
    res = await fetch(`${server.endpoint}/${bucket}`, { method: 'POST', body: text, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect([res.status, await codeOf(res)]).toEqual([400, 'IncompleteBody']);
    expect(await exists('cut')).toBe(false);
    expect(await exists('big-fields')).toBe(false);
  });
});
