// `cairn kms key create|list|status|rotate`: KMS key management through the running
// server's admin API, so the keystore has one writer and the same calls work for the
// local keystore and for Vault Transit.
import { validateKeyId } from '../kms/key-id.ts';
import { KmsError, type KeyStatus } from '../kms/types.ts';
import { adminCall, CliError, connectionHelp } from './admin-client.ts';
import { runAdminVerb, type VerbIo } from './run.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface AdminVerb {
  readonly words: readonly string[];
  readonly summary: string;
  readonly help: string;
  run(args: readonly string[], env: Env): Promise<number>;
}

const jsonOption = { json: { type: 'boolean', default: false } } as const;

function keyName(raw: string | undefined): string {
  try {
    return validateKeyId(raw ?? '');
  } catch (e) {
    if (e instanceof KmsError) throw new CliError(e.message, 2);
    throw e;
  }
}

function formatStatus(s: KeyStatus): string {
  return [
    `key:                     ${s.keyId}`,
    `latest version:          ${s.latestVersion}`,
    `min decryption version:  ${s.minDecryptionVersion}`,
    `created:                 ${s.createdMs > 0 ? new Date(s.createdMs).toISOString() : 'unknown'}`,
    `round trip:              ${s.ok ? 'ok' : 'FAILED'}`,
  ].join('\n') + '\n';
}

function asStatus(body: unknown): KeyStatus {
  const s = body as Partial<KeyStatus> | null;
  if (s === null || typeof s !== 'object' || typeof s.keyId !== 'string' || typeof s.latestVersion !== 'number') throw new CliError('the server answered with an unexpected key status');
  return s as KeyStatus;
}

const connection = `\n\n${connectionHelp}\n\nExit status: 0 done, 1 failed (server unreachable, KMS error), 2 usage or configuration error.`;

export function kmsVerbs(io: VerbIo): AdminVerb[] {
  const show = (json: boolean, body: unknown, text: () => string): number => {
    io.out(json ? `${JSON.stringify(body, null, 2)}\n` : text());
    return 0;
  };
  return [
    {
      words: ['kms', 'key', 'create'],
      summary: 'create a KMS key (local keystore or Vault Transit)',
      help: `Usage: cairn kms key create NAME [--json]

Creates the KMS key NAME (1-128 of A-Z a-z 0-9 . _ -) through the running server's admin
API: a new 256-bit key in the local keystore, or a derived aes256-gcm96 key in Vault
Transit. Objects name it with x-amz-server-side-encryption-aws-kms-key-id.
  --json   print the key status as JSON${connection}`,
      run: (args, env) => runAdminVerb('kms key create', args, env, { options: jsonOption, positionals: { min: 1, max: 1, usage: 'cairn kms key create NAME' } }, io, async (c) => {
        const name = keyName(c.positionals[0]);
        const body = await adminCall(await c.target(), io.clock, 'POST', `kms/keys/${encodeURIComponent(name)}`);
        return show(c.values['json'] === true, body, () => `created KMS key ${name}\n${formatStatus(asStatus(body))}`);
      }),
    },
    {
      words: ['kms', 'key', 'list'],
      summary: 'list KMS keys',
      help: `Usage: cairn kms key list [--json]

Lists the KMS key names the server's KMS holds, one per line.
  --json   print {"keys": [...]}${connection}`,
      run: (args, env) => runAdminVerb('kms key list', args, env, { options: jsonOption, positionals: { min: 0, max: 0, usage: 'cairn kms key list' } }, io, async (c) => {
        const body = await adminCall(await c.target(), io.clock, 'GET', 'kms/keys');
        const keys = (body as { keys?: unknown } | null)?.keys;
        if (!Array.isArray(keys)) throw new CliError('the server answered with an unexpected key list');
        return show(c.values['json'] === true, body, () => keys.map((k) => `${String(k)}\n`).join(''));
      }),
    },
    {
      words: ['kms', 'key', 'status'],
      summary: 'show a KMS key (versions, min decryption version, round trip)',
      help: `Usage: cairn kms key status NAME [--json]

Shows the key's newest version, its minimum decryption version, and whether a data key
round trip (generate + decrypt) works right now.
  --json   print the status as JSON${connection}`,
      run: (args, env) => runAdminVerb('kms key status', args, env, { options: jsonOption, positionals: { min: 1, max: 1, usage: 'cairn kms key status NAME' } }, io, async (c) => {
        const name = keyName(c.positionals[0]);
        const body = await adminCall(await c.target(), io.clock, 'GET', `kms/keys/${encodeURIComponent(name)}`);
        const status = asStatus(body);
        const code = show(c.values['json'] === true, body, () => formatStatus(status));
        return status.ok ? code : 1;
      }),
    },
    {
      words: ['kms', 'key', 'rotate'],
      summary: 'rotate a KMS key to a new version',
      help: `Usage: cairn kms key rotate NAME [--json]

Adds a new version of the KMS key NAME; new data keys are sealed under it at once.
Objects written before keep data keys sealed by older versions, which still decrypt.
Afterwards run "cairn rewrap --key-id NAME" to re-seal them under the new version; only
then raise the minimum decryption version (Vault: transit/keys/NAME/config).
  --json   print the key status as JSON${connection}`,
      run: (args, env) => runAdminVerb('kms key rotate', args, env, { options: jsonOption, positionals: { min: 1, max: 1, usage: 'cairn kms key rotate NAME' } }, io, async (c) => {
        const name = keyName(c.positionals[0]);
        const body = await adminCall(await c.target(), io.clock, 'POST', `kms/keys/${encodeURIComponent(name)}/rotate`);
        const status = asStatus(body);
        return show(c.values['json'] === true, body, () => `rotated KMS key ${name} to version ${status.latestVersion}\n${formatStatus(status)}Next: cairn rewrap --key-id ${name}\n`);
      }),
    },
  ];
}
