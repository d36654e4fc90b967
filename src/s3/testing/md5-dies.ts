// A stand-in for md5-worker.ts that acknowledges `ackCount` pieces and then dies, so the
// offload's failure handling can be tested: bodies in flight must fail, never finish
// with a wrong or missing digest.
declare const self: Worker;
export {};

let acks = Number(process.env['MD5_DIES_AFTER_ACKS'] ?? '0');

self.onmessage = (event: MessageEvent<{ job: number; data?: Uint8Array; end?: true }>) => {
  const m = event.data;
  if (m.data !== undefined && acks > 0) {
    acks--;
    self.postMessage({ job: m.job, ackBytes: m.data.byteLength, spare: null });
    return;
  }
  throw new Error('md5 stand-in: dying as told');
};
