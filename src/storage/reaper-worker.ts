// Worker side of the reaper (reaper.ts): deletes files and trees from the drives' trash on
// its own thread, one at a time, so a slow delete blocks nobody else's I/O.
// Messages in:  {id, path}
// Messages out: {id, error?} once the path is gone (or could not be removed)
import { rmSync } from 'node:fs';

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ id: number; path: string }>) => {
  const { id, path } = event.data;
  let error: string | undefined;
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (err) {
    // As errnoText (drive.ts) has it; not imported, so the worker loads no storage modules.
    error = String((err as { code?: unknown } | null)?.code ?? err);
  }
  self.postMessage(error === undefined ? { id } : { id, error });
};
