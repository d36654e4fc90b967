import { describe, expect, test } from 'bun:test';
import { Readable } from 'node:stream';
import { getAwsChunkedEncodingStream } from '@smithy/core/serde';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { fixedClock } from '../../util/clock.ts';
import { seededRandom } from '../../util/random.ts';
import { S3Error } from '../errors.ts';
import type { S3ErrorCode } from '../errors.ts';
import { checksumBase64 } from '../checksum/index.ts';
import type { ChecksumAlgorithm } from '../checksum/index.ts';
import { authenticate, encodeSignedChunks, encodeUnsignedChunks, signRequest, verifiedBody } from './index.ts';
import type { AuthResult, VerifyOptions } from './index.ts';
import { sha256Hex } from './crypto.ts';
import { rootCreds, staticStore, testStore } from './testing/oracle.ts';

const t0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const clock = fixedClock(t0);
const enc = new TextEncoder();

/** A body stream delivering `bytes` in pieces of the given sizes (the last size repeats). */
function streamOf(bytes: Uint8Array, pieceBytes: readonly number[] = [bytes.length || 1]): ReadableStream<Uint8Array> {
  let pos = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pos >= bytes.length) {
        controller.close();
        return;
      }
      const size = pieceBytes[Math.min(i, pieceBytes.length - 1)] ?? 1;
      i += 1;
      controller.enqueue(bytes.slice(pos, pos + size));
      pos += size;
    },
  });
}

interface Drained { data: Uint8Array; error: unknown }

