// Small, pure parsers for env values. Each failure names the variable and the expected form.
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly variable: string, readonly expected: string, value: string) {
    super(`${variable}: invalid value ${JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value)}; expected ${expected}`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function flag(env: Env, name: string, fallback: boolean): boolean {
  const v = str(env, name);
  if (v === undefined) return fallback;
  const lower = v.toLowerCase();
  if (['on', 'true', '1', 'yes', 'enable', 'enabled'].includes(lower)) return true;
  if (['off', 'false', '0', 'no', 'disable', 'disabled'].includes(lower)) return false;
  throw new ConfigError(name, 'on or off', v);
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `an integer from ${min} to ${max}`, v);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(name, `an integer from ${min} to ${max}`, v);
  return n;
}

export function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const v = str(env, name);
  if (v === undefined) return fallback;
  const lower = v.toLowerCase();
  const hit = values.find((x) => x === lower);
  if (hit === undefined) throw new ConfigError(name, `one of ${values.join('|')}`, v);
  return hit;
}

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "15m", "24h", "7d"; a bare number is seconds. */
export function duration(env: Env, name: string, fallbackMs: number): number {
  const v = str(env, name);
  if (v === undefined) return fallbackMs;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v);
  if (!m || m[1] === undefined) throw new ConfigError(name, 'a duration such as 500ms, 30s, 15m, 24h or 7d', v);
  return Number(m[1]) * (unitMs[m[2] ?? 's'] ?? 1000);
}

const unitBytes: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** "1048576", "64KiB", "100MB", "1GiB". */
export function bytes(env: Env, name: string, fallback: number): number {
  const v = str(env, name);
  if (v === undefined) return fallback;
  const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(v);
  const mult = m ? unitBytes[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || m[1] === undefined || mult === undefined) throw new ConfigError(name, 'a byte count such as 1048576, 64KiB, 100MB or 1GiB', v);
  return Number(m[1]) * mult;
}

/** host:port or :port; host may be a bracketed IPv6 literal. */
export function address(env: Env, name: string, fallback: string): { host: string; port: number } {
  const v = str(env, name) ?? fallback;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new ConfigError(name, 'host:port or :port, for example :9000 or 127.0.0.1:9000', v);
  const rawHost = m[1] ?? '';
  const host = rawHost === '' ? '0.0.0.0' : rawHost.replace(/^\[|\]$/g, '');
  return { host, port };
}

/** Comma-separated list with MinIO-style `{1...4}` expansion in each element. */
export function expandList(name: string, value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^(.*)\{(\d+)\.\.\.(\d+)\}(.*)$/.exec(part);
    if (!m) {
      if (part.includes('{') || part.includes('}')) throw new ConfigError(name, 'paths, optionally with one {N...M} range', value);
      out.push(part);
      continue;
    }
    const lo = Number(m[2]);
    const hi = Number(m[3]);
    if (lo > hi || hi - lo > 64) throw new ConfigError(name, 'a {N...M} range with N <= M and at most 64 items', value);
    for (let i = lo; i <= hi; i++) out.push(`${m[1]}${i}${m[4]}`);
  }
  return out;
}
