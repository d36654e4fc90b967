// In-memory KeystoreStore for tests: records writes and can be made to fail.
import type { KeystoreStore } from '../local.ts';

export interface MemoryKeystoreStore extends KeystoreStore {
  bytes: Uint8Array | null;
  writeCount: number;
  failWrites: boolean;
  failReads: boolean;
}

export function memoryKeystoreStore(): MemoryKeystoreStore {
  const store: MemoryKeystoreStore = {
    bytes: null,
    writeCount: 0,
    failWrites: false,
    failReads: false,
    async read() {
      if (store.failReads) throw new Error('drives offline');
      return store.bytes === null ? null : store.bytes.slice();
    },
    async write(bytes: Uint8Array) {
      if (store.failWrites) throw new Error('write quorum lost');
      store.bytes = bytes.slice();
      store.writeCount++;
    },
  };
  return store;
}
