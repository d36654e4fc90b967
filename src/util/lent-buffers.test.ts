import { expect, test } from 'bun:test';
import { giveBack, lend, pooledBytesNow, seal, takeBuffer } from './lent-buffers.ts';

// Sizes no other test in this process uses, so the pool's state is this test's own.
const size = 1_234_567;

test('a buffer is reused only once it is sealed and every lent view came back', () => {
  const lease = takeBuffer(size);
  const a = lend(lease, lease.bytes.subarray(0, 10));
  const b = lend(lease, lease.bytes.subarray(10, 20));
  const before = pooledBytesNow();
  giveBack(a);
  giveBack(b);
  // Not sealed: the producer may still lend (or read) this buffer.
  expect(pooledBytesNow()).toBe(before);
  expect(takeBuffer(size).bytes.buffer).not.toBe(lease.bytes.buffer);
  seal(lease);
  expect(pooledBytesNow()).toBe(before + size);
  expect(takeBuffer(size).bytes.buffer).toBe(lease.bytes.buffer);
  expect(pooledBytesNow()).toBe(before);
});

test('a view still out keeps its buffer from reuse; views never lent give nothing back', () => {
  const lease = takeBuffer(size + 1);
  const out = lend(lease, lease.bytes.subarray(0, 100));
  const kept = lend(lease, lease.bytes.subarray(100, 200));
  seal(lease);
  giveBack(out);
  // The same bytes through another view object: not what was lent, so ignored.
  giveBack(lease.bytes.subarray(100, 200));
  giveBack(lease.bytes);
  expect(takeBuffer(size + 1).bytes.buffer).not.toBe(lease.bytes.buffer);
  giveBack(kept);
  // Giving the same view back twice counts once.
  giveBack(kept);
  expect(takeBuffer(size + 1).bytes.buffer).toBe(lease.bytes.buffer);
});

test('a view can only be lent from its own buffer', () => {
  const lease = takeBuffer(64);
  expect(() => lend(lease, new Uint8Array(8))).toThrow();
});

test('the pool keeps a bounded number of bytes', () => {
  const big = 20 * 1024 * 1024 + 3;
  const leases = Array.from({ length: 4 }, () => takeBuffer(big));
  const before = pooledBytesNow();
  for (const l of leases) seal(l);
  expect(pooledBytesNow() - before).toBeLessThanOrEqual(48 * 1024 * 1024);
  expect(pooledBytesNow() - before).toBeGreaterThan(0);
});
