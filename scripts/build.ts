// `npm run build`: the single executable dist/cairn via `bun build --compile`.
// The storage erasure kernel is generated as WAT and compiled with wabt when the
// process starts, so no generator step runs here. The MD5 worker is a second entry
// point. The smoke check below proves the compiled binary starts (`cairn version`).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

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
// Worker entry points must be named so the executable embeds them.
run(process.execPath, ['build', '--compile', '--minify-syntax', '--sourcemap', 'src/main.ts', 'src/s3/md5-worker.ts', '--outfile', outfile]);
const version = run(outfile, ['version']).trim();
console.log(`[cairn build] ${outfile} (${version})`);
