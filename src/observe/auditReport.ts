// `cairn audit report --since <time|duration>`: a compliance summary read back
// from the audit log files (current and rotated, plain or gzipped).
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Config } from '../config/config.ts';
import type { Clock } from '../util/clock.ts';
import { currentFileName, rotatedFilePattern } from './audit.ts';
import type { AuditEvent, AuditSseMode } from './auditEvent.ts';

/** Operations that store a new object version. */
const writeOperations = new Set(['PutObject', 'CopyObject', 'CompleteMultipartUpload', 'PostObject']);
/** Error codes that mean the caller failed to authenticate. */
const authFailureCodes = new Set(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'ExpiredToken', 'RequestTimeTooSkewed', 'AuthorizationHeaderMalformed', 'AuthorizationQueryParametersError', 'MissingSecurityHeader']);
const changesListedMax = 1000;
const sseModes: readonly AuditSseMode[] = ['none', 'sse-s3', 'sse-kms', 'sse-c'];

export interface AdminChange {
  time: string;
  kind: string;
  operation: string;
  status: number;
  accessKey?: string;
  bucket?: string;
  kmsKeyId?: string;
}

export interface AuditSummary {
  since: string;
  until: string;
  files: number;
  events: number;
  unreadableLines: number;
  /** `unknown`: writes whose audit line names no SSE mode (neither encrypted nor plain can be claimed). */
  objectsWritten: { total: number; encrypted: number; plain: number; unknown: number; byMode: Record<AuditSseMode, number> };
  kmsKeysUsed: Record<string, number>;
  failedAuthentications: { total: number; byCode: Record<string, number>; byAccessKey: Record<string, number> };
  adminChanges: { total: number; failed: number; listed: AdminChange[] };
}

const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "24h", "7d", "30m", or an ISO-8601 time. */
export function parseSince(value: string, nowMs: number): number {
  const d = /^(\d+)([smhdw])$/.exec(value.trim());
  if (d !== null && d[1] !== undefined && d[2] !== undefined) return nowMs - Number(d[1]) * (unitMs[d[2]] ?? 0);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`--since: expected a duration such as 24h or 7d, or an ISO time, got ${JSON.stringify(value)}`);
  return t;
}

/** The log files in time order: rotated ones by name, then the current file. */
export async function auditFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const rotated = names.filter((n) => rotatedFilePattern.test(n)).sort();
  return [...rotated, ...(names.includes(currentFileName) ? [currentFileName] : [])].map((n) => join(dir, n));
}

async function* lines(path: string): AsyncIterable<string> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
    raw.destroy();
  }
}

function emptySummary(sinceMs: number, untilMs: number): AuditSummary {
  return {
    since: new Date(sinceMs).toISOString(),
    until: new Date(untilMs).toISOString(),
    files: 0,
    events: 0,
    unreadableLines: 0,
    objectsWritten: { total: 0, encrypted: 0, plain: 0, unknown: 0, byMode: { none: 0, 'sse-s3': 0, 'sse-kms': 0, 'sse-c': 0 } },
    kmsKeysUsed: {},
    failedAuthentications: { total: 0, byCode: {}, byAccessKey: {} },
    adminChanges: { total: 0, failed: 0, listed: [] },
  };
}

const bump = (map: Record<string, number>, name: string): void => {
  map[name] = (map[name] ?? 0) + 1;
};

function isChange(e: AuditEvent): boolean {
  if (e.kind === 'config') return true;
  return e.kind === 's3' && /^(CreateBucket|DeleteBucket|PutBucket)/.test(e.operation);
}

function add(s: AuditSummary, e: AuditEvent): void {
  s.events += 1;
  const ok = e.status >= 200 && e.status < 300;
  if (e.kind === 's3' && ok && writeOperations.has(e.operation)) {
    s.objectsWritten.total += 1;
    const mode = e.sseMode !== undefined && sseModes.includes(e.sseMode) ? e.sseMode : undefined;
    if (mode === undefined) s.objectsWritten.unknown += 1;
    else {
      s.objectsWritten.byMode[mode] += 1;
      if (mode === 'none') s.objectsWritten.plain += 1;
      else s.objectsWritten.encrypted += 1;
    }
  }
  if (e.kmsKeyId !== undefined && ok) bump(s.kmsKeysUsed, e.kmsKeyId);
  if ((e.errorCode !== undefined && authFailureCodes.has(e.errorCode)) || (e.status === 403 && e.errorCode === undefined)) {
    s.failedAuthentications.total += 1;
    bump(s.failedAuthentications.byCode, e.errorCode ?? 'AccessDenied');
    bump(s.failedAuthentications.byAccessKey, e.accessKey ?? '(anonymous)');
  }
  if (isChange(e)) {
    if (!ok) s.adminChanges.failed += 1;
    else s.adminChanges.total += 1;
    if (ok && s.adminChanges.listed.length < changesListedMax) {
      const c: AdminChange = { time: e.time, kind: e.kind, operation: e.operation, status: e.status };
      if (e.accessKey !== undefined) c.accessKey = e.accessKey;
      if (e.bucket !== undefined) c.bucket = e.bucket;
      if (e.kmsKeyId !== undefined) c.kmsKeyId = e.kmsKeyId;
      s.adminChanges.listed.push(c);
    }
  }
}

