// Worker side of the MD5 offload: hashes the pieces of many bodies, one hasher per job.
// Messages in:  {job, data} | {job, end: true} | {job, abort: true}
// Messages out: {job, ackBytes} after each piece, {job, md5Hex} after end.
declare const self: Worker;

type In = { job: number; data: Uint8Array } | { job: number; end: true } | { job: number; abort: true };

const hashers = new Map<number, Bun.CryptoHasher>();

self.onmessage = (event: MessageEvent<In>) => {
  const m = event.data;
  if ('data' in m) {
    let h = hashers.get(m.job);
    if (h === undefined) {
      h = new Bun.CryptoHasher('md5');
      hashers.set(m.job, h);
    }
    h.update(m.data);
    self.postMessage({ job: m.job, ackBytes: m.data.byteLength });
    return;
  }
  const h = hashers.get(m.job) ?? new Bun.CryptoHasher('md5');
  hashers.delete(m.job);
  if ('end' in m) self.postMessage({ job: m.job, md5Hex: h.digest('hex') });
};
