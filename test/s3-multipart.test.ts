// Multipart uploads with @aws-sdk/client-s3 defaults: a 20 MiB upload, part copies with
// ranges, listings of parts and uploads, abort, and the completion errors AWS gives.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand,
  GetObjectAttributesCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand, S3Client, UploadPartCommand,
  UploadPartCopyCommand, type CompletedPart,
} from '@aws-sdk/client-s3';
import type { StartedServer } from './helpers/server.ts';
import { errorName, startWithBucket, stopWithClient } from './helpers/clients.ts';
import { checksumBase64 } from '../src/s3/checksum/index.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'mp-bucket';
const MiB = 1024 * 1024;

function pattern(sizeBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) out[i] = (i * 31 + seed * 7 + (i >>> 11)) & 0xff;
  return out;
}

const md5 = (b: Uint8Array): string => new Bun.CryptoHasher('md5').update(b).digest('hex');

async function bytesOf(key: string, extra: { Range?: string; PartNumber?: number } = {}): Promise<Uint8Array> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return (await r.Body?.transformToByteArray()) ?? new Uint8Array();
}

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
});

afterAll(() => stopWithClient(server, s3));

describe('multipart', () => {
  test('20 MiB in four parts: complete, read whole, by range and by part', async () => {
    const parts = [pattern(5 * MiB, 1), pattern(5 * MiB, 2), pattern(5 * MiB, 3), pattern(5 * MiB, 4)];
    const whole = Buffer.concat(parts);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big', ContentType: 'application/x-big', Metadata: { m: 'v' } }));
    expect(UploadId).toBeString();
    const done: CompletedPart[] = [];
    for (const [i, body] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big', UploadId, PartNumber: i + 1, Body: body }));
      expect(r.ETag).toBe(`"${md5(body)}"`);
      done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'big', UploadId, MaxParts: 3 }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 5 * MiB], [2, 5 * MiB], [3, 5 * MiB]]);
    expect(listed.IsTruncated).toBe(true);
    const rest = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'big', UploadId, PartNumberMarker: listed.NextPartNumberMarker }));
    expect(rest.Parts?.map((p) => p.PartNumber)).toEqual([4]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['big', UploadId]]);

    const completed = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big', UploadId, MultipartUpload: { Parts: done } }));
    const partMd5s = Buffer.concat(parts.map((p) => Buffer.from(md5(p), 'hex')));
    expect(completed.ETag).toBe(`"${md5(partMd5s)}-4"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big' }));
    expect(head).toMatchObject({ ContentLength: 20 * MiB, ContentType: 'application/x-big', Metadata: { m: 'v' } });
    expect(md5(await bytesOf('big'))).toBe(md5(whole));
    const range = await bytesOf('big', { Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` });
    expect(Buffer.from(range).equals(whole.subarray(5 * MiB - 10, 5 * MiB + 10))).toBe(true);
    const third = await bytesOf('big', { PartNumber: 3 });
    expect(md5(third)).toBe(md5(parts[2] ?? new Uint8Array()));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
  });

  test('UploadPartCopy with ranges assembles a new object', async () => {
    const src = pattern(6 * MiB, 9);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-src', Body: src }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'copy-dst' }));
    const first = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy-dst', UploadId, PartNumber: 1, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    const second = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy-dst', UploadId, PartNumber: 2, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=${5 * MiB}-${6 * MiB - 1}` }));
    expect(first.CopyPartResult?.ETag).toBe(`"${md5(src.subarray(0, 5 * MiB))}"`);
    expect(await errorName(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'copy-dst', UploadId, PartNumber: 3, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=0-${6 * MiB}` })))).toBe('InvalidArgument');
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'copy-dst', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.CopyPartResult?.ETag }, { PartNumber: 2, ETag: second.CopyPartResult?.ETag }] } }));
    expect(md5(await bytesOf('copy-dst'))).toBe(md5(src));
  });

  test('InvalidPart, InvalidPartOrder, EntityTooSmall; nothing is stored', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'bad' }));
    const small1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'bad', UploadId, PartNumber: 1, Body: pattern(1024, 1) }));
    const small2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'bad', UploadId, PartNumber: 2, Body: pattern(1024, 2) }));
    const complete = (parts: CompletedPart[]): Promise<unknown> => s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'bad', UploadId, MultipartUpload: { Parts: parts } }));
    expect(await errorName(complete([{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }]))).toBe('InvalidPart');
    expect(await errorName(complete([{ PartNumber: 3, ETag: small1.ETag }]))).toBe('InvalidPart');
    expect(await errorName(complete([{ PartNumber: 2, ETag: small2.ETag }, { PartNumber: 1, ETag: small1.ETag }]))).toBe('InvalidPartOrder');
    expect(await errorName(complete([{ PartNumber: 1, ETag: small1.ETag }, { PartNumber: 2, ETag: small2.ETag }]))).toBe('EntityTooSmall');
    expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'bad' })))).toBe('NotFound');
    // A single small part is a valid (last) part.
    await complete([{ PartNumber: 1, ETag: small1.ETag }]);
    expect(md5(await bytesOf('bad'))).toBe(md5(pattern(1024, 1)));
  });

  test('part checksums: a composite CRC32 on completion, and a mismatching one is InvalidPart', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'crc', ChecksumAlgorithm: 'CRC32' }));
    const bodies = [pattern(5 * MiB, 5), pattern(1000, 6)];
    const parts: CompletedPart[] = [];
    for (const [i, body] of bodies.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'crc', UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'CRC32' }));
      expect(r.ChecksumCRC32).toBeString();
      parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'crc', UploadId }));
    expect(listed.Parts?.map((p) => p.ChecksumCRC32)).toEqual(parts.map((p) => p.ChecksumCRC32));
    const wrong = parts.map((p, i) => (i === 0 ? { ...p, ChecksumCRC32: 'AAAAAA==' } : p));
    expect(await errorName(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'crc', UploadId, MultipartUpload: { Parts: wrong } })))).toBe('InvalidPart');
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'crc', UploadId, MultipartUpload: { Parts: parts } }));
    expect(done.ChecksumCRC32).toMatch(/-2$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'crc', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumCRC32).toBe(done.ChecksumCRC32);
    expect(md5(await bytesOf('crc'))).toBe(md5(Buffer.concat(bodies)));
  });

  test('FULL_OBJECT checksums: CRC64NVME and CRC32C are combined from the parts, checked on completion and validated on GET', async () => {
    const bodies = [pattern(5 * MiB, 8), pattern(5 * MiB + 3, 9), pattern(777, 10)];
    const whole = Buffer.concat(bodies);
    for (const algorithm of ['CRC64NVME', 'CRC32C'] as const) {
      const key = `full-${algorithm}`;
      // CRC64NVME is FULL_OBJECT without being asked; CRC32C has to be asked.
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: algorithm, ...(algorithm === 'CRC32C' ? { ChecksumType: 'FULL_OBJECT' as const } : {}) }));
      expect(created.ChecksumType).toBe('FULL_OBJECT');
      const UploadId = created.UploadId;
      const parts: CompletedPart[] = [];
      for (const [i, body] of bodies.entries()) {
        const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: algorithm }));
        parts.push({ PartNumber: i + 1, ETag: r.ETag, [`Checksum${algorithm}`]: r[`Checksum${algorithm}`] });
      }
      const expected = checksumBase64(algorithm, whole);
      const wrong = checksumBase64(algorithm, whole.subarray(1));
      expect(await errorName(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts }, ChecksumType: 'FULL_OBJECT', [`Checksum${algorithm}`]: wrong })))).toBe('BadDigest');
      expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })))).toBe('NotFound');
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts }, ChecksumType: 'FULL_OBJECT', [`Checksum${algorithm}`]: expected }));
      expect(done[`Checksum${algorithm}`]).toBe(expected);
      expect(done.ChecksumType).toBe('FULL_OBJECT');
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
      expect(head[`Checksum${algorithm}`]).toBe(expected);
      expect(head.ChecksumType).toBe('FULL_OBJECT');
      // The SDK checks the body against a full-object checksum it is given: a wrong one fails the read.
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
      expect(md5((await got.Body?.transformToByteArray()) ?? new Uint8Array())).toBe(md5(whole));
    }
  });

  test('GetObjectAttributes: ETag, size, checksum and parts (paged), as asked', async () => {
    // 'full-CRC64NVME' was completed above from three parts with a FULL_OBJECT checksum.
    const all = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'full-CRC64NVME', ObjectAttributes: ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'full-CRC64NVME', ChecksumMode: 'ENABLED' }));
    expect(`"${all.ETag}"`).toBe(head.ETag!);
    expect(all.ObjectSize).toBe(head.ContentLength);
    expect(all.StorageClass).toBe('STANDARD');
    expect(all.Checksum?.ChecksumCRC64NVME).toBe(head.ChecksumCRC64NVME);
    expect(all.Checksum?.ChecksumType).toBe('FULL_OBJECT');
    expect(all.ObjectParts?.TotalPartsCount).toBe(3);
    expect(all.ObjectParts?.Parts?.map((p) => p.Size)).toEqual([5 * MiB, 5 * MiB + 3, 777]);
    expect(all.ObjectParts?.Parts?.every((p) => typeof p.ChecksumCRC64NVME === 'string')).toBe(true);
    const page = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'full-CRC64NVME', ObjectAttributes: ['ObjectParts'], MaxParts: 2, PartNumberMarker: '1' }));
    expect(page.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([2, 3]);
    expect(page.ObjectParts?.IsTruncated).toBe(false);
    expect(page.ETag).toBeUndefined();
    const first = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'full-CRC64NVME', ObjectAttributes: ['ObjectParts'], MaxParts: 1 }));
    expect([first.ObjectParts?.IsTruncated, first.ObjectParts?.NextPartNumberMarker]).toEqual([true, '1']);
    expect(await errorName(s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'missing', ObjectAttributes: ['ETag'] })))).toBe('NoSuchKey');
  });

  test('checksum type rules: CRC64NVME is never COMPOSITE, SHA-256 is never FULL_OBJECT', async () => {
    expect(await errorName(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'rules', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' })))).toBe('InvalidRequest');
    expect(await errorName(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'rules', ChecksumAlgorithm: 'SHA256', ChecksumType: 'FULL_OBJECT' })))).toBe('InvalidRequest');
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'rules' }));
    expect(uploads.Uploads ?? []).toHaveLength(0);
  });

  test('a malformed checksum on CompleteMultipartUpload is refused; a retried completion answers as the first did, until the key holds something else', async () => {
    const body = pattern(5 * MiB + 3, 7);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'retried' }));
    const parts: CompletedPart[] = [];
    for (const [i, piece] of [body.subarray(0, 5 * MiB), body.subarray(5 * MiB)].entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'retried', UploadId, PartNumber: i + 1, Body: piece }));
      parts.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    const complete = (): Promise<{ ETag?: string | undefined }> => s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'retried', UploadId, MultipartUpload: { Parts: parts } }));
    const malformed = s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'retried', UploadId, ChecksumSHA256: 'bad', MultipartUpload: { Parts: parts } }));
    expect(await errorName(malformed)).toBe('InvalidRequest');
    expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'retried' })))).toBe('NotFound');
    const first = await complete();
    expect(first.ETag).toMatch(/-2"$/);
    expect((await complete()).ETag).toBe(first.ETag);
    expect(md5(await bytesOf('retried'))).toBe(md5(body));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'retried', Body: 'replaced' }));
    expect(await errorName(complete())).toBe('NoSuchUpload');
    expect(new TextDecoder().decode(await bytesOf('retried'))).toBe('replaced');
  });

  test('abort, unknown uploads and part number limits', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'aborted' }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'aborted', UploadId, PartNumber: 1, Body: 'x' }));
    expect(await errorName(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'aborted', UploadId, PartNumber: 10001, Body: 'x' })))).toBe('InvalidArgument');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted', UploadId }));
    expect(await errorName(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'aborted', UploadId })))).toBe('NoSuchUpload');
    expect(await errorName(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'aborted', UploadId, PartNumber: 2, Body: 'x' })))).toBe('NoSuchUpload');
    expect(await errorName(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'aborted', UploadId: 'no-such-upload', PartNumber: 1, Body: 'x' })))).toBe('NoSuchUpload');
  });
});