function parseEvent(line: string): AuditEvent | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const e = v as Partial<AuditEvent>;
    if (e.v !== 1 || typeof e.time !== 'string' || typeof e.operation !== 'string' || typeof e.status !== 'number') return undefined;
    return e as AuditEvent;
  } catch {
    return undefined;
  }
}

export async function summarizeAudit(dir: string, sinceMs: number, untilMs: number): Promise<AuditSummary> {
  const s = emptySummary(sinceMs, untilMs);
  for (const path of await auditFiles(dir)) {
    // A file last written before the window holds nothing inside it.
    if ((await stat(path)).mtimeMs < sinceMs) continue;
    s.files += 1;
    for await (const line of lines(path)) {
      if (line === '') continue;
      const e = parseEvent(line);
      if (e === undefined) {
        s.unreadableLines += 1;
        continue;
      }
      const t = Date.parse(e.time);
      if (t >= sinceMs && t <= untilMs) add(s, e);
    }
  }
  return s;
}

function counts(map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '  (none)' : entries.map(([k, n]) => `  ${k}: ${n}`).join('\n');
}

export function formatSummary(s: AuditSummary): string {
  const w = s.objectsWritten;
  const modes = sseModes.filter((m) => m !== 'none').map((m) => `${m} ${w.byMode[m]}`).join(', ');
  const changes = s.adminChanges.listed.map((c) => `  ${c.time} ${c.kind} ${c.operation}${c.bucket === undefined ? '' : ` bucket=${c.bucket}`}${c.kmsKeyId === undefined ? '' : ` key=${c.kmsKeyId}`} by ${c.accessKey ?? '-'}`);
  return [
    `Audit report ${s.since} .. ${s.until}: ${s.events} events in ${s.files} files${s.unreadableLines > 0 ? ` (${s.unreadableLines} unreadable lines)` : ''}`,
    `Objects written: ${w.total}`,
    `  encrypted: ${w.encrypted} (${modes})`,
    `  plain: ${w.plain}`,
    ...(w.unknown > 0 ? [`  mode not recorded: ${w.unknown}`] : []),
    'KMS keys used (successful operations):',
    counts(s.kmsKeysUsed),
    `Failed authentications: ${s.failedAuthentications.total}`,
    counts(s.failedAuthentications.byCode),
    `Admin and configuration changes: ${s.adminChanges.total}${s.adminChanges.failed > 0 ? ` (${s.adminChanges.failed} refused or failed)` : ''}`,
    ...(changes.length > 0 ? changes : ['  (none)']),
  ].join('\n');
}

export const auditReportHelp = `Usage: cairn audit report --since <duration|time> [--until <time>] [--dir <path>] [--json]

Summarizes the audit log: objects written encrypted vs plain by SSE mode, KMS keys
used, failed authentications, and admin/configuration changes.

  --since   24h, 7d, 30m, or an ISO-8601 time (required)
  --until   an ISO-8601 time (default: now)
  --dir     audit directory (default: CAIRN_AUDIT_DIR)
  --json    print the summary as JSON`;

/** Entry point for `cairn audit ...`; returns the process exit code. */
export async function runAuditReport(argv: readonly string[], config: Pick<Config, 'audit'>, clock: Clock, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const args = argv[0] === 'report' ? argv.slice(1) : argv;
  if (argv[0] !== 'report' || args.includes('--help') || args.includes('-h')) {
    write(auditReportHelp + '\n');
    return argv[0] === 'report' ? 0 : 2;
  }
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const since = opt('--since');
  const dir = opt('--dir') ?? config.audit.dir;
  if (since === undefined) {
    write('cairn audit report: --since is required\n' + auditReportHelp + '\n');
    return 2;
  }
  if (dir === undefined) {
    write('cairn audit report: no audit directory; set CAIRN_AUDIT_DIR or pass --dir\n');
    return 2;
  }
  const nowMs = clock.nowMs();
  try {
    const until = opt('--until');
    const summary = await summarizeAudit(dir, parseSince(since, nowMs), until === undefined ? nowMs : parseSince(until, nowMs));
    write((args.includes('--json') ? JSON.stringify(summary, null, 2) : formatSummary(summary)) + '\n');
    return 0;
  } catch (e) {
    write(`cairn audit report: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
