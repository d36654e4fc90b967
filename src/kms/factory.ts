// Builds the configured Kms for the composition root: picks the backend,
// resolves the local master key (env, file, or a generated quickstart key with
// its warning) and wraps the result in the metering layer.
import type { KmsConfig } from '../config/config.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { Random } from '../util/random.ts';
import { assertNever } from '../util/assert.ts';
import { LocalKms, type KeystoreStore } from './local.ts';
import { loadMasterKeyFile, loadOrGenerateMasterKey, parseMasterKey, type MasterKey } from './master-key.ts';
import { MeteredKms, type KmsMetricsSink } from './metered.ts';
import type { Kms } from './types.ts';
import { VaultKms } from './vault.ts';

/** ObjectStore.readSystem/writeSystem under this name hold the sealed keystore. */
export const keystoreSystemName = 'kms/keystore';

export interface KmsFactoryDeps {
  /** Persistence of the local keystore, e.g. over ObjectStore system documents. */
  keystoreStore: KeystoreStore;
  /** Where a quickstart master key is generated when none is configured. */
  generatedKeyDir: string;
  sink: KmsMetricsSink;
  random: Random;
  clock: Clock;
  logger: Logger;
}

export interface BuiltKms {
  /** Undefined when CAIRN_KMS_BACKEND=none. */
  kms: Kms | undefined;
  defaultKeyId: string | undefined;
  /** A loud operator warning (generated master key). Print it; it holds no key material. */
  warning: string | undefined;
}

export async function buildKms(config: KmsConfig, deps: KmsFactoryDeps): Promise<BuiltKms> {
  switch (config.backend) {
    case 'none':
      return { kms: undefined, defaultKeyId: undefined, warning: undefined };
    case 'local': {
      const { masterKey, warning } = await resolveMasterKey(config, deps);
      const local = await LocalKms.open({ masterKey, store: deps.keystoreStore, autoCreate: config.autoCreate, clock: deps.clock, random: deps.random });
      return { kms: new MeteredKms(local, deps.sink), defaultKeyId: config.defaultKeyId, warning };
    }
    case 'vault': {
      const auth = config.token !== undefined
        ? { kind: 'token' as const, token: config.token }
        : { kind: 'approle' as const, roleId: config.appRoleId ?? '', secretId: config.appRoleSecretId ?? '' };
      const vault = new VaultKms({
        address: config.endpoint, auth, mountPath: config.mount, autoCreate: config.autoCreate,
        timeoutMs: config.timeoutMs, retriesMax: config.retriesMax, clock: deps.clock, random: deps.random, logger: deps.logger,
        ...(config.namespace !== undefined ? { namespace: config.namespace } : {}),
      });
      return { kms: new MeteredKms(vault, deps.sink), defaultKeyId: config.defaultKeyId, warning: undefined };
    }
    default:
      return assertNever(config);
  }
}

async function resolveMasterKey(
  config: Extract<KmsConfig, { backend: 'local' }>,
  deps: KmsFactoryDeps,
): Promise<{ masterKey: MasterKey; warning: string | undefined }> {
  if (config.secretKey !== undefined) return { masterKey: parseMasterKey(config.secretKey, 'CAIRN_KMS_SECRET_KEY'), warning: undefined };
  if (config.secretKeyFile !== undefined) return { masterKey: await loadMasterKeyFile(config.secretKeyFile), warning: undefined };
  const generated = await loadOrGenerateMasterKey(deps.generatedKeyDir, deps.random);
  return { masterKey: generated.masterKey, warning: generated.warning };
}
