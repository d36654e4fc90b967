// Server-side encryption end to end with @aws-sdk/client-s3 (default settings) against
// the real server with the local KMS: every mode on put, get, ranges, partNumber, head,
// listings, the copy matrix, SSE-C key rotation by self-copy, multipart with part copy,
// checksums, and the error answers with their exact codes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, GetObjectAttributesCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, ListPartsCommand, PutObjectCommand, S3Client, UploadPartCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { startServer, type StartedServer } from './helpers/server.ts';
import { errorOf, sdkClient } from './helpers/clients.ts';
import { checksumBase64 } from '../src/s3/checksum/index.ts';
import { customerKey, markedBody, masterKeyEnv, md5Hex, sdkCopySourceSseC, sdkSseC, type CustomerKey } from './helpers/sse.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'sse-bucket';
const keyA = customerKey(1);
const keyB = customerKey(2);

type ModeName = 'none' | 'sse-s3' | 'sse-kms' | 'sse-c';
const modeNames: ModeName[] = ['none', 'sse-s3', 'sse-kms', 'sse-c'];

function putFields(mode: ModeName, k: CustomerKey = keyA): Record<string, string> {
  switch (mode) {
    case 'none': return {};
    case 'sse-s3': return { ServerSideEncryption: 'AES256' };
    case 'sse-kms': return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'app-key' };
    case 'sse-c': return sdkSseC(k);
  }
}

function readFields(mode: ModeName, k: CustomerKey = keyA): Record<string, string> {
  return mode === 'sse-c' ? sdkSseC(k) : {};
}

function copySourceFields(mode: ModeName, k: CustomerKey = keyA): Record<string, string> {
  return mode === 'sse-c' ? sdkCopySourceSseC(k) : {};
}

/** What a response must say about the encryption of `mode`. */
function expectEcho(out: { ServerSideEncryption?: string | undefined; SSEKMSKeyId?: string | undefined; SSECustomerAlgorithm?: string | undefined; SSECustomerKeyMD5?: string | undefined }, mode: ModeName, k: CustomerKey = keyA): void {
  const want = {
    none: { sse: undefined, kms: undefined, alg: undefined, md5: undefined },
    'sse-s3': { sse: 'AES256', kms: undefined, alg: undefined, md5: undefined },
    'sse-kms': { sse: 'aws:kms', kms: 'app-key', alg: undefined, md5: undefined },
    'sse-c': { sse: undefined, kms: undefined, alg: 'AES256', md5: k.md5B64 },
  }[mode];
  expect([out.ServerSideEncryption, out.SSEKMSKeyId, out.SSECustomerAlgorithm, out.SSECustomerKeyMD5]).toEqual([want.sse, want.kms, want.alg, want.md5]);
}

async function bytesOf(out: { Body?: { transformToByteArray(): Promise<Uint8Array> } | undefined }): Promise<Uint8Array> {
  if (out.Body === undefined) throw new Error('no body');
  return out.Body.transformToByteArray();
}