async function drain(stream: ReadableStream<Uint8Array>): Promise<Drained> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    return { data: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

function expectCode(error: unknown, code: S3ErrorCode): void {
  expect(error).toBeInstanceOf(S3Error);
  expect((error as S3Error).code).toBe(code);
}

/** Authenticates a request signed by our client signer, so the chunk chain is real. */
function authFor(payloadHash: string, headers: Record<string, string> = {}): AuthResult {
  const signed = signRequest({ method: 'PUT', url: 'http://127.0.0.1:9000/b/k', headers, payloadHash }, rootCreds, clock);
  return authenticate({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: signed.headers }, { credentials: testStore, clock, region: 'us-east-1' });
}

function headersOf(auth: AuthResult, extra: Record<string, string>): Headers {
  return new Headers({ 'x-amz-content-sha256': auth.payloadHash, ...extra });
}

async function run(body: Uint8Array, auth: AuthResult, extra: Record<string, string>, pieces?: number[], options?: VerifyOptions) {
  const v = verifiedBody(streamOf(body, pieces), auth, headersOf(auth, extra), options);
  const out = await drain(v.stream);
  return { ...out, v };
}

const data = seededRandom(3).bytes(200_000);

describe('UNSIGNED-PAYLOAD', () => {
  const auth = authFor('UNSIGNED-PAYLOAD');

  test('passes bytes through unchanged and reports the length', async () => {
    const { data: out, error, v } = await run(data, auth, { 'content-length': String(data.length) }, [65536, 1000, 7]);
    expect(error).toBeUndefined();
    expect(Buffer.compare(out, data)).toBe(0);
    expect(v.contentLength).toBe(data.length);
    expect(v.result()).toEqual({ sizeBytes: data.length });
  });

  test('empty and null bodies', async () => {
    const v = verifiedBody(null, auth, headersOf(auth, { 'content-length': '0' }));
    expect((await drain(v.stream)).data.length).toBe(0);
    expect(v.result().sizeBytes).toBe(0);
    const w = verifiedBody(null, auth, headersOf(auth, { 'content-length': '5' }));
    expectCode((await drain(w.stream)).error, 'IncompleteBody');
  });

  test('length shorter or longer than Content-Length', async () => {
    expectCode((await run(data, auth, { 'content-length': String(data.length + 1) })).error, 'IncompleteBody');
    expectCode((await run(data, auth, { 'content-length': String(data.length - 1) }, [1000])).error, 'IncompleteBody');
  });

  test('sizeBytesMax', async () => {
    const { error } = await run(data, auth, {}, [1000], { sizeBytesMax: 1000 });
    expectCode(error, 'EntityTooLarge');
  });

  test('Content-MD5: good, wrong, malformed', async () => {
    const md5 = new Bun.CryptoHasher('md5').update(data).digest();
    const good = await run(data, auth, { 'content-md5': md5.toString('base64') });
    expect(good.error).toBeUndefined();
    expect(good.v.result().md5Hex).toBe(md5.toString('hex'));
    const wrong = Buffer.from(md5);
    wrong[0] = (wrong[0] ?? 0) ^ 1;
    expectCode((await run(data, auth, { 'content-md5': wrong.toString('base64') })).error, 'BadDigest');
    for (const bad of ['nope', 'AAAA', md5.toString('hex')]) {
      let caught: unknown;
      try {
        verifiedBody(streamOf(data), auth, headersOf(auth, { 'content-md5': bad }));
      } catch (e) {
        caught = e;
      }
      expectCode(caught, 'InvalidDigest');
    }
  });

  test('computeMd5 and computeChecksum options', async () => {
    const { v } = await run(data, auth, {}, [4096], { computeMd5: true, computeChecksum: 'CRC64NVME' });
    expect(v.result().md5Hex).toBe(new Bun.CryptoHasher('md5').update(data).digest('hex'));
    expect(v.result().checksum).toEqual({ algorithm: 'CRC64NVME', valueB64: checksumBase64('CRC64NVME', data) });
  });

  test('preferSha256 before the body is read: the ETag digest is SHA-256; with Content-MD5 that MD5 serves; once reading began it stays MD5', async () => {
    const sha = verifiedBody(streamOf(data, [4096]), auth, headersOf(auth, {}), { computeMd5: true });
    sha.preferSha256();
    expect((await drain(sha.stream)).error).toBeUndefined();
    expect(sha.result()).toEqual({ sizeBytes: data.length, sha256Hex: sha256Hex(data) });
    const empty = verifiedBody(streamOf(new Uint8Array(0)), auth, headersOf(auth, {}), { computeMd5: true });
    empty.preferSha256();
    await drain(empty.stream);
    expect(empty.result()).toEqual({ sizeBytes: 0, sha256Hex: sha256Hex(new Uint8Array(0)) });
    const md5 = new Bun.CryptoHasher('md5').update(data).digest();
    const withMd5 = verifiedBody(streamOf(data, [4096]), auth, headersOf(auth, { 'content-md5': md5.toString('base64') }), { computeMd5: true });
    withMd5.preferSha256();
    await drain(withMd5.stream);
    expect(withMd5.result()).toEqual({ sizeBytes: data.length, md5Hex: md5.toString('hex') });
    const late = verifiedBody(streamOf(data, [4096]), auth, headersOf(auth, {}), { computeMd5: true });
    const reader = late.stream.getReader();
    await reader.read();
    late.preferSha256();
    while (!(await reader.read()).done);
    expect(late.result()).toEqual({ sizeBytes: data.length, md5Hex: md5.toString('hex') });
  });

  for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const satisfies readonly ChecksumAlgorithm[]) {
    test(`x-amz-checksum-${algorithm.toLowerCase()} header: good and wrong`, async () => {
      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const value = checksumBase64(algorithm, data);
      const good = await run(data, auth, { [name]: value, 'x-amz-sdk-checksum-algorithm': algorithm }, [10_000]);
      expect(good.error).toBeUndefined();
      expect(good.v.result().checksum).toEqual({ algorithm, valueB64: value });
      const wrongValue = checksumBase64(algorithm, data.subarray(1));
      const bad = await run(data, auth, { [name]: wrongValue }, [10_000]);
      expectCode(bad.error, 'BadDigest');
      expect((bad.error as S3Error).message).toContain(algorithm);
    });
  }

  test('header-level checksum problems are thrown at once', () => {
    const cases: Array<Record<string, string>> = [
      { 'x-amz-checksum-crc32': 'not base64!' },
      { 'x-amz-checksum-crc32': 'AAAAAAAA' },
      { 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-sha1': checksumBase64('SHA1', data) },
      { 'x-amz-sdk-checksum-algorithm': 'MD5' },
      { 'x-amz-sdk-checksum-algorithm': 'CRC32C', 'x-amz-checksum-crc32': 'AAAAAA==' },
      { 'x-amz-trailer': 'x-amz-checksum-crc32' },
    ];
    for (const extra of cases) {
      let caught: unknown;
      try {
        verifiedBody(streamOf(data), auth, headersOf(auth, extra));
      } catch (e) {
        caught = e;
      }
      expectCode(caught, 'InvalidRequest');
    }
  });

  test('an upstream failure becomes IncompleteBody', async () => {
    let sent = false;
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(new Error('connection reset'));
        else controller.enqueue(new Uint8Array(10));
        sent = true;
      },
    });
    const v = verifiedBody(broken, auth, headersOf(auth, {}));
    expectCode((await drain(v.stream)).error, 'IncompleteBody');
  });

  test('cancelling the verified stream cancels the source', async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(10));
      },
      cancel() {
        cancelled = true;
      },
    });
    const v = verifiedBody(source, auth, headersOf(auth, {}));
    const reader = v.stream.getReader();
    await reader.read();
    await reader.cancel('client gone');
    expect(cancelled).toBe(true);
  });

  test('cancelling while a read is pending ends quietly', async () => {
    let sourceCancelled = false;
    const source = new ReadableStream<Uint8Array>({
      pull() {
        return new Promise<void>(() => undefined); // never delivers
      },
      cancel() {
        sourceCancelled = true;
      },
    });
    const v = verifiedBody(source, auth, headersOf(auth, { 'content-length': '999' }));
    const reader = v.stream.getReader();
    const pending = reader.read();
    await Bun.sleep(1);
    await reader.cancel('client gone');
    expect((await pending).done).toBe(true);
    expect(sourceCancelled).toBe(true);
  });
});

