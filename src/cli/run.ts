// Shared plumbing of the admin verbs: option parsing with clear usage errors, the
// admin target, and one place that turns CliError into a message and exit code.
import { parseArgs } from 'node:util';
import { systemClock, type Clock } from '../util/clock.ts';
import pkg from '../../package.json' with { type: 'json' };
import { CliError, connectionArgSpec, loadCliConfig, resolveTarget, rootCredentials, type AdminTarget } from './admin-client.ts';
import { openOffline } from './offline.ts';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean; short?: string }>;

export interface VerbIo {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: draw a progress bar instead of progress lines. */
  isTty: boolean;
  clock: Clock;
  sleepMs(ms: number): Promise<void>;
}

export const processIo: VerbIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  isTty: process.stdout.isTTY === true,
  clock: systemClock,
  sleepMs: (ms) => Bun.sleep(ms),
};

export interface ParsedCall {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  target: () => Promise<AdminTarget>;
}

/**
 * Parses `args` against the verb's options plus the connection options, checks the
 * positional count, and runs `body`. Returns the exit code: 0 ok, 1 failure, 2 usage.
 */
export async function runAdminVerb(
  verbName: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  spec: { options: OptionSpec; positionals: { min: number; max: number; usage: string } },
  io: VerbIo,
  body: (call: ParsedCall) => Promise<number>,
): Promise<number> {
  const closers: (() => Promise<void>)[] = [];
  try {
    let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...args], options: { ...connectionArgSpec, ...spec.options }, allowPositionals: true, strict: true }) as typeof parsed;
    } catch (e) {
      throw new CliError(`${e instanceof Error ? e.message : String(e)}\nUsage: ${spec.positionals.usage} (see cairn ${verbName} --help)`, 2);
    }
    const count = parsed.positionals.length;
    if (count < spec.positionals.min || count > spec.positionals.max) throw new CliError(`Usage: ${spec.positionals.usage} (see cairn ${verbName} --help)`, 2);
    const values = parsed.values;
    if (values['offline'] === true && values['detach'] === true) throw new CliError('--detach needs a running server; --offline runs the job in this command', 2);
    const target = async (): Promise<AdminTarget> => {
      const config = loadCliConfig(env);
      const endpoint = values['endpoint'];
      const caFile = values['ca-file'];
      if (values['offline'] === true) {
        const root = await rootCredentials(config);
        const offline = await openOffline(config, root, typeof endpoint === 'string' ? URL.parse(endpoint) ?? undefined : undefined, pkg.version);
        closers.push(() => offline.close());
        return { endpoint: 'http://offline.invalid', credentials: root, region: config.region, tls: undefined, local: (req) => offline.handle(req) };
      }
      return resolveTarget(config, {
        endpoint: typeof endpoint === 'string' ? endpoint : undefined,
        insecure: values['insecure'] === true,
        caFile: typeof caFile === 'string' ? caFile : undefined,
      });
    };
    return await body({ values, positionals: parsed.positionals, target });
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`cairn ${verbName}: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  } finally {
    for (const close of closers) await close();
  }
}

export function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
