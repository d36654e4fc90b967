// Nothing plaintext on disk: objects holding a known marker are written in every SSE
// mode (small inline objects, multi-block objects, multipart with part copy, copies),
// then every file under every drive directory is scanned for the marker (raw and
// base64 at every alignment), for the customer keys and for the master key. A plain
// object written alongside proves the scan finds what is there.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { startServer, type StartedServer } from './helpers/server.ts';
import { sdkClient } from './helpers/clients.ts';
import { customerKey, filesContaining, markedBody, masterKeyBytes, masterKeyEnv, sdkCopySourceSseC, sdkSseC } from './helpers/sse.ts';

const secretMarker = 'CAIRN-SECRET-PLAINTEXT-9c2e41d7';
const controlMarker = 'CAIRN-CONTROL-PLAINTEXT-51aa03b8';
const keyA = customerKey(21);
const keyB = customerKey(22);
let server: StartedServer;
let s3: S3Client;

/** The needle and its base64 forms at each of the three byte alignments. */
function forms(bytes: Uint8Array): Uint8Array[] {
  const out = [bytes];
  for (let skip = 0; skip < 3; skip++) {
    const part = bytes.subarray(skip, skip + Math.floor((bytes.length - skip) / 3) * 3);
    out.push(new TextEncoder().encode(Buffer.from(part).toString('base64')));
  }
  return out;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

beforeAll(async () => {
  server = await startServer({ env: { CAIRN_KMS_BACKEND: 'local', CAIRN_KMS_SECRET_KEY: masterKeyEnv, CAIRN_SSE_C_ALLOW_INSECURE: 'on' } });
  s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'scan' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'control' }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

test('no marker, customer key or master key in any file on any drive', async () => {
  const modes: [string, Record<string, unknown>, Record<string, string>][] = [
    ['sse-s3', { ServerSideEncryption: 'AES256' }, {}],
    ['sse-kms', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'scan-key' }, {}],
    ['sse-c', sdkSseC(keyA), sdkCopySourceSseC(keyA)],
  ];
  const partBytes = 5 * 1024 * 1024;
  for (const [mode, fields, copySource] of modes) {
    for (const size of [1000, 100_000, 3 * 1024 * 1024 + 17]) {
      await s3.send(new PutObjectCommand({ Bucket: 'scan', Key: `${mode}/single-${size}`, Body: markedBody(size, secretMarker, size), ...fields }));
    }
    await s3.send(new PutObjectCommand({ Bucket: 'scan', Key: `${mode}/user-meta`, Body: 'x', Metadata: { note: 'not secret' }, ...fields }));
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'scan', Key: `${mode}/multi`, ...fields }));
    const partFields = mode === 'sse-c' ? sdkSseC(keyA) : {};
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'scan', Key: `${mode}/multi`, UploadId: created.UploadId, PartNumber: 1, Body: markedBody(partBytes, secretMarker, 3), ...partFields }));
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: 'scan', Key: `${mode}/multi`, UploadId: created.UploadId, PartNumber: 2, CopySource: `scan/${mode}/single-100000`, ...copySource, ...partFields }));
    // An upload left open: its staged parts must be ciphertext too.
    const open = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'scan', Key: `${mode}/open`, ...fields }));
    await s3.send(new UploadPartCommand({ Bucket: 'scan', Key: `${mode}/open`, UploadId: open.UploadId, PartNumber: 1, Body: markedBody(200_000, secretMarker, 4), ...partFields }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'scan', Key: `${mode}/multi`, UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult?.ETag }] } }));
    await s3.send(new CopyObjectCommand({ Bucket: 'scan', Key: `${mode}/copied`, CopySource: `scan/${mode}/single-100000`, ...copySource, ...sdkSseC(keyB) }));
  }
  // Control: the same kind of body stored plain is found by the scan.
  await s3.send(new PutObjectCommand({ Bucket: 'control', Key: 'plain', Body: markedBody(100_000, controlMarker, 9) }));
  expect((await filesContaining(server.drives, forms(text(controlMarker)))).length).toBeGreaterThan(0);

  const needles = [...forms(text(secretMarker)), ...forms(keyA.key), ...forms(keyB.key), ...forms(masterKeyBytes)];
  expect(await filesContaining(server.drives, needles)).toEqual([]);
}, 120_000);
