import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from './errors.js';
import { checkLabels, labelSet, readClassificationFile, readNerFile } from './tasks.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-tasks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('classification formats: TSV with a label column, PhraseBank txt, JSONL pairs and multi-label', async () => {
  const tsv = await readClassificationFile(file('a.tsv', 'label\tsentence\n1\tgood film\n0\tbad "film\n'), {
    format: 'tsv',
  });
  assert.deepEqual(
    tsv.map((e) => [e.text, e.labels, e.line]),
    [
      ['good film', ['1'], 2],
      ['bad "film', ['0'], 3],
    ],
  );
  const txt = await readClassificationFile(file('b.txt', 'Sales rose 5 % @ year@positive\nFlat.@neutral\n'), {
    format: 'txt',
  });
  assert.deepEqual(
    txt.map((e) => [e.text, e.labels[0]]),
    [
      ['Sales rose 5 % @ year', 'positive'],
      ['Flat.', 'neutral'],
    ],
  );
  const jsonl = await readClassificationFile(
    file('c.jsonl', '{"text":"a","text_pair":"b","label":["x","y"]}\n'),
    { format: 'jsonl' },
  );
  assert.deepEqual(jsonl[0].labels, ['x', 'y']);
  assert.equal(jsonl[0].pair, 'b');
  assert.deepEqual(labelSet([['I-PER'], ['O'], ['B-PER']], true), ['O', 'B-PER', 'I-PER']);
});

test('bad input: unknown label, empty text, mismatched CoNLL columns → DataError with file and line', async () => {
  const train = await readClassificationFile(file('d.tsv', 'label\ttext\npos\tfine\nneg\tawful\n'), {
    format: 'tsv',
  });
  const dev = await readClassificationFile(file('e.tsv', 'label\ttext\npos\tok\nmeh\tso so\n'), {
    format: 'tsv',
  });
  assert.equal(dev[1].text, 'so so', 'a real `text` column is the text, not the label');
  assert.throws(
    () => checkLabels(dev, labelSet(train.map((e) => e.labels))),
    (e: unknown) =>
      e instanceof DataError &&
      e.line === 3 &&
      /e\.tsv:3: label 'meh' is not in the label set \(neg, pos\)/.test(e.message),
  );
  await assert.rejects(
    readClassificationFile(file('f.txt', 'fine@positive\n   @negative\n'), { format: 'txt' }),
    (e: unknown) => e instanceof DataError && /f\.txt:2: empty text/.test(e.message),
  );
  await assert.rejects(
    readNerFile(file('g.conll', 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-PER\n'), 'conll'),
    (e: unknown) => e instanceof DataError && /g\.conll:4: line has 3 columns, expected 4/.test(e.message),
  );
  await assert.rejects(
    readNerFile(file('h.bmes', '高 勇\tB-NAME\n'), 'bmes'),
    (e: unknown) => e instanceof DataError && /h\.bmes:1: 2 characters but 1 tags/.test(e.message),
  );
  await assert.rejects(readClassificationFile(join(dir, 'none.tsv'), { format: 'tsv' }), /LLMK_E_NOT_FOUND/);
});