beforeAll(async () => {
  server = await startServer({ env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv, CAIRN_SSE_C_ALLOW_INSECURE: 'on', CAIRN_KMS_AUTO_CREATE: 'off' } });
  s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // Keys are created through the admin API (auto-create is off here, so unknown keys are refused).
  const { signRequest } = await import('../src/s3/sigv4/index.ts');
  const { systemClock } = await import('../src/util/clock.ts');
  for (const keyId of ['app-key', 'cairn-default']) {
    const signed = signRequest({ method: 'POST', url: `${server.endpoint}/cairn/admin/v1/kms/keys/${keyId}` }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
    const res = await fetch(signed.url, { method: 'POST', headers: signed.headers });
    expect(res.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

describe('single-part objects in every mode', () => {
  const body = markedBody(300_000, 'SINGLE-MARKER');
  for (const mode of modeNames) {
    test(`${mode}: put, get, ranges, partNumber, head, list`, async () => {
      const key = `single/${mode}`;
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...putFields(mode) }));
      expectEcho(put, mode);
      if (mode === 'none' || mode === 'sse-s3') expect(put.ETag).toBe(`"${md5Hex(body)}"`);
      else expect(put.ETag).not.toBe(`"${md5Hex(body)}"`);

      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...readFields(mode) }));
      expectEcho(got, mode);
      expect(got.ContentLength).toBe(body.length);
      expect(got.ETag).toBe(put.ETag);
      expect(md5Hex(await bytesOf(got))).toBe(md5Hex(body));

      for (const [first, last] of [[0, 0], [65_535, 65_536], [70_000, 140_000], [299_990, 299_999], [131_072, 196_607]] as const) {
        const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${first}-${last}`, ...readFields(mode) }));
        expect(r.ContentRange).toBe(`bytes ${first}-${last}/${body.length}`);
        expect(Buffer.from(await bytesOf(r)).equals(Buffer.from(body.subarray(first, last + 1)))).toBe(true);
      }
      const suffix = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=-1000', ...readFields(mode) }));
      expect(Buffer.from(await bytesOf(suffix)).equals(Buffer.from(body.subarray(body.length - 1000)))).toBe(true);
      const part1 = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 1, ...readFields(mode) }));
      expect(part1.ContentLength).toBe(body.length);
      expect(md5Hex(await bytesOf(part1))).toBe(md5Hex(body));

      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...readFields(mode) }));
      expectEcho(head, mode);
      expect(head.ContentLength).toBe(body.length);
      expect(head.ETag).toBe(put.ETag);

      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
      expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([[key, body.length]]);
    });
  }

  test('an empty object in every mode', async () => {
    for (const mode of modeNames) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `empty/${mode}`, Body: new Uint8Array(0), ...putFields(mode) }));
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `empty/${mode}`, ...readFields(mode) }));
      expect(got.ContentLength).toBe(0);
      expect((await bytesOf(got)).length).toBe(0);
    }
  });

  test('KMS key ids are echoed exactly as sent (ARN form), with the context and bucket-key flag', async () => {
    const arn = 'arn:aws:kms:us-east-1:123456789012:key/app-key';
    const context = Buffer.from(JSON.stringify({ team: 'storage' })).toString('base64');
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'arn-key', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: arn, SSEKMSEncryptionContext: context, BucketKeyEnabled: true }));
    expect([put.ServerSideEncryption, put.SSEKMSKeyId, put.SSEKMSEncryptionContext, put.BucketKeyEnabled]).toEqual(['aws:kms', arn, Buffer.from('{"team":"storage"}').toString('base64'), true]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'arn-key' }));
    expect([head.SSEKMSKeyId, head.BucketKeyEnabled]).toEqual([arn, true]);
    // No key id: the default key seals it.
    const dflt = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'default-key', Body: 'x', ServerSideEncryption: 'aws:kms' }));
    expect(dflt.SSEKMSKeyId).toBe('cairn-default');
  });

  test('checksums still work with encryption (SDK CRC32 trailers, stored and returned)', async () => {
    for (const mode of modeNames) {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `sum/${mode}`, Body: body, ChecksumAlgorithm: 'SHA256', ...putFields(mode) }));
      expect(put.ChecksumSHA256).toBe(new Bun.CryptoHasher('sha256').update(body).digest('base64'));
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `sum/${mode}`, ChecksumMode: 'ENABLED', ...readFields(mode) }));
      expect(got.ChecksumSHA256).toBe(put.ChecksumSHA256);
      expect(md5Hex(await bytesOf(got))).toBe(md5Hex(body));
    }
  });
});

describe('copy', () => {
  const body = markedBody(150_000, 'COPY-MARKER', 7);
  beforeAll(async () => {
    for (const mode of modeNames) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `src/${mode}`, Body: body, ...putFields(mode) }));
  });

  for (const from of modeNames) {
    test(`from ${from} to every mode`, async () => {
      for (const to of modeNames) {
        const key = `copy/${from}-${to}`;
        const out = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/src/${from}`, ...copySourceFields(from), ...putFields(to, keyB) }));
        expectEcho(out, to, keyB);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...readFields(to, keyB) }));
        expectEcho(got, to, keyB);
        expect(out.CopyObjectResult?.ETag).toBe(got.ETag);
        if (to === 'none' || to === 'sse-s3') expect(got.ETag).toBe(`"${md5Hex(body)}"`);
        expect(md5Hex(await bytesOf(got))).toBe(md5Hex(body));
      }
    });
  }

  test('a copy source without its customer key is refused; with the wrong key denied', async () => {
    expect(await errorOf(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${bucket}/src/sse-c` })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect(await errorOf(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${bucket}/src/sse-c`, ...sdkCopySourceSseC(keyB) })))).toEqual({ code: 'AccessDenied', status: 403 });
  });

  test('SSE-C key rotation by copying the object onto itself', async () => {
    const key = 'rotate/me';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...sdkSseC(keyA) }));
    const out = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${key}`, ...sdkCopySourceSseC(keyA), ...sdkSseC(keyB) }));
    expect(out.SSECustomerKeyMD5).toBe(keyB.md5B64);
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...sdkSseC(keyA) })))).toEqual({ code: 'AccessDenied', status: 403 });
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...sdkSseC(keyB) }));
    expect(md5Hex(await bytesOf(got))).toBe(md5Hex(body));
  });
});

describe('multipart', () => {
  const partBytes = 5 * 1024 * 1024;
  const part1 = markedBody(partBytes, 'MULTI-MARKER', 11);
  const copySource = markedBody(partBytes + 1000, 'MULTI-MARKER', 13);
  const part2 = copySource.subarray(1000);
  const tail = markedBody(700_000, 'MULTI-MARKER', 12);
  const whole = Buffer.concat([part1, part2, tail]);

  for (const mode of modeNames) {
    test(`${mode}: create, upload part, upload part copy, list parts, complete, get`, async () => {
      const key = `multi/${mode}`;
      // The copy source for part 2: an object in the same mode.
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `multi-src/${mode}`, Body: copySource, ...putFields(mode) }));
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...putFields(mode) }));
      expectEcho(created, mode);
      const uploadId = created.UploadId!;
      const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: part1, ...readFields(mode) }));
      expectEcho(p1, mode);
      const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 2, CopySource: `${bucket}/multi-src/${mode}`, CopySourceRange: `bytes=1000-${partBytes + 999}`, ...copySourceFields(mode), ...readFields(mode) }));
      const p3 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 3, Body: tail, ...readFields(mode) }));
      // The same bytes sent again as the same part (a client retry) get the same ETag: no plaintext MD5 shows, yet the ETag is stable.
      const again = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 3, Body: tail, ...readFields(mode) }));
      expect(again.ETag).toBe(p3.ETag);
      if (mode === 'sse-kms' || mode === 'sse-c') expect(p3.ETag).not.toBe(`"${md5Hex(tail)}"`);
      const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([[1, partBytes, p1.ETag], [2, partBytes, p2.CopyPartResult?.ETag], [3, tail.length, p3.ETag]]);
      if (mode === 'sse-c') {
        // Every part must carry the customer key, and the right one.
        expect(await errorOf(s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 4, Body: 'x' })))).toEqual({ code: 'InvalidRequest', status: 400 });
        expect(await errorOf(s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 4, Body: 'x', ...sdkSseC(keyB) })))).toEqual({ code: 'AccessDenied', status: 403 });
      }
      const completed = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [
        { PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult?.ETag }, { PartNumber: 3, ETag: p3.ETag },
      ] } }));
      expect([completed.ServerSideEncryption, completed.SSEKMSKeyId]).toEqual([putFields(mode)['ServerSideEncryption'], putFields(mode)['SSEKMSKeyId']]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...readFields(mode) }));
      expect(head.ContentLength).toBe(whole.length);
      expectEcho(head, mode);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...readFields(mode) }));
      expect(md5Hex(await bytesOf(got))).toBe(md5Hex(whole));
      // A range across the part boundaries, and each part by number.
      const first = partBytes - 100;
      const last = 2 * partBytes + 100;
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${first}-${last}`, ...readFields(mode) }));
      expect(Buffer.from(await bytesOf(r)).equals(whole.subarray(first, last + 1))).toBe(true);
      const third = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 3, ...readFields(mode) }));
      expect([third.ContentLength, third.PartsCount, third.ContentRange]).toEqual([tail.length, 3, `bytes ${2 * partBytes}-${whole.length - 1}/${whole.length}`]);
      expect(md5Hex(await bytesOf(third))).toBe(md5Hex(tail));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
      expect(listed.Contents?.map((c) => c.Size)).toEqual([whole.length]);
      // The multipart object as a copy source, into SSE-C.
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${key}-copy`, CopySource: `${bucket}/${key}`, ...copySourceFields(mode), ...sdkSseC(keyB) }));
      const copied = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}-copy`, ...sdkSseC(keyB) }));
      expect(md5Hex(await bytesOf(copied))).toBe(md5Hex(whole));
    }, 60_000);
  }

  test('a FULL_OBJECT CRC64NVME checksum is combined over the plaintext of encrypted parts', async () => {
    for (const mode of ['sse-s3', 'sse-c'] as const) {
      const key = `multi/full-${mode}`;
      const bodies = [markedBody(partBytes, 'FULL-A', 3), markedBody(12_345, 'FULL-B', 4)];
      const whole = Buffer.concat(bodies);
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'CRC64NVME', ...putFields(mode) }));
      const parts = [];
      for (const [i, b] of bodies.entries()) {
        const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: i + 1, Body: b, ChecksumAlgorithm: 'CRC64NVME', ...readFields(mode) }));
        parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC64NVME: r.ChecksumCRC64NVME });
      }
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: parts }, ...readFields(mode) }));
      expect(done.ChecksumCRC64NVME).toBe(checksumBase64('CRC64NVME', whole));
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...readFields(mode) }));
      expect(got.ChecksumCRC64NVME).toBe(done.ChecksumCRC64NVME);
      expect(md5Hex(await bytesOf(got))).toBe(md5Hex(whole));
    }
  });

  test('an encrypted part under the minimum plaintext size is refused at completion', async () => {
    const key = 'multi/small';
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ServerSideEncryption: 'AES256' }));
    const small = markedBody(partBytes - 1000, 'x');
    const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: 1, Body: small }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: 2, Body: 'end' }));
    expect(await errorOf(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } })))).toEqual({ code: 'EntityTooSmall', status: 400 });
  });
});

