// A Kms wrapper that reports every call's operation, outcome and latency to an
// injected sink, so the metrics registry can export counters and histograms
// without the KMS code knowing about Prometheus.
import { KmsError, type DataKey, type EncryptionContext, type Kms, type KeyStatus, type KmsErrorCode, type KmsHealth } from './types.ts';

export type KmsOperation =
  | 'generateDataKey'
  | 'decrypt'
  | 'rewrap'
  | 'createKey'
  | 'listKeys'
  | 'keyStatus'
  | 'rotateKey'
  | 'setMinDecryptionVersion'
  | 'health';

export const kmsOperations: readonly KmsOperation[] = [
  'generateDataKey', 'decrypt', 'rewrap', 'createKey', 'listKeys', 'keyStatus', 'rotateKey', 'setMinDecryptionVersion', 'health',
];

/** Shaped like the metrics registry's sink, so it plugs in without an adapter. */
export interface KmsMetricsEvent {
  operation: KmsOperation;
  backend: 'local' | 'vault';
  durationMs: number;
  /** Set on failure: a KmsError code, or "Internal" for anything else. */
  errorCode?: KmsErrorCode | 'Internal' | undefined;
}

export interface KmsMetricsSink {
  record(event: KmsMetricsEvent): void;
}

export class MeteredKms implements Kms {
  readonly backend: 'local' | 'vault';

  constructor(
    private readonly inner: Kms,
    private readonly sink: KmsMetricsSink,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.backend = inner.backend;
  }

  generateDataKey(keyId: string, context: EncryptionContext): Promise<DataKey> {
    return this.measure('generateDataKey', () => this.inner.generateDataKey(keyId, context));
  }

  decrypt(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    return this.measure('decrypt', () => this.inner.decrypt(keyId, ciphertext, context));
  }

  rewrap(keyId: string, ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    return this.measure('rewrap', () => this.inner.rewrap(keyId, ciphertext, context));
  }

  createKey(keyId: string): Promise<void> {
    return this.measure('createKey', () => this.inner.createKey(keyId));
  }

  listKeys(): Promise<string[]> {
    return this.measure('listKeys', () => this.inner.listKeys());
  }

  keyStatus(keyId: string): Promise<KeyStatus> {
    return this.measure('keyStatus', () => this.inner.keyStatus(keyId));
  }

  rotateKey(keyId: string): Promise<KeyStatus> {
    return this.measure('rotateKey', () => this.inner.rotateKey(keyId));
  }

  setMinDecryptionVersion(keyId: string, version: number): Promise<KeyStatus> {
    return this.measure('setMinDecryptionVersion', () => {
      if (this.inner.setMinDecryptionVersion === undefined) {
        return Promise.reject(new KmsError('Unavailable', `the ${this.inner.backend} KMS cannot set a minimum decryption version`));
      }
      return this.inner.setMinDecryptionVersion(keyId, version);
    });
  }

  /** A health result with online=false counts as an error too. */
  async health(): Promise<KmsHealth> {
    const startMs = this.nowMs();
    try {
      const result = await this.inner.health();
      this.report('health', startMs, result.online ? undefined : 'Unavailable');
      return result;
    } catch (error) {
      this.report('health', startMs, codeOf(error));
      throw error;
    }
  }

  private async measure<T>(operation: KmsOperation, run: () => Promise<T>): Promise<T> {
    const startMs = this.nowMs();
    try {
      const result = await run();
      this.report(operation, startMs, undefined);
      return result;
    } catch (error) {
      this.report(operation, startMs, codeOf(error));
      throw error;
    }
  }

  private report(operation: KmsOperation, startMs: number, errorCode: KmsErrorCode | 'Internal' | undefined): void {
    this.sink.record({ operation, backend: this.backend, durationMs: this.nowMs() - startMs, errorCode });
  }
}

function codeOf(error: unknown): KmsErrorCode | 'Internal' {
  return error instanceof KmsError ? error.code : 'Internal';
}
