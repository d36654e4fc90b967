// `cairn heal [BUCKET [KEY]]`: asks the running server to heal everything, one bucket
// (both in the background, followed here until done) or one object (answered at once).
import type { HealRunStatus } from '../admin/healRunner.ts';
import type { HealCounters } from '../storage/types.ts';
import { adminCall, CliError, connectionHelp, type AdminTarget } from './admin-client.ts';
import type { AdminVerb } from './kms-verbs.ts';
import { runAdminVerb, type VerbIo } from './run.ts';

const pollIntervalMs = 500;
const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const healHelp = `Usage: cairn heal [BUCKET [KEY]] [--detach]

Repairs missing, stale or corrupt (bitrot) shards and metadata from the other drives.
  cairn heal              heal system documents and every object of every bucket
  cairn heal BUCKET       heal every object of BUCKET
  cairn heal BUCKET KEY   heal one object now and print how many shards were rewritten
Whole-deployment and bucket heals run inside the server (one at a time); this command
follows them until they finish. Stopping this command does not stop the heal.
With --offline (server stopped) the heal runs in this command instead.
  --detach   start the heal and return

${connectionHelp}

Exit status: 0 healed, 1 heal failed or server unreachable, 2 usage error.`;

interface HealStatusBody extends HealRunStatus {
  counters?: HealCounters;
}

function counterLine(status: HealStatusBody): string {
  const c = status.counters;
  const scope = status.bucket === null ? '' : ` bucket ${status.bucket}: ${status.objectsChecked} objects checked;`;
  if (c === undefined) return `heal${scope}`.trim();
  return `heal${scope} ${c.scannedObjects} scanned, ${c.healedObjects} objects and ${c.healedShards} shards healed, ${c.bitrotDetected} bitrot, ${c.failures} failures, ${c.queued} queued`;
}

async function follow(target: AdminTarget, io: VerbIo): Promise<HealStatusBody> {
  let last = '';
  for (;;) {
    const status = (await adminCall(target, io.clock, 'GET', 'heal')) as HealStatusBody | null;
    if (status === null || typeof status.running !== 'boolean') throw new CliError('the server answered with an unexpected heal status');
    const line = counterLine(status);
    if (io.isTty) io.out(`\r\x1b[2K${line}`);
    else if (line !== last) io.out(`${line}\n`);
    last = line;
    if (!status.running) {
      if (io.isTty) io.out('\n');
      return status;
    }
    await io.sleepMs(pollIntervalMs);
  }
}

export function healVerb(io: VerbIo): AdminVerb {
  return {
    words: ['heal'],
    summary: 'repair missing or corrupt shards (everything, a bucket, or one object)',
    help: healHelp,
    run: (args, env) => runAdminVerb('heal', args, env, { options: { detach: { type: 'boolean', default: false } }, positionals: { min: 0, max: 2, usage: 'cairn heal [BUCKET [KEY]]' } }, io, async (c) => {
      const [bucket, key] = c.positionals;
      if (bucket !== undefined && !bucketPattern.test(bucket)) throw new CliError(`"${bucket}" is not a bucket name`, 2);
      if (key !== undefined && (key === '' || Buffer.byteLength(key) > 1024)) throw new CliError('KEY must be 1-1024 bytes', 2);
      const target = await c.target();
      if (bucket !== undefined && key !== undefined) {
        const result = (await adminCall(target, io.clock, 'POST', 'heal', { bucket, key })) as { healedShards?: unknown } | null;
        io.out(`healed ${bucket}/${key}: ${String(result?.healedShards ?? 0)} shards rewritten\n`);
        return 0;
      }
      const started = (await adminCall(target, io.clock, 'POST', 'heal', bucket === undefined ? {} : { bucket })) as { started?: unknown } | null;
      if (started?.started !== true) io.err('a heal is already running on the server; following it\n');
      if (c.values['detach'] === true) {
        io.out('heal started\n');
        return 0;
      }
      const final = await follow(target, io);
      if (final.lastError !== null) {
        io.err(`heal failed: ${final.lastError}\n`);
        return 1;
      }
      io.out('heal done\n');
      return 0;
    }),
  };
}
