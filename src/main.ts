#!/usr/bin/env bun
// Composition root and command line: `cairn [server]`, `cairn version`, `--help` on every
// verb. Config -> observability -> storage -> credentials -> ops layer -> S3 app -> HTTP.
// New verbs (kms, rewrap, heal, audit) are added to the `verbs` table below.
import { buildKmsFromConfig, openStoreFromConfig } from './compose.ts';
import pkg from '../package.json' with { type: 'json' };
import { ConfigError, loadConfig, statePaths, type Config } from './config/config.ts';
import { createOpsLayer } from './admin/mount.ts';
import { createObservability } from './observe/observability.ts';
import { auditReportHelp, runAuditReport } from './observe/auditReport.ts';
import { adminVerbs } from './cli/verbs.ts';
import { createCredentialStore, ensureRootCredentials, loadCredentialsFile } from './s3/credentials.ts';
import { createS3App, reservedPrefixes } from './s3/app.ts';
import { defaultHandlers } from './s3/operations/index.ts';
import { bucketEncryptionHandlers } from './s3/sse/bucket-default.ts';
import { createSseCodec } from './s3/sse/codec.ts';
import { Md5Offload } from './s3/md5-offload.ts';
import { defaultLimits } from './s3/context.ts';
import { startHttpServer } from './s3/server.ts';
import { SigningKeyCache } from './s3/sigv4/index.ts';
import { systemClock } from './util/clock.ts';
import { createLogger } from './util/log.ts';
import { cryptoRandom } from './util/random.ts';

export const version: string = pkg.version;

export interface Verb {
  /** Words after `cairn` that select this verb, e.g. ['kms', 'key', 'create']. */
  readonly words: readonly string[];
  readonly summary: string;
  /** Full text for `--help`. */
  readonly help: string;
  run(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number>;
}

/** Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage. */
const exitUsage = 2;

function configOrExit(env: Readonly<Record<string, string | undefined>>): Config | undefined {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`cairn: ${e.message}\n`);
      return undefined;
    }
    throw e;
  }
}

