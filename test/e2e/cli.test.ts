import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const CLI = new URL('../../bin/llmk.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('llmk --version prints the package version; --help lists the commands', () => {
  const version = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const v = run('--version');
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), version);
  const h = run('--help');
  assert.equal(h.status, 0);
  for (const cmd of [
    'quickstart',
    'pretrain',
    'generate',
    'data',
    'tokenizer',
    'metrics',
    'dashboard',
    'bench',
    'convert',
    'inspect',
  ]) {
    assert.match(h.stdout, new RegExp(`\\n  ${cmd}\\b`), `--help lists ${cmd}`);
  }
  const bad = run('no-such-command');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown command/);
});
