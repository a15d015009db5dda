import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LlmkError } from '../errors.js';
import {
  checkOutput,
  cleanStale,
  commitPartial,
  isReplaceableDir,
  partialPath,
  removePartials,
  writeDirAtomic,
  writeOutputFile,
} from './output.js';

const root = mkdtempSync(join(tmpdir(), 'llmk-output-'));
after(() => rmSync(root, { recursive: true, force: true }));

const code = (c: string, re?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof LlmkError, String(e));
  assert.equal(e.code, c);
  if (re) assert.match(e.message, re);
  return true;
};

test('an existing output is refused without force, naming the path and the flag', () => {
  const file = join(root, 'report.json');
  writeFileSync(file, 'old');
  assert.throws(
    () => checkOutput({ path: file, kind: 'file', flag: '--report' }),
    code('LLMK_E_EXISTS', /report\.json already exists; pass --force .*--report/),
  );
  writeOutputFile({ path: file, force: true, flag: '--report' }, 'new');
  assert.equal(readFileSync(file, 'utf8'), 'new');
  assert.deepEqual(
    readdirSync(root).filter((f) => f.includes('partial')),
    [],
  );
});

test('force never replaces a directory llmk did not write; a model directory is swapped whole', () => {
  const mine = join(root, 'photos');
  mkdirSync(mine);
  writeFileSync(join(mine, 'holiday.jpg'), 'x');
  assert.throws(
    () => checkOutput({ path: mine, kind: 'dir', force: true }),
    code('LLMK_E_EXISTS', /not a directory llmk wrote/),
  );
  assert.ok(existsSync(join(mine, 'holiday.jpg')));
  // The library writer (saveModel, saveAdapter, checkpoints) follows the same rule: a foreign
  // directory is refused before any work and left as it was.
  assert.throws(
    () => writeDirAtomic(mine, (tmp) => writeFileSync(join(tmp, 'config.json'), '{}')),
    code('LLMK_E_EXISTS', /not a directory llmk wrote/),
  );
  assert.deepEqual(readdirSync(mine), ['holiday.jpg']);
  assert.ok(!existsSync(`${mine}.tmp-${process.pid}`));
  const model = join(root, 'model');
  mkdirSync(model);
  writeFileSync(join(model, 'config.json'), '{}');
  writeFileSync(join(model, 'model.safetensors'), 'w');
  assert.ok(isReplaceableDir(model));
  checkOutput({ path: model, kind: 'dir', force: true });
  writeDirAtomic(model, (tmp) => {
    writeFileSync(join(tmp, 'config.json'), '{"new":1}');
    writeFileSync(join(tmp, 'model.safetensors'), 'w2');
  });
  assert.equal(readFileSync(join(model, 'config.json'), 'utf8'), '{"new":1}');
  assert.deepEqual(
    readdirSync(root).filter((f) => /\.(tmp|old|partial)-/.test(f)),
    [],
  );
});

test('a directory where a file goes (EISDIR), a file where a directory goes, the cwd, an input', () => {
  assert.throws(
    () => checkOutput({ path: root, kind: 'file', force: true, flag: '-o' }),
    code('LLMK_E_ARG', /-o .* is a directory/),
  );
  const f = join(root, 'plain.txt');
  writeFileSync(f, 'x');
  assert.throws(() => checkOutput({ path: f, kind: 'dir', force: true }), code('LLMK_E_ARG', /is a file/));
  assert.throws(
    () => checkOutput({ path: '.', kind: 'dir', force: true }),
    code('LLMK_E_ARG', /current directory/),
  );
  const input = join(root, 'data', 'train.txt');
  mkdirSync(join(root, 'data'));
  writeFileSync(input, 'x');
  assert.throws(
    () => checkOutput({ path: join(root, 'data'), kind: 'dir', force: true, inputs: [input] }),
    code('LLMK_E_ARG', /contains the input/),
  );
  assert.throws(
    () => checkOutput({ path: input, kind: 'file', force: true, inputs: [input] }),
    code('LLMK_E_ARG', /is or contains the input/),
  );
});

test('missing parent directories are created', () => {
  const deep = join(root, 'a', 'b', 'c', 'out.jsonl');
  checkOutput({ path: deep, kind: 'file' });
  assert.ok(existsSync(join(root, 'a', 'b', 'c')));
});

test('partials are registered and removed on every exit path; stale ones of dead pids are cleaned', () => {
  const out = join(root, 'big.jsonl');
  const temp = partialPath(out);
  writeFileSync(temp, 'half');
  assert.deepEqual(removePartials(), [temp]);
  assert.equal(existsSync(temp), false);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  const pid = Number(dead.stdout);
  mkdirSync(`${out}.tmp-${pid}`);
  writeFileSync(`${out}.partial-${pid}`, 'x');
  const removed = cleanStale(out);
  assert.equal(removed.length, 2);
  // A swap cut between its two renames: the old output is moved back.
  const ck = join(root, 'best');
  mkdirSync(`${ck}.old-${pid}`);
  cleanStale(ck);
  assert.ok(existsSync(ck));
  const t2 = partialPath(join(root, 'x.txt'));
  writeFileSync(t2, 'done');
  commitPartial(t2, join(root, 'x.txt'));
  assert.deepEqual(removePartials(), []);
});
