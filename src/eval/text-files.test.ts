import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LlmkError } from '../errors.js';
import { readParallelText, readSegments } from './text-files.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-textfiles-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('segments: final newline ends the last line, CRLF and trailing spaces are stripped, inner blanks kept', () => {
  assert.deepEqual(readSegments(file('a.txt', 'one  \r\ntwo\n\nfour\n')), ['one', 'two', '', 'four']);
  assert.deepEqual(readSegments(file('b.txt', 'no newline')), ['no newline']);
});

test('line-count mismatch names both files and both counts', () => {
  const h = file('h.txt', 'a\nb\nc\n');
  const r1 = file('r1.txt', 'a\nb\nc\n');
  const r2 = file('r2.txt', 'a\n');
  assert.equal(readParallelText(h, [r1]).hyps.length, 3);
  assert.throws(
    () => readParallelText(h, [r1, r2]),
    (e: unknown) =>
      e instanceof LlmkError &&
      e.code === 'LLMK_E_DATA' &&
      e.message.includes(h) &&
      e.message.includes(r2) &&
      e.message.includes('3 lines') &&
      e.message.includes('has 1'),
  );
});

test('empty and missing files are typed errors naming the file', () => {
  const empty = file('empty.txt', '');
  assert.throws(
    () => readSegments(empty),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_DATA' && e.message.includes(empty),
  );
  const missing = join(dir, 'nope.txt');
  assert.throws(
    () => readSegments(missing),
    (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_IO' && e.message.includes(missing),
  );
  assert.throws(() => readParallelText(empty, []), { code: 'LLMK_E_ARG' });
});
