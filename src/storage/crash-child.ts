// Test fixture for crash.test.ts: runs puts, multipart completes and deletes in a
// loop until it is SIGKILLed, announcing each step synchronously on stdout so the
// parent knows what was in flight.
import { writeSync } from 'node:fs';
import { seededRandom } from '../util/random.ts';
import { openObjectStore } from './index.ts';
import { crashBody, crashKeys } from './crash-model.ts';
import type { BucketName, ObjectKey } from './types.ts';

const [drivesJson, seedText, startVersionText] = process.argv.slice(2);
const drives = JSON.parse(drivesJson!) as string[];
const rnd = seededRandom(Number(seedText));
const bucket = 'bkt' as BucketName;
const say = (line: string): void => { writeSync(1, `${line}\n`); };

function bodyStream(data: Uint8Array): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.length) return c.close();
      c.enqueue(data.slice(off, off + 65536));
      off += 65536;
    },
  });
}

// Per-drive commit steps are spread out in time so kills land between them too.
const hooks = { beforeDriveCommit: () => Bun.sleep(rnd.bytes(1)[0]! % 25) };
const store = await openObjectStore({ drives, fsync: true, healScanIntervalMs: 0, driveProbeIntervalMs: 0, hooks });
await store.makeBucket(bucket).catch(() => undefined);
say('ready');
for (let version = Number(startVersionText); ; version++) {
  const r = rnd.bytes(2);
  const key = crashKeys[r[0]! % crashKeys.length]! as ObjectKey;
  const op = r[1]! % 10;
  if (op < 6) {
    const data = crashBody(key, version);
    say(`begin put ${key} ${version}`);
    await store.put(bucket, key, bodyStream(data), { userMeta: { version: String(version) }, internal: {}, md5: true });
    say(`done put ${key} ${version}`);
  } else if (op < 8) {
    say(`begin delete ${key} ${version}`);
    await store.delete(bucket, key);
    say(`done delete ${key} ${version}`);
  } else {
    const data = crashBody(key, version, true);
    const id = await store.createUpload(bucket, key, { userMeta: { version: String(version) }, internal: {} });
    const cut = 5 * 1024 * 1024;
    const p1 = await store.putPart(bucket, key, id, 1, bodyStream(data.subarray(0, cut)), { internal: {}, md5: true });
    const p2 = await store.putPart(bucket, key, id, 2, bodyStream(data.subarray(cut)), { internal: {}, md5: true });
    say(`begin put ${key} ${version}`);
    await store.completeUpload(bucket, key, id, [{ partNumber: 1, etag: p1.etag }, { partNumber: 2, etag: p2.etag }], {});
    say(`done put ${key} ${version}`);
  }
}
