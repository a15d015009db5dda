// Builds the C++ addon with node-gyp at `npm install` (npm ships node-gyp; nothing is downloaded).
// A failed build is not fatal: llmk then runs on its reference backend and says so once at load.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  const npmCli = process.env.npm_execpath;
  if (npmCli) {
    const candidate = join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(candidate)) return candidate;
  }
  const fromExec = join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  return existsSync(fromExec) ? fromExec : null;
}

const gyp = findNodeGyp();
if (!gyp) {
  console.warn(
    'llmk: node-gyp not found; the native backend was not built (llmk will use the slow reference backend).',
  );
  process.exit(0);
}
const args = [gyp, 'rebuild', '--release'];
// Build against the headers of the running Node when they are installed locally (no download).
for (const dir of [join(dirname(process.execPath), '..'), '/usr']) {
  if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${dir}`);
    break;
  }
}
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (result.status !== 0) {
  console.warn(
    'llmk: the native addon failed to build; llmk will use the slow reference backend. See the log above.',
  );
}
process.exit(0);
