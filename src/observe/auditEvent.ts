// The audit event shape and its sanitizer: only whitelisted fields, bounded
// lengths, and never a secret, whatever a caller passes in.

export type AuditKind = 's3' | 'admin' | 'kms' | 'config' | 'system';
export type AuditSseMode = 'none' | 'sse-s3' | 'sse-kms' | 'sse-c';
export type AuditDetail = Readonly<Record<string, string | number | boolean>>;

/** One line of the audit log (docs/formats.md describes it; `v` is its version). */
export interface AuditEvent {
  v: 1;
  time: string;
  kind: AuditKind;
  requestId: string;
  accessKey?: string;
  operation: string;
  bucket?: string;
  key?: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  sseMode?: AuditSseMode;
  kmsKeyId?: string;
  errorCode?: string;
  detail?: AuditDetail;
}

export interface AuditInput {
  timeMs?: number;
  kind: AuditKind;
  requestId: string;
  accessKey?: string | undefined;
  operation: string;
  bucket?: string | undefined;
  key?: string | undefined;
  status: number;
  bytesIn?: number;
  bytesOut?: number;
  durationMs?: number;
  sseMode?: AuditSseMode | undefined;
  kmsKeyId?: string | undefined;
  errorCode?: string | undefined;
  detail?: AuditDetail | undefined;
}

const redacted = '[redacted]';
const shortMax = 256;
const keyMax = 1024;
const detailEntriesMax = 32;
/** Detail entries whose name suggests a secret are dropped to a marker, whatever their value. */
const secretNamePattern = /secret|password|passwd|token|credential|authorization|signature|customer-key|customerkey|sse-?c-?key|plaintext|master|private|session/i;
/** A bare 256-bit key in base64 or hex, the shapes SSE-C and master keys take. */
const rawKeyPattern = /^(?:[A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})$/;

export class AuditSanitizer {
  private readonly secrets: string[];

  /** `secrets`: values that must never appear in the log (root password, master key, metrics token, ...). */
  constructor(secrets: readonly (string | undefined)[]) {
    // Short strings would redact innocent text; config already enforces 8+ characters for real secrets.
    this.secrets = secrets.filter((s): s is string => s !== undefined && s.length >= 8);
  }

  text(value: string, max = shortMax): string {
    let out = value;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(redacted);
    return out.length > max ? `${out.slice(0, max)}…` : out;
  }

  private detail(detail: AuditDetail): AuditDetail {
    const out: Record<string, string | number | boolean> = {};
    for (const [name, value] of Object.entries(detail).slice(0, detailEntriesMax)) {
      const cleanName = this.text(name, 64);
      if (secretNamePattern.test(name)) out[cleanName] = redacted;
      else if (typeof value === 'string') out[cleanName] = rawKeyPattern.test(value) ? redacted : this.text(value);
      else out[cleanName] = typeof value === 'number' && !Number.isFinite(value) ? 0 : value;
    }
    return out;
  }

  event(input: AuditInput, nowMs: number): AuditEvent {
    const num = (n: number | undefined): number => (n !== undefined && Number.isFinite(n) && n >= 0 ? n : 0);
    const e: AuditEvent = {
      v: 1,
      time: new Date(input.timeMs ?? nowMs).toISOString(),
      kind: input.kind,
      requestId: this.text(input.requestId, 128),
      operation: this.text(input.operation, 128),
      status: Math.trunc(num(input.status)),
      bytesIn: num(input.bytesIn),
      bytesOut: num(input.bytesOut),
      durationMs: Math.round(num(input.durationMs) * 1000) / 1000,
    };
    if (input.accessKey !== undefined) e.accessKey = this.text(input.accessKey, 128);
    if (input.bucket !== undefined) e.bucket = this.text(input.bucket, 64);
    if (input.key !== undefined) e.key = this.text(input.key, keyMax);
    if (input.sseMode !== undefined) e.sseMode = input.sseMode;
    if (input.kmsKeyId !== undefined) e.kmsKeyId = this.text(input.kmsKeyId, 256);
    if (input.errorCode !== undefined) e.errorCode = this.text(input.errorCode, 128);
    if (input.detail !== undefined) e.detail = this.detail(input.detail);
    return e;
  }
}
