// System documents (keystore, generated credentials, job checkpoints): whole
// copies on every drive, newest valid copy wins, writes need the write quorum.
import { systemLockName } from './locks.ts';
import type { StoreContext } from './context.ts';
import { systemDocRel } from './paths.ts';
import { readDoc, unreadable, writeDoc } from './replicated.ts';

export async function readSystem(ctx: StoreContext, name: string): Promise<Uint8Array | null> {
  const r = await readDoc(ctx, systemDocRel(name));
  if (r.answered < ctx.readQuorum) throw unreadable(r, 'read system document');
  return r.payload === null ? null : r.payload.slice();
}

export async function writeSystem(ctx: StoreContext, name: string, data: Uint8Array): Promise<void> {
  await ctx.bucketLocks.run(systemLockName(name), async () => {
    const r = await readDoc(ctx, systemDocRel(name));
    // A document that cannot be read is not overwritten: its newest version is unknown,
    // and copies that are only damaged (a keystore) may still be recovered by hand.
    if (r.answered < ctx.readQuorum) throw unreadable(r, 'write system document');
    await writeDoc(ctx, systemDocRel(name), r.seq + 1, data);
  });
}
