// Builds each Kms backend for the contract suite: LocalKms over an in-memory
// store, and VaultKms over real HTTP against the Vault double.
import { fixedClock } from '../../util/clock.ts';
import { LocalKms } from '../local.ts';
import type { Kms } from '../types.ts';
import { VaultKms, type VaultKmsOptions } from '../vault.ts';
import { memoryKeystoreStore } from './memory-store.ts';
import { VaultDouble } from './vault-double.ts';

export interface BackendHandle {
  kms: Kms;
  close(): void;
}

export interface BackendFactory {
  name: 'local' | 'vault';
  open(options: { autoCreate: boolean }): Promise<BackendHandle>;
}

export const localBackend: BackendFactory = {
  name: 'local',
  async open({ autoCreate }) {
    const masterKey = { name: 'contract', key: new Uint8Array(32).fill(11) };
    // reloadIntervalMsMin 0: every miss re-reads, which the contract must tolerate.
    const kms = await LocalKms.open({ masterKey, store: memoryKeystoreStore(), autoCreate, reloadIntervalMsMin: 0 });
    return { kms, close() {} };
  },
};

export function startVaultDouble(options: ConstructorParameters<typeof VaultDouble>[0] = {}): VaultDouble {
  return new VaultDouble({ clock: fixedClock(1_800_000_000_000), ...options });
}

export function vaultKmsFor(double: VaultDouble, overrides: Partial<VaultKmsOptions> = {}): VaultKms {
  return new VaultKms({
    address: double.url,
    auth: { kind: 'token', token: double.rootToken },
    autoCreate: false,
    timeoutMs: 2000,
    retriesMax: 2,
    sleep: async () => {},
    ...overrides,
  });
}

export const vaultBackend: BackendFactory = {
  name: 'vault',
  async open({ autoCreate }) {
    const double = startVaultDouble();
    const kms = vaultKmsFor(double, { autoCreate });
    return { kms, close: () => double.stop() };
  },
};