describe('errors', () => {
  test('SSE-C object read without its key: 400; with the wrong key: 403', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'err/c', Body: 'secret', ...sdkSseC(keyA) }));
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'err/c' })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'err/c' })))).status).toBe(400);
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'err/c', ...sdkSseC(keyB) })))).toEqual({ code: 'AccessDenied', status: 403 });
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'err/c', ...sdkSseC(keyB) })))).status).toBe(403);
    // GetObjectAttributes needs the key too, and then shows the plaintext size.
    expect(await errorOf(s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'err/c', ObjectAttributes: ['ObjectSize'] })))).toEqual({ code: 'InvalidRequest', status: 400 });
    expect((await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'err/c', ObjectAttributes: ['ObjectSize'], ...sdkSseC(keyA) }))).ObjectSize).toBe(6);
  });

  test('bad customer key or MD5, and conflicting modes: 400 InvalidArgument; nothing stored', async () => {
    // Raw headers: the SDK would recompute the key MD5 itself.
    const trio = (key: string, md5: string): Record<string, string> => ({
      'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': key, 'x-amz-server-side-encryption-customer-key-md5': md5,
    });
    const cases: Record<string, string>[] = [
      trio(Buffer.alloc(16, 1).toString('base64'), keyA.md5B64),
      trio(keyA.keyB64, keyB.md5B64),
      trio('not base64!', keyA.md5B64),
      { ...trio(keyA.keyB64, keyA.md5B64), 'x-amz-server-side-encryption-customer-algorithm': 'AES128' },
      { ...trio(keyA.keyB64, keyA.md5B64), 'x-amz-server-side-encryption': 'AES256' },
      { 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-aws-kms-key-id': 'app-key' },
      { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-context': 'bm90IGpzb24=' },
      { 'x-amz-server-side-encryption': 'DES' },
    ];
    for (const headers of cases) {
      const res = await signedFetch('PUT', '/err/bad', headers, 'x');
      expect({ headers, status: res.status, code: /<Code>([^<]*)<\/Code>/.exec(await res.text())?.[1] }).toEqual({ headers, status: 400, code: 'InvalidArgument' });
    }
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'err/bad' })))).toEqual({ code: 'NotFound', status: 404 });
  });

  test('SSE-S3 / SSE-KMS headers on GET: 400', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'err/s3', Body: 'x', ServerSideEncryption: 'AES256' }));
    const res = await signedFetch('GET', '/err/s3', { 'x-amz-server-side-encryption': 'AES256' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidArgument</Code>');
    const head = await signedFetch('HEAD', '/err/s3', { 'x-amz-server-side-encryption': 'aws:kms' });
    expect(head.status).toBe(400);
  });

  test('an unknown KMS key: 400 KMS.NotFoundException, nothing stored', async () => {
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'err/nokey', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'no-such-key' })))).toEqual({ code: 'KMS.NotFoundException', status: 400 });
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'err/nokey' })))).toEqual({ code: 'NotFound', status: 404 });
  });

  test('customer key on a plain object: 400', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'err/plain', Body: 'x' }));
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'err/plain', ...sdkSseC(keyA) })))).toEqual({ code: 'InvalidRequest', status: 400 });
  });
});

async function signedFetch(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Response> {
  const { signRequest } = await import('../src/s3/sigv4/index.ts');
  const { systemClock } = await import('../src/util/clock.ts');
  const signed = signRequest({ method, url: `${server.endpoint}/${bucket}${path}`, headers, ...(body === undefined ? {} : { body }) }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
  return fetch(signed.url, { method, headers: signed.headers, ...(body === undefined ? {} : { body }) });
}
