import { describe, expect, test } from 'bun:test';
import { TransferRegistry, countingReadable } from './transfers.ts';
import { fixedClock } from '../util/clock.ts';

describe('TransferRegistry', () => {
  test('lists bytes done and total while streaming, and forgets finished transfers', async () => {
    const clock = fixedClock(0);
    const reg = new TransferRegistry(clock);
    const handle = reg.start({ requestId: 'r1', operation: 'PutObject', direction: 'upload', bucket: 'b', key: 'k', totalBytes: 30 });
    let release = (): void => {};
    const gate = new Promise<void>((r) => { release = r; });
    const source = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(new Uint8Array(10));
        await gate;
        c.enqueue(new Uint8Array(20));
        c.close();
      },
    });
    const reader = countingReadable(source, handle).getReader();
    await reader.read();
    clock.advanceMs(1000);
    expect(reg.list()).toEqual([{ requestId: 'r1', operation: 'PutObject', direction: 'upload', bucket: 'b', key: 'k', totalBytes: 30, id: 1, bytesDone: 10, startedMs: 0, elapsedMs: 1000, bytesPerSec: 10 }]);
    release();
    while (!(await reader.read()).done) { /* drain */ }
    expect(reg.size()).toBe(0);
  });

  test('is bounded', () => {
    const reg = new TransferRegistry(fixedClock(0), 2);
    for (let i = 0; i < 5; i++) reg.start({ requestId: String(i), operation: 'GetObject', direction: 'download' });
    expect(reg.size()).toBe(2);
  });
});

test('cancelling the reader ends the transfer', async () => {
  const reg = new TransferRegistry(fixedClock(0));
  const handle = reg.start({ requestId: 'r', operation: 'GetObject', direction: 'download' });
  const source = new ReadableStream<Uint8Array>({ pull(c) { c.enqueue(new Uint8Array(1)); } });
  const reader = countingReadable(source, handle).getReader();
  await reader.read();
  await reader.cancel();
  expect(reg.size()).toBe(0);
});