describe('real payload SHA-256', () => {
  test('accepted when it matches', async () => {
    const auth = authFor(sha256Hex(data));
    const { error, data: out } = await run(data, auth, {}, [30_000]);
    expect(error).toBeUndefined();
    expect(out.length).toBe(data.length);
  });

  test('the verified SHA-256 is reported, and serves as the ETag digest when SHA-256 is preferred', async () => {
    const auth = authFor(sha256Hex(data));
    const both = await run(data, auth, {}, [30_000], { computeMd5: true });
    expect(both.v.result()).toEqual({ sizeBytes: data.length, sha256Hex: sha256Hex(data), md5Hex: new Bun.CryptoHasher('md5').update(data).digest('hex') });
    const v = verifiedBody(streamOf(data, [30_000]), auth, headersOf(auth, {}), { computeMd5: true });
    v.preferSha256();
    await drain(v.stream);
    expect(v.result()).toEqual({ sizeBytes: data.length, sha256Hex: sha256Hex(data) });
  });

  test('a mismatch errors the stream before the last piece is delivered', async () => {
    const auth = authFor(sha256Hex(data.subarray(1)));
    const { error, data: out } = await run(data, auth, {}, [30_000]);
    expectCode(error, 'XAmzContentSHA256Mismatch');
    expect(out.length).toBeLessThan(data.length);
    const single = await run(data, auth, {});
    expectCode(single.error, 'XAmzContentSHA256Mismatch');
    expect(single.data.length).toBe(0);
  });

  test('unknown payload modes', () => {
    for (const [hash, code] of [['STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'NotImplemented'], ['not-a-hash', 'InvalidArgument']] as const) {
      let caught: unknown;
      try {
        verifiedBody(null, { ...authFor('UNSIGNED-PAYLOAD'), payloadHash: hash }, new Headers());
      } catch (e) {
        caught = e;
      }
      expectCode(caught, code);
    }
  });
});

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', () => {
  const mode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
  const chunks = [data.subarray(0, 65536), data.subarray(65536, 131072), data.subarray(131072)];

  test('AWS published example body decodes at any split', async () => {
    const awsDeps = {
      credentials: staticStore([{ accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', isRoot: true }]),
      clock: fixedClock(Date.UTC(2013, 4, 24)),
      region: 'us-east-1',
    };
    const headers = new Headers({
      host: 's3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '66560', 'content-length': '66824',
      'x-amz-content-sha256': mode,
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
    });
    const auth = authenticate({ method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '', headers }, awsDeps);
    const body = enc.encode(
      `10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n${'a'.repeat(65536)}\r\n` +
      `400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n${'a'.repeat(1024)}\r\n` +
      '0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n',
    );
    expect(body.length).toBe(66824);
    for (const pieces of [[body.length], [1], [7], [4096], [65536 + 86, 2]]) {
      const v = verifiedBody(streamOf(body, pieces), auth, headers);
      expect(v.contentLength).toBe(66560);
      const { data: out, error } = await drain(v.stream);
      expect(error).toBeUndefined();
      expect(Buffer.from(out).toString()).toBe('a'.repeat(66560));
    }
  });

  test('own signer round trip, with Content-MD5', async () => {
    const auth = authFor(mode);
    const body = encodeSignedChunks(chunks, auth.signer);
    const md5 = new Bun.CryptoHasher('md5').update(data).digest('base64');
    const { error, data: out, v } = await run(body, auth, { 'x-amz-decoded-content-length': String(data.length), 'content-md5': md5 }, [999]);
    expect(error).toBeUndefined();
    expect(Buffer.compare(out, data)).toBe(0);
    expect(v.result().sizeBytes).toBe(data.length);
  });

  test('a bad chunk signature, tampered data, reordered chunks', async () => {
    const auth = authFor(mode);
    const body = Buffer.from(encodeSignedChunks(chunks, auth.signer));
    const badSig = Buffer.from(body);
    const sigAt = badSig.indexOf('chunk-signature=', 0) + 'chunk-signature='.length;
    badSig[sigAt] = badSig[sigAt] === 0x30 ? 0x31 : 0x30;
    expectCode((await run(badSig, auth, {})).error, 'SignatureDoesNotMatch');
    const tampered = Buffer.from(body);
    tampered[200] = (tampered[200] ?? 0) ^ 0xff;
    expectCode((await run(tampered, auth, {})).error, 'SignatureDoesNotMatch');
    const swapped = encodeSignedChunks([chunks[1] ?? data, chunks[0] ?? data], auth.signer);
    const chunkA = swapped.subarray(0, swapped.indexOf(0x0a) + 1 + 65536 + 2);
    const rest = swapped.subarray(chunkA.length);
    const chunkB = rest.subarray(0, rest.indexOf(0x0a) + 1 + 65536 + 2);
    const reordered = Buffer.concat([chunkB, chunkA, rest.subarray(chunkB.length)]);
    expectCode((await run(reordered, auth, {})).error, 'SignatureDoesNotMatch');
    const otherSeed = authFor(mode, { 'x-amz-meta-x': 'y' });
    expectCode((await run(body, otherSeed, {})).error, 'SignatureDoesNotMatch');
  });

  test('a truncated or malformed chunk stream', async () => {
    const auth = authFor(mode);
    const body = encodeSignedChunks(chunks, auth.signer);
    for (const cut of [10, 100, 65536, body.length - 3]) {
      expectCode((await run(body.subarray(0, cut), auth, {})).error, 'IncompleteBody');
    }
    expectCode((await run(body, auth, { 'x-amz-decoded-content-length': String(data.length + 1) })).error, 'IncompleteBody');
    expectCode((await run(enc.encode('zz;chunk-signature=abc\r\n'), auth, {})).error, 'InvalidRequest');
    expectCode((await run(enc.encode(`5\r\nhello\r\n0\r\n\r\n`), auth, {})).error, 'InvalidRequest');
    const noCrlf = Buffer.from(body);
    noCrlf[noCrlf.indexOf(0x0a) + 1 + 65536] = 0x41;
    expectCode((await run(noCrlf, auth, {})).error, 'InvalidRequest');
    expectCode((await run(Buffer.concat([body, enc.encode('extra')]), auth, {})).error, 'InvalidRequest');
    expectCode((await run(enc.encode(`${'f'.repeat(5000)}\r\n`), auth, {})).error, 'InvalidRequest');
  });
});

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', () => {
  const mode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';

  test('AWS published trailer example (blank line before the trailers)', async () => {
    const awsDeps = {
      credentials: staticStore([{ accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', isRoot: true }]),
      clock: fixedClock(Date.UTC(2013, 4, 24)),
      region: 'us-east-1',
    };
    const headers = new Headers({
      host: 's3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '66560', 'x-amz-content-sha256': mode,
      'x-amz-trailer': 'x-amz-checksum-crc32c',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
    });
    const auth = authenticate({ method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '', headers }, awsDeps);
    const body = enc.encode(
      `10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n${'a'.repeat(65536)}\r\n` +
      `400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n${'a'.repeat(1024)}\r\n` +
      '0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n\r\n' +
      'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n',
    );
    const v = verifiedBody(streamOf(body, [333]), auth, headers);
    const { error, data: out } = await drain(v.stream);
    expect(error).toBeUndefined();
    expect(out.length).toBe(66560);
    expect(v.result().checksum).toEqual({ algorithm: 'CRC32C', valueB64: 'sOO8/Q==' });
  });

  test('own signer round trip; wrong checksum; tampered or missing trailer signature', async () => {
    const auth = authFor(mode, { 'x-amz-trailer': 'x-amz-checksum-sha256' });
    const extra = { 'x-amz-trailer': 'x-amz-checksum-sha256', 'x-amz-decoded-content-length': String(data.length) };
    const value = checksumBase64('SHA256', data);
    const body = encodeSignedChunks([data.subarray(0, 100_000), data.subarray(100_000)], auth.signer, { name: 'x-amz-checksum-sha256', value });
    const good = await run(body, auth, extra, [4095]);
    expect(good.error).toBeUndefined();
    expect(good.v.result().checksum).toEqual({ algorithm: 'SHA256', valueB64: value });

    const wrongValue = checksumBase64('SHA256', data.subarray(1));
    const wrong = encodeSignedChunks([data], auth.signer, { name: 'x-amz-checksum-sha256', value: wrongValue });
    const bad = await run(wrong, auth, extra);
    expectCode(bad.error, 'BadDigest');
    expect(bad.data.length).toBeLessThan(data.length);

    // Swap the trailer value without re-signing: the trailer signature no longer matches.
    const text = Buffer.from(body).toString('latin1').replace(value, wrongValue);
    expectCode((await run(Buffer.from(text, 'latin1'), auth, extra)).error, 'SignatureDoesNotMatch');
    const unsignedTrailer = Buffer.from(Buffer.from(body).toString('latin1').replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, ''), 'latin1');
    expectCode((await run(unsignedTrailer, auth, extra)).error, 'SignatureDoesNotMatch');
  });
});

describe('STREAMING-UNSIGNED-PAYLOAD-TRAILER', () => {
  const mode = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

  async function sdkFramed(algorithm: 'CRC32C' | 'CRC64NVME', pieces: Uint8Array[]): Promise<Uint8Array> {
    const Ctor = algorithm === 'CRC32C' ? Crc32cJs : Crc64NvmeJs;
    const source = Readable.from(pieces.map((p) => Buffer.from(p)));
    const framed = getAwsChunkedEncodingStream(source, {
      base64Encoder: (b: Uint8Array) => Buffer.from(b).toString('base64'),
      bodyLengthChecker: (b: Uint8Array) => b.byteLength,
      checksumAlgorithmFn: Ctor,
      checksumLocationName: `x-amz-checksum-${algorithm.toLowerCase()}`,
      streamHasher: (HashCtor, stream) => new Promise((resolve) => {
        const h = new HashCtor();
        (stream as Readable).on('data', (d: Uint8Array) => h.update(d));
        (stream as Readable).on('end', () => resolve(h.digest()));
      }),
    });
    const parts: Buffer[] = [];
    for await (const part of framed) parts.push(typeof part === 'string' ? Buffer.from(part) : Buffer.from(part as Uint8Array));
    return Buffer.concat(parts);
  }

  test('framed by the AWS SDK itself, CRC32C and CRC64NVME trailers', async () => {
    const auth = authFor(mode);
    for (const algorithm of ['CRC32C', 'CRC64NVME'] as const) {
      const body = await sdkFramed(algorithm, [data.subarray(0, 70_000), data.subarray(70_000, 70_001), data.subarray(70_001)]);
      const extra = { 'x-amz-trailer': `x-amz-checksum-${algorithm.toLowerCase()}`, 'x-amz-decoded-content-length': String(data.length) };
      const { error, data: out, v } = await run(body, auth, extra, [8192]);
      expect(error).toBeUndefined();
      expect(Buffer.compare(out, data)).toBe(0);
      expect(v.result().checksum).toEqual({ algorithm, valueB64: checksumBase64(algorithm, data) });
    }
  });

  test('wrong trailer checksum, missing trailer, no trailer at all', async () => {
    const auth = authFor(mode);
    const extra = { 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': String(data.length) };
    const wrong = encodeUnsignedChunks([data], { name: 'x-amz-checksum-crc32', value: checksumBase64('CRC32', data.subarray(1)) });
    const bad = await run(wrong, auth, extra);
    expectCode(bad.error, 'BadDigest');
    expect(bad.data.length).toBe(0);
    expectCode((await run(encodeUnsignedChunks([data]), auth, extra)).error, 'InvalidRequest');
    const plain = await run(encodeUnsignedChunks([data]), auth, { 'x-amz-decoded-content-length': String(data.length) });
    expect(plain.error).toBeUndefined();
    expect(plain.v.result().checksum).toBeUndefined();
  });

  test('truncation and framing errors', async () => {
    const auth = authFor(mode);
    const body = encodeUnsignedChunks([data], { name: 'x-amz-checksum-crc32', value: checksumBase64('CRC32', data) });
    const extra = { 'x-amz-trailer': 'x-amz-checksum-crc32' };
    expectCode((await run(body.subarray(0, 1000), auth, extra)).error, 'IncompleteBody');
    expectCode((await run(body.subarray(0, body.length - 5), auth, extra)).error, 'IncompleteBody');
    expectCode((await run(enc.encode('5\r\nhello0\r\n'), auth, {})).error, 'InvalidRequest');
    expectCode((await run(enc.encode('5\nhello\r\n0\r\n'), auth, {})).error, 'InvalidRequest');
  });
});
