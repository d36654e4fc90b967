// Worker side of the MD5 offload: hashes the pieces of many bodies, one hasher per job
// (MD5, or SHA-256 where the job asks for it).
// Messages in:  {job, data, algorithm} | {job, end: true, algorithm} | {job, abort: true}
// Messages out: {job, ackBytes, spare} after each piece (spare: the piece's buffer,
// transferred back for reuse), {job, hex} after end.
import type { BodyDigest as Algorithm } from './md5-offload.ts';

declare const self: Worker;

type In = { job: number; data: Uint8Array; algorithm: Algorithm } | { job: number; end: true; algorithm: Algorithm } | { job: number; abort: true };

const hashers = new Map<number, Bun.CryptoHasher>();

self.onmessage = (event: MessageEvent<In>) => {
  const m = event.data;
  if ('data' in m) {
    let h = hashers.get(m.job);
    if (h === undefined) {
      h = new Bun.CryptoHasher(m.algorithm);
      hashers.set(m.job, h);
    }
    h.update(m.data);
    const buffer = m.data.buffer;
    // The piece's buffer is this thread's now (it was transferred): it goes back for reuse.
    const spare = buffer instanceof ArrayBuffer && m.data.byteOffset === 0 ? buffer : null;
    self.postMessage({ job: m.job, ackBytes: m.data.byteLength, spare }, spare === null ? [] : [spare]);
    return;
  }
  const h = hashers.get(m.job);
  hashers.delete(m.job);
  if ('end' in m) self.postMessage({ job: m.job, hex: (h ?? new Bun.CryptoHasher(m.algorithm)).digest('hex') });
};