/** The root user's secret is printed only on the start that generated it. */
function printBanner(url: string, config: Config, root: { accessKey: string; secretKey: string; generated: boolean }, credentialsDir: string): void {
  const lines = [
    `Cairn ${version}`,
    `S3 endpoint: ${url}`,
    `Drives: ${config.drives.join(', ')}`,
    `Root access key: ${root.accessKey}`,
    root.generated
      ? `Root secret key: ${root.secretKey}   (generated now and stored in ${credentialsDir}; shown only once)`
      : `Root secret key: (from ${config.rootPassword !== undefined ? 'CAIRN_ROOT_PASSWORD' : credentialsDir})`,
    `Example: AWS_ACCESS_KEY_ID=${root.accessKey} AWS_SECRET_ACCESS_KEY=... aws --endpoint-url ${url} s3 ls`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function runServer(env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const config = configOrExit(env);
  if (config === undefined) return exitUsage;
  const clock = systemClock;
  const random = cryptoRandom;
  const logger = createLogger(config.logLevel);
  // A bug in a background task must not end the server; it is logged instead.
  process.on('unhandledRejection', (e) => logger.error('unhandled rejection', { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
  process.on('uncaughtException', (e) => logger.error('uncaught exception', { error: `${e.name}: ${e.message}`, stack: e.stack ?? '' }));
  const observability = await createObservability({ config, version, clock, logger });
  // Worker URLs are resolved from this file: in a compiled executable all modules share one import.meta.url.
  const store = await openStoreFromConfig(config, { clock, random, logger }, { background: true, reaperWorkerUrl: new URL('./storage/reaper-worker.ts', import.meta.url) });
  const credentialsDir = statePaths(config).rootCredentialsDir;
  const root = await ensureRootCredentials({ user: config.rootUser, password: config.rootPassword, dir: credentialsDir, random });
  const extraUsers = config.credentialsFile === undefined ? [] : await loadCredentialsFile(config.credentialsFile);
  const credentials = createCredentialStore(root, extraUsers);

  let shuttingDown = false;
  // The KMS reports into the observability sink (MeteredKms inside buildKms). Vault is only
  // reached on first use, so an unreachable Vault does not stop start-up: readiness reports it.
  const built = await buildKmsFromConfig(config, store, observability.kmsSink, { clock, random, logger });
  if (built.warning !== undefined) process.stderr.write(`\n${built.warning}\n\n`);
  const ops = await createOpsLayer({ config, version, store, kms: built.kms, credentials, clock, logger, isShuttingDown: () => shuttingDown, observability, random });
  // SSE-C needs no KMS, so the encrypting codec is always in place; SSE-S3/KMS without one answer 501.
  const codec = createSseCodec({
    kms: built.kms, defaultKeyId: built.defaultKeyId, random, store: ops.s3Store,
    secure: config.tls !== undefined, sseCAllowInsecure: config.sseCAllowInsecure, partBytesMin: defaultLimits.partBytesMin,
  });
  const encryption = bucketEncryptionHandlers({ kms: built.kms, kmsAutoCreate: config.kms.backend !== 'none' && config.kms.autoCreate });
  const handlers = { ...defaultHandlers, GetBucketEncryption: encryption.get, PutBucketEncryption: encryption.put, DeleteBucketEncryption: encryption.del };
  const md5Offload = new Md5Offload(new URL('./s3/md5-worker.ts', import.meta.url));
  const app = createS3App({
    // Bucket metadata through the config cache; setting writes invalidate it (ops layer).
    store: ops.s3Store, credentials, clock, random, logger,
    region: config.region,
    domain: config.domain,
    keyCache: new SigningKeyCache(64),
    codec,
    limits: defaultLimits,
    owner: { id: root.accessKey, displayName: root.accessKey },
    onRequestDone: (e) => ops.onRequestDone(e),
    md5Offload,
  }, handlers);
  for (const prefix of reservedPrefixes) app.mount({ prefix, handle: (req) => ops.handle(req) });
  const http = await startHttpServer({ host: config.address.host, port: config.address.port, tls: config.tls, fetch: ops.wrap(app.handle), logger, idleTimeoutMs: config.idleTimeoutMs });
  printBanner(http.url, config, root, credentialsDir);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      if (shuttingDown) {
        logger.warn('second signal: exiting now', { signal });
        process.exit(1);
      }
      shuttingDown = true;
      logger.info('shutting down: draining in-flight requests', { signal, graceMs: config.shutdownGraceMs });
      resolve();
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  });
  const { drained } = await http.stop(config.shutdownGraceMs);
  if (!drained) logger.warn('grace period over: closed the remaining connections', { graceMs: config.shutdownGraceMs });
  md5Offload.terminate();
  await store.close();
  await ops.close();
  logger.info('stopped');
  return 0;
}

const serverHelp = `Usage: cairn [server]

Starts the S3 server. Configuration comes from CAIRN_* environment variables:
  CAIRN_ADDRESS        host:port to listen on (default :9000)
  CAIRN_DRIVES         drive directories, comma-separated or {1...N} (default ./data/drive{1...4})
  CAIRN_PARITY         parity shards (default by drive count, at most half)
  CAIRN_ROOT_USER      root access key   } both or neither; when unset, credentials are
  CAIRN_ROOT_PASSWORD  root secret key   } generated on first start and printed once
  CAIRN_CREDENTIALS_FILE  JSON file of extra users
  CAIRN_DOMAIN         domain for virtual-host style requests (bucket.domain)
  CAIRN_TLS_CERT, CAIRN_TLS_KEY   PEM files to serve HTTPS
  CAIRN_REGION         region clients sign for (default us-east-1)
  CAIRN_SHUTDOWN_GRACE how long SIGTERM/SIGINT waits for in-flight requests (default 30s)
  CAIRN_IDLE_TIMEOUT   how long an upload may send nothing, or a download read nothing (default 30s)
See the README for every variable.`;

export const verbs: Verb[] = [
  { words: ['server'], summary: 'run the S3 server (the default)', help: serverHelp, run: (_args, env) => runServer(env) },
  // Operations verbs (src/observe): the audit compliance report reads CAIRN_AUDIT_DIR.
  {
    words: ['audit', 'report'],
    summary: 'summarize the audit log (encryption, KMS keys, failed logins, admin changes)',
    help: auditReportHelp,
    run: async (args, env) => {
      const config = configOrExit(env);
      return config === undefined ? exitUsage : runAuditReport(['report', ...args], config, systemClock);
    },
  },
  // Operator verbs over the running server's admin API (src/cli).
  ...adminVerbs(),
  {
    words: ['version'],
    summary: 'print the version',
    help: 'Usage: cairn version\n\nPrints the Cairn version.',
    run: async () => {
      process.stdout.write(`cairn ${version}\n`);
      return 0;
    },
  },
];

function usage(): string {
  const width = Math.max(...verbs.map((v) => v.words.join(' ').length));
  return [
    'Usage: cairn [verb] [--help]',
    '',
    'Verbs:',
    ...verbs.map((v) => `  ${v.words.join(' ').padEnd(width)}  ${v.summary}`),
    '',
    'With no verb, cairn runs the server.',
  ].join('\n');
}

/** The verb whose words are the longest prefix of args. */
function findVerb(args: readonly string[]): { verb: Verb; rest: readonly string[] } | undefined {
  let best: Verb | undefined;
  for (const v of verbs) {
    if (v.words.every((w, i) => args[i] === w) && (best === undefined || v.words.length > best.words.length)) best = v;
  }
  return best === undefined ? undefined : { verb: best, rest: args.slice(best.words.length) };
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const words = argv.filter((a) => a !== '--help' && a !== '-h');
  if (words.length === 0 || words[0] === 'help') {
    if (wantsHelp || words[0] === 'help') {
      process.stdout.write(usage() + '\n');
      return 0;
    }
    return runServer(env);
  }
  const found = findVerb(words);
  if (found === undefined) {
    process.stderr.write(`cairn: unknown verb "${words.join(' ')}"\n\n${usage()}\n`);
    return exitUsage;
  }
  if (wantsHelp) {
    process.stdout.write(found.verb.help + '\n');
    return 0;
  }
  return found.verb.run(found.rest, env);
}

if (import.meta.main) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`cairn: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
