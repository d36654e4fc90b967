// Building blocks shared by the server and the offline CLI: the store and the KMS
// opened from one Config the same way, so both see the same drives and keys.
import { statePaths, type Config } from './config/config.ts';
import { buildKms, keystoreSystemName } from './kms/factory.ts';
import type { KmsMetricsSink } from './kms/metered.ts';
import { openObjectStore } from './storage/index.ts';
import type { ObjectStore } from './storage/types.ts';
import type { Clock } from './util/clock.ts';
import type { Logger } from './util/log.ts';
import type { Random } from './util/random.ts';

export interface ComposeDeps {
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** `background: false` for short-lived commands: no integrity scans or drive probes. */
export function openStoreFromConfig(config: Config, deps: ComposeDeps, opts: { background: boolean; reaperWorkerUrl?: URL }): Promise<ObjectStore> {
  return openObjectStore({
    drives: config.drives,
    ...(config.parity === undefined ? {} : { parity: config.parity }),
    fsync: config.fsync,
    ...deps,
    staleUploadAgeMs: config.multipartStaleAgeMs,
    healScanIntervalMs: opts.background ? config.heal.scanIntervalMs : 0,
    ...(opts.background ? {} : { driveProbeIntervalMs: 0 }),
    healScanObjectsPerSec: config.heal.objectsPerSecMax,
    ...(opts.reaperWorkerUrl === undefined ? {} : { reaperWorkerUrl: opts.reaperWorkerUrl }),
  });
}

/** The configured KMS, metered into `sink`, with the local keystore replicated on the drives. */
export function buildKmsFromConfig(config: Config, store: ObjectStore, sink: KmsMetricsSink, deps: ComposeDeps): ReturnType<typeof buildKms> {
  return buildKms(config.kms, {
    keystoreStore: { read: () => store.readSystem(keystoreSystemName), write: (b) => store.writeSystem(keystoreSystemName, b) },
    generatedKeyDir: statePaths(config).generatedKeyDir,
    sink,
    ...deps,
  });
}
