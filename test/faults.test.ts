// Damage on the drive directories under a running server, seen through the SDK: a drive
// deleted, shards rotted or cut short. Reads that can be rebuilt return exact bytes; one
// that cannot starts with an S3 error, or (damage past the first blocks) is cut short and
// never passes for complete; writes without quorum answer 503 and store nothing.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdir, rm, stat, truncate, open } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StartedServer } from './helpers/server.ts';
import { errorName, errorOf, startWithBucket, stopWithClient } from './helpers/clients.ts';

let server: StartedServer;
let s3: S3Client;
const bucket = 'fault-bucket';
const MiB = 1024 * 1024;
const objects: Record<string, Uint8Array> = {};

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 131 + seed * 17 + (i >>> 9)) & 0xff;
  return out;
}

/** Files of one object on one drive bigger than minBytes (its shard data files; layout in src/storage/paths.ts). */
async function shardFiles(drive: string, key: string, minBytes: number): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (p.includes(`/_${key}/`) && (await stat(p)).size > minBytes) out.push(p);
    }
  };
  await walk(join(drive, 'buckets', bucket));
  return out;
}

async function read(key: string): Promise<Uint8Array> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await r.Body?.transformToByteArray()) ?? new Uint8Array();
}

const md5 = (b: Uint8Array): string => new Bun.CryptoHasher('md5').update(b).digest('hex');

beforeAll(async () => {
  ({ server, s3 } = await startWithBucket(bucket));
  for (const [key, size, seed] of [['small', 100, 1], ['mid', 200_000, 2], ['big', 3 * MiB + 5, 3], ['long', 8 * MiB, 4]] as const) {
    objects[key] = bytes(size, seed);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: objects[key] }));
  }
});
afterAll(async () => {
  await stopWithClient(server, s3);
});

describe('drive faults', () => {
  test('a deleted drive and a rotted shard: every object still reads exactly, and writes go on', async () => {
    await rm(server.drives[1]!, { recursive: true, force: true });
    const [bigShard] = await shardFiles(server.drives[0]!, 'big', MiB);
    expect(bigShard).toBeString();
    const fh = await open(bigShard!, 'r+');
    const one = new Uint8Array(1);
    await fh.read(one, 0, 1, 1000);
    await fh.write(new Uint8Array([one[0]! ^ 0xff]), 0, 1, 1000);
    await fh.close();
    for (const [key, data] of Object.entries(objects)) expect(md5(await read(key))).toBe(md5(data));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'after', Body: 'still writable' }));
    expect(new TextDecoder().decode(await read('after'))).toBe('still writable');
    // A write that reaches the missing drive takes it offline, and the operator is told which.
    const larger = bytes(100_000, 5);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'after-larger', Body: larger }));
    expect(md5(await read('after-larger'))).toBe(md5(larger));
    expect(server.output()).toContain('drive offline');
    expect(server.output()).toContain(`"path":"${server.drives[1]}"`);
  });

  test('too few intact shards from the first block: 500 InternalError, not a 200 with a short body', async () => {
    // Drive 2 is gone (the rotted shard on drive 1 was healed by the read above): cutting
    // drives 1 and 3 leaves one good shard.
    for (const drive of [server.drives[0]!, server.drives[2]!]) for (const f of await shardFiles(drive, 'big', MiB)) await truncate(f, 100);
    expect(await errorOf(read('big'))).toEqual({ code: 'InternalError', status: 500 });
    // Still readable: objects the damage did not reach.
    expect(md5(await read('mid'))).toBe(md5(objects.mid!));
  });

  test('too few intact shards past the first blocks: the body is cut, never passed off as complete', async () => {
    const keep = 3 * (8 + 512 * 1024); // the first three blocks of each shard stay intact
    for (const drive of [server.drives[0]!, server.drives[2]!]) for (const f of await shardFiles(drive, 'long', MiB)) await truncate(f, keep);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'long' }), { expiresIn: 60 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(8 * MiB));
    let got: Uint8Array | null = null;
    try {
      got = new Uint8Array(await res.arrayBuffer());
    } catch {
      got = null;
    }
    // Either the read failed, or it is visibly short: a complete-looking body would be a lie.
    expect(got === null || got.length < 8 * MiB).toBe(true);
  });

  test('without write quorum: 503 ServiceUnavailable, nothing stored, the server carries on', async () => {
    await rm(server.drives[3]!, { recursive: true, force: true });
    await rm(server.drives[2]!, { recursive: true, force: true });
    for (const size of [2, 200_000, 2 * MiB]) {
      expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'no-quorum', Body: bytes(size, 9) })))).toEqual({ code: 'ServiceUnavailable', status: 503 });
    }
    expect(await errorName(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'no-quorum' })))).not.toBe('no error');
    const res = await fetch(`${server.endpoint}/minio/health/live`);
    expect(res.status).toBe(200);
    expect(server.output()).not.toContain('uncaught exception');
  });
});
