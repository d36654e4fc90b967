// In-process per-name mutex: serialises commits of one key (or one bucket's settings).
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => mine);
    this.tails.set(name, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}

// Lock names carry a kind prefix; ':' never occurs in bucket names, so kinds cannot collide.
export const objectLockName = (bucket: string, key: string): string => `o:${bucket}/${key}`;
export const uploadLockName = (uploadId: string, partNumber?: number): string => (partNumber === undefined ? `u:${uploadId}` : `u:${uploadId}:${partNumber}`);
export const systemLockName = (name: string): string => `s:${name}`;
