// `npm run build`: the single executable dist/cairn via `bun build --compile`.
// The storage erasure kernel is generated as WAT and compiled with wabt when the
// process starts, so no generator step runs here. Worker threads are extra entry points:
// every src/**/*worker.ts is embedded (the executable can only start workers it holds).
// The smoke check below proves the compiled binary starts (`cairn version`).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Glob } from 'bun';

const root = join(import.meta.dir, '..');
const outfile = join(root, 'dist', 'cairn');

function run(cmd: string, args: string[]): string {
  const res = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (res.status !== 0) {
    process.stderr.write(res.stdout ?? '');
    console.error(`[cairn build] ${cmd} ${args.join(' ')} failed (exit ${res.status ?? res.signal})`);
    process.exit(res.status ?? 1);
  }
  return res.stdout;
}

mkdirSync(join(root, 'dist'), { recursive: true });
const workers = [...new Glob('src/**/*worker.ts').scanSync({ cwd: root })].filter((f) => !f.endsWith('.test.ts')).sort();
run(process.execPath, ['build', '--compile', '--minify-syntax', '--sourcemap', 'src/main.ts', ...workers, '--outfile', outfile]);
const version = run(outfile, ['version']).trim();
console.log(`[cairn build] ${outfile} (${version}; workers: ${workers.join(', ')})`);
