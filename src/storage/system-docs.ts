// System documents (keystore, generated credentials, job checkpoints): whole
// copies on every drive, newest valid copy wins, writes need the write quorum.
import { systemLockName } from './locks.ts';
import { quorumLost, type StoreContext } from './context.ts';
import { systemDocRel } from './paths.ts';
import { readDoc, writeDoc } from './replicated.ts';

export async function readSystem(ctx: StoreContext, name: string): Promise<Uint8Array | null> {
  const r = await readDoc(ctx, systemDocRel(name));
  if (r.answered < ctx.readQuorum) throw quorumLost('read system document');
  return r.payload === null ? null : r.payload.slice();
}

export async function writeSystem(ctx: StoreContext, name: string, data: Uint8Array): Promise<void> {
  await ctx.bucketLocks.run(systemLockName(name), async () => {
    const r = await readDoc(ctx, systemDocRel(name));
    await writeDoc(ctx, systemDocRel(name), r.seq + 1, data);
  });
}
