// `--offline`: the admin verbs without a running server. The same storage, KMS and
// admin layer the server builds are opened here in-process and the verb's signed
// requests are answered by them directly, so offline and online behave alike.
// Two writers on one set of drives would race (the local keystore is last-writer-wins),
// so this refuses when anything answers on the server's address, and it never
// formats drives or generates a master key.
import { buildKmsFromConfig, openStoreFromConfig } from '../compose.ts';
import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { statePaths, type Config } from '../config/config.ts';
import { createOpsLayer } from '../admin/mount.ts';
import { generatedMasterKeyFileName } from '../kms/master-key.ts';
import { createObservability } from '../observe/observability.ts';
import { createCredentialStore, type StaticUser } from '../s3/credentials.ts';
import { formatFile } from '../storage/paths.ts';
import { systemClock } from '../util/clock.ts';
import { createLogger } from '../util/log.ts';
import { cryptoRandom } from '../util/random.ts';
import { CliError } from './admin-client.ts';

export interface OfflineServer {
  handle(req: Request): Promise<Response | undefined>;
  close(): Promise<void>;
}

const probeTimeoutMs = 1000;

/** True when something accepts TCP connections at host:port. */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(probeTimeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function checkSafeToOpen(config: Config, endpoint: URL | undefined): Promise<void> {
  const { host, port } = config.address;
  const probes: [string, number][] = [];
  if (port !== 0) probes.push([host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host, port]);
  if (endpoint !== undefined) probes.push([endpoint.hostname.replace(/^\[|\]$/g, ''), Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80))]);
  for (const [h, p] of probes) {
    if (await answers(h, p)) throw new CliError(`--offline: something answers on ${h}:${p}; stop the server first (or run without --offline to go through it)`, 1);
  }
  const formatted = await Promise.all(config.drives.map((d) => exists(join(d, formatFile))));
  if (!formatted.some(Boolean)) throw new CliError(`--offline: no Cairn drives at ${config.drives.join(', ')} (set CAIRN_DRIVES as the server has it)`, 2);
  const kms = config.kms;
  if (kms.backend === 'local' && kms.secretKey === undefined && kms.secretKeyFile === undefined) {
    const generated = join(statePaths(config).generatedKeyDir, generatedMasterKeyFileName);
    if (!(await exists(generated))) throw new CliError(`--offline: no KMS master key: set CAIRN_KMS_SECRET_KEY(_FILE) as the server has it (${generated} does not exist)`, 2);
  }
}

/** Opens the drives, KMS and admin layer in this process; the caller closes it. */
export async function openOffline(config: Config, root: StaticUser, endpoint: URL | undefined, version: string): Promise<OfflineServer> {
  await checkSafeToOpen(config, endpoint);
  const clock = systemClock;
  const random = cryptoRandom;
  const logger = createLogger(config.logLevel === 'debug' ? 'debug' : 'warn');
  const observability = await createObservability({ config, version, clock, logger });
  const store = await openStoreFromConfig(config, { clock, random, logger }, { background: false });
  try {
    const built = await buildKmsFromConfig(config, store, observability.kmsSink, { clock, random, logger });
    const ops = await createOpsLayer({
      config, version, store, kms: built.kms, credentials: createCredentialStore(root), clock, logger, isShuttingDown: () => false, observability, random,
    });
    return {
      handle: (req) => ops.handle(req),
      close: async () => {
        await store.close();
        await ops.close();
      },
    };
  } catch (e) {
    await store.close();
    await observability.close();
    throw e;
  }
}
