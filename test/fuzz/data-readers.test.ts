// Fuzzing the corpus readers: JSONL, CSV/TSV, CoNLL, BMES and the labelled-data readers built on
// them, with random bytes and with text shaped like each format (right delimiters, wrong counts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readBmesLines, readConll, readCsv, readJsonl } from '../../src/data/readers.js';
import { readClassificationFile, readNerFile } from '../../src/data/tasks.js';
import { asyncProperty, expectTypedAsync, scratch } from './harness.js';

async function drain<T>(it: AsyncIterable<T>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

/** Text made of the characters each format gives meaning to, so fields, quotes and tags collide. */
const shaped = fc.string({
  unit: fc.constantFrom(
    'a',
    'é',
    '中',
    ' ',
    '\t',
    ',',
    '"',
    '\n',
    '\r\n',
    '@',
    '{',
    '}',
    '[',
    ']',
    ':',
    '1',
    'B-PER',
    'O',
    '\\',
    'null',
    '"text"',
    '"label"',
  ),
  maxLength: 200,
});
const bytes = fc.oneof(
  shaped.map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  // JSONL of arbitrary JSON values, one per line: objects with hostile field types.
  fc
    .array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 })
    .map((vs) => Buffer.from(vs.map((v) => JSON.stringify(v)).join('\n'))),
  fc
    .array(
      fc.record({
        text: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        label: fc.jsonValue({ maxDepth: 2 }),
        text_pair: fc.jsonValue({ maxDepth: 1 }),
      }),
      { maxLength: 4 },
    )
    .map((vs) => Buffer.from(vs.map((v) => JSON.stringify(v)).join('\n'))),
);

test('fuzz data readers: every reader gives rows or a typed error (file and line), never a raw exception', async () => {
  const tmp = scratch('data');
  try {
    await asyncProperty(
      'data readers: JSONL/CSV/TSV/CoNLL/BMES and labelled files',
      bytes,
      async (content) => {
        const path = tmp.file('in.txt', content);
        const limits = { inputBytes: content.length };
        await expectTypedAsync('readJsonl', () => drain(readJsonl(path)), limits);
        await expectTypedAsync('readJsonl(field)', () => drain(readJsonl(path, { field: 'a.b' })), limits);
        await expectTypedAsync('readCsv', () => drain(readCsv(path)), limits);
        await expectTypedAsync(
          'readCsv(tsv)',
          () => drain(readCsv(path, { delimiter: '\t', column: 1 })),
          limits,
        );
        await expectTypedAsync('readConll', () => drain(readConll(path)), limits);
        await expectTypedAsync('readBmesLines', () => drain(readBmesLines(path)), limits);
        for (const format of ['tsv', 'csv', 'jsonl', 'txt'] as const)
          await expectTypedAsync(
            `readClassificationFile(${format})`,
            () => readClassificationFile(path, { format }),
            limits,
          );
        for (const format of ['conll', 'bmes'] as const)
          await expectTypedAsync(`readNerFile(${format})`, () => readNerFile(path, format), limits);
      },
      60,
    );
  } finally {
    tmp.done();
  }
});

test('data regression (found while writing the fuzzers): a JSONL label that is an object or array of objects is a typed error', async () => {
  const tmp = scratch('data-reg');
  try {
    // {"toString": …} made String(label) throw "Cannot convert object to primitive value".
    for (const label of ['{"toString": "x"}', '[{"valueOf": 1, "toString": 2}]', '{"a": 1}']) {
      const path = tmp.file('l.jsonl', `{"text": "fine", "label": ${label}}\n`);
      await assert.rejects(
        readClassificationFile(path, { format: 'jsonl' }),
        /LLMK_E_DATA: .*l\.jsonl:1: label is not a string, number or boolean/,
      );
    }
    const ok = tmp.file('ok.jsonl', '{"text": "a", "label": 1}\n{"text": "b", "label": ["x", true]}\n');
    const examples = await readClassificationFile(ok, { format: 'jsonl' });
    assert.deepEqual(
      examples.map((e) => e.labels),
      [['1'], ['x', 'true']],
    );
  } finally {
    tmp.done();
  }
});
