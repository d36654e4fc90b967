// `npm run build`: the single executable dist/cairn via `bun build --compile`.
// The storage erasure kernel is generated as WAT and compiled with wabt when the
// process starts, so no generator step runs here. Worker threads are extra entry points:
// every src/**/*worker.ts is embedded (the executable can only start workers it holds).
// The smoke check proves the compiled binary starts (`cairn version`).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Glob } from 'bun';

const root = join(import.meta.dir, '..');

function run(cmd: string, args: string[]): string {
  const res = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (res.status !== 0) {
    process.stderr.write(res.stdout ?? '');
    throw new Error(`[cairn build] ${cmd} ${args.join(' ')} failed (exit ${res.status ?? res.signal})`);
  }
  return res.stdout;
}

export function workerEntryPoints(): string[] {
  return [...new Glob('src/**/*worker.ts').scanSync({ cwd: root })].filter((f) => !f.endsWith('.test.ts')).sort();
}

/** Compiles the executable to `outfile` and returns what `cairn version` prints. */
export function buildExecutable(outfile: string): string {
  mkdirSync(dirname(outfile), { recursive: true });
  run(process.execPath, ['build', '--compile', '--minify-syntax', '--sourcemap', 'src/main.ts', ...workerEntryPoints(), '--outfile', outfile]);
  return run(outfile, ['version']).trim();
}

if (import.meta.main) {
  const outfile = join(root, 'dist', 'cairn');
  try {
    const version = buildExecutable(outfile);
    console.log(`[cairn build] ${outfile} (${version}; workers: ${workerEntryPoints().join(', ')})`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
