// Keeps the docs true to the code: every S3 error code, environment variable,
// admin route, metric and CLI verb the code defines is documented.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminRoutes } from '../src/admin/router.ts';
import { addProcessCollector, createCairnMetrics } from '../src/observe/cairnMetrics.ts';
import { verbs } from '../src/main.ts';
import { s3Operations } from '../src/s3/router.ts';

const root = join(import.meta.dir, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const api = read('docs/api.md');
const guide = read('docs/user-guide.md');

/** Names quoted in a source file: 'CAIRN_X' literals, error table keys, ... */
function matches(text: string, re: RegExp): string[] {
  return [...new Set([...text.matchAll(re)].map((m) => m[1] ?? ''))].sort();
}

describe('docs match the code', () => {
  test('every S3 error code is in docs/api.md with its status', () => {
    const table = read('src/s3/errors.ts');
    const codes = [...table.matchAll(/^\s+'?([A-Za-z0-9.]+)'?: \[(\d{3}),/gm)].map((m) => ({ code: m[1] ?? '', status: m[2] ?? '' }));
    expect(codes.length).toBeGreaterThan(40);
    const missing = codes.filter(({ code, status }) => {
      const row = api.split('\n').find((l) => l.startsWith(`| ${status} |`));
      return row === undefined || !new RegExp(`[ ,]${code.replace('.', '\\.')}(,| \\|)`).test(row);
    });
    expect(missing).toEqual([]);
  });

  test('every S3 operation is in docs/api.md', () => {
    const section = api.slice(api.indexOf('## Supported operations'), api.indexOf('## Limits'));
    const missing = s3Operations.filter((op) => op !== 'NotImplemented' && !new RegExp(`\\b${op}\\b`).test(section));
    expect(missing).toEqual([]);
  });

  test('every CAIRN_* variable is in the user guide', () => {
    const vars = matches(read('src/config/config.ts'), /'(CAIRN_[A-Z0-9_]+)'/g);
    expect(vars.length).toBeGreaterThan(30);
    expect(vars.filter((v) => !guide.includes(`\`${v}\``))).toEqual([]);
  });

  test('every admin route is in docs/api.md', () => {
    const missing = Object.values(adminRoutes)
      .map((r) => `| ${r.method} | \`/${r.path.map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p)).join('/')}\``)
      .filter((row) => !api.includes(row));
    expect(missing).toEqual([]);
  });

  test('every metric is in the user guide', () => {
    const m = createCairnMetrics('docs');
    addProcessCollector(m, 0);
    const names = matches(m.registry.render(), /^# TYPE (\S+) /gm);
    expect(names.length).toBeGreaterThan(30);
    // Families may be listed with a shared prefix: `cairn_config_cache_hits_total`, `…_misses_total`.
    const documented = (name: string): boolean => guide.includes(`\`${name}\``) || guide.includes(`\`…${name.slice(name.lastIndexOf('_', name.length - (name.endsWith('_total') ? 7 : 1)))}\``);
    expect(names.filter((n) => !documented(n))).toEqual([]);
  });

  test('every CLI verb is in the user guide', () => {
    const missing = verbs.map((v) => `cairn ${v.words.join(' ')}`).filter((v) => !guide.includes(v));
    expect(missing).toEqual([]);
  });
});
