// `cairn rewrap`: starts the server's rewrap job through the admin API, then follows
// it until it ends, with a progress bar on a terminal and progress lines otherwise.
import { validateKeyId } from '../kms/key-id.ts';
import { renderRewrapProgress, type RewrapProgress } from '../kms/rewrap-job.ts';
import { KmsError } from '../kms/types.ts';
import type { RewrapStatus } from '../admin/rewrap.ts';
import { adminCall, AdminCallError, CliError, connectionHelp, type AdminTarget } from './admin-client.ts';
import type { AdminVerb } from './kms-verbs.ts';
import { runAdminVerb, str, type VerbIo } from './run.ts';

const pollIntervalMs = 500;

export const rewrapHelp = `Usage: cairn rewrap [--bucket B] [--key-id K] [--restart] [--detach | --status]

Re-seals the KMS data key of every SSE-S3 and SSE-KMS object under the newest version
of its KMS key, without reading or rewriting object data. Run it after
"cairn kms key rotate"; once it reports 0 failed, older key versions may be retired
(Vault: raise min_decryption_version). SSE-C and unencrypted objects are skipped.
Multipart uploads still in progress are not re-sealed: complete or abort them before
retiring old key versions.

The job runs inside the server (one at a time). This command starts it and shows its
progress until it ends: a bar on a terminal, one line per change otherwise. Stopping
this command does not stop the job. If the job is interrupted (server restart, KMS
outage), run the same command again: it continues from its last checkpoint. With
--offline (server stopped) the job runs in this command instead; Ctrl-C stops it and
the next run continues from its checkpoint.
  --bucket B    only objects of bucket B
  --key-id K    only objects whose data key comes from KMS key K
  --restart     ignore the checkpoint and start from the first object
  --detach      start the job and return; "cairn rewrap --status" shows progress
  --status      show the current or last job's progress and return

${connectionHelp}

Exit status: 0 every object in scope re-sealed or skipped, 1 the job failed or some
objects could not be re-sealed, or the server is unreachable, 2 usage error.`;

function asStatus(body: unknown): RewrapStatus {
  const s = body as Partial<RewrapStatus> | null;
  if (s === null || typeof s !== 'object' || typeof s.running !== 'boolean') throw new CliError('the server answered with an unexpected rewrap status');
  return { running: s.running, progress: s.progress ?? null, interrupted: s.interrupted === true, totalObjects: s.totalObjects ?? null };
}

function describeFilter(p: RewrapProgress): string {
  const parts = [p.filter.bucket === null ? 'all buckets' : `bucket ${p.filter.bucket}`];
  if (p.filter.keyId !== null) parts.push(`KMS key ${p.filter.keyId}`);
  return parts.join(', ');
}

/** Exit code and final sentence for a finished (not running) job. */
function verdict(status: RewrapStatus): { code: number; text: string } {
  const p = status.progress;
  if (p === null) return { code: 1, text: 'no rewrap has run on this server' };
  const counts = `${p.scanned} scanned, ${p.rewrapped} re-sealed, ${p.skipped} skipped, ${p.failed} failed`;
  if (p.state === 'done' && p.failed === 0) return { code: 0, text: `rewrap done (${describeFilter(p)}): ${counts}` };
  if (p.state === 'done') return { code: 1, text: `rewrap done with failures (${describeFilter(p)}): ${counts}\nlast error: ${p.lastError ?? 'unknown'}\nRun it again to retry them.` };
  if (status.interrupted) return { code: 1, text: `rewrap was interrupted (${describeFilter(p)}) after ${counts}\nRun the same command again to continue from the checkpoint.` };
  return { code: 1, text: `rewrap stopped (${describeFilter(p)}) after ${counts}\nerror: ${p.lastError ?? 'unknown'}\nFix the cause and run the same command again to continue from the checkpoint.` };
}

async function follow(target: AdminTarget, io: VerbIo): Promise<RewrapStatus> {
  let lastLine = '';
  for (;;) {
    const status = asStatus(await adminCall(target, io.clock, 'GET', 'rewrap'));
    const p = status.progress;
    if (p !== null) {
      const line = renderRewrapProgress(p, status.totalObjects);
      if (io.isTty) io.out(`\r\x1b[2K${line}`);
      else if (line !== lastLine) io.out(`${line}\n`);
      lastLine = line;
    }
    if (!status.running) {
      if (io.isTty && lastLine !== '') io.out('\n');
      return status;
    }
    await io.sleepMs(pollIntervalMs);
  }
}

export function rewrapVerb(io: VerbIo): AdminVerb {
  const options = {
    bucket: { type: 'string' },
    'key-id': { type: 'string' },
    restart: { type: 'boolean', default: false },
    detach: { type: 'boolean', default: false },
    status: { type: 'boolean', default: false },
  } as const;
  return {
    words: ['rewrap'],
    summary: 're-seal object keys under the newest KMS key versions (after a rotate)',
    help: rewrapHelp,
    run: (args, env) => runAdminVerb('rewrap', args, env, { options, positionals: { min: 0, max: 0, usage: 'cairn rewrap [--bucket B] [--key-id K] [--restart]' } }, io, async (c) => {
      const bucket = str(c.values['bucket']);
      const keyId = str(c.values['key-id']);
      if (keyId !== undefined) {
        try {
          validateKeyId(keyId.replace(/^arn:aws:kms:[^:]*:[^:]*:key\//, ''));
        } catch (e) {
          throw e instanceof KmsError ? new CliError(`--key-id: ${e.message}`, 2) : e;
        }
      }
      const target = await c.target();
      if (c.values['status'] === true) {
        const status = asStatus(await adminCall(target, io.clock, 'GET', 'rewrap'));
        if (status.progress !== null) io.out(`${renderRewrapProgress(status.progress, status.totalObjects)}\n`);
        if (status.running) {
          io.out('rewrap is running\n');
          return 0;
        }
        const { code, text } = verdict(status);
        io.out(`${text}\n`);
        return code;
      }
      try {
        await adminCall(target, io.clock, 'POST', 'rewrap', { bucket: bucket ?? null, keyId: keyId ?? null, restart: c.values['restart'] === true });
      } catch (e) {
        if (!(e instanceof AdminCallError && e.code === 'RewrapRunning')) throw e;
        io.err('a rewrap is already running on the server; following it\n');
      }
      if (c.values['detach'] === true) {
        io.out('rewrap started; follow it with: cairn rewrap --status\n');
        return 0;
      }
      const final = await follow(target, io);
      const { code, text } = verdict(final);
      (code === 0 ? io.out : io.err)(`${text}\n`);
      return code;
    }),
  };
}
