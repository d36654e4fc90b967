// Runs before `npm start` / `npm test`: on a fresh clone, install the pinned
// dependencies (Bun among them) so the two README commands are all you need.
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');
const root = path.join(__dirname, '..');
const bun = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'bun.exe' : 'bun');
if (!existsSync(bun)) {
  const cmd = existsSync(path.join(root, 'package-lock.json')) ? 'npm ci' : 'npm install';
  console.log(`[cairn] dependencies missing; running ${cmd}`);
  execSync(cmd, { cwd: root, stdio: 'inherit' });
}
