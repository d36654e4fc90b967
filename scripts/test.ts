// `npm test`: type-check everything, then run every bun:test file (unit tests next to the
// code, end-to-end tests in test/). Extra arguments are passed to `bun test`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dir, '..');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

function run(label: string, cmd: string, args: string[]): void {
  console.log(`\n[cairn test] ${label}: ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`[cairn test] ${label} failed (exit ${res.status ?? res.signal})`);
    process.exit(res.status ?? 1);
  }
}

run('typecheck', bin('tsc'), ['--noEmit', '-p', '.']);
run('tests', process.execPath, ['test', '--timeout', '120000', ...process.argv.slice(2)]);
