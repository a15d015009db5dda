import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { DataError } from './errors.js';
import { readLines } from './lines.js';
import { readBmesLines, readConll, readCsv, readJsonl, readParallel, readText } from './readers.js';

const dir = mkdtempSync(join(tmpdir(), 'llmk-readers-'));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
async function rejectsAt(
  it: AsyncIterable<unknown>,
  path: string,
  line: number,
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(collect(it), (err: unknown) => {
    assert.ok(err instanceof DataError, String(err));
    assert.equal(err.code, 'LLMK_E_DATA');
    assert.equal(err.file, path);
    assert.equal(err.line, line);
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(`${path}:${line}:`));
    return true;
  });
}

test('readLines: CRLF, BOM, no final newline, small chunks that split multi-byte characters', async () => {
  const path = file('crlf.txt', Buffer.from('\ufeffα line\r\nβγ 二\r\n\r\nlast', 'utf8'));
  const lines = await collect(readLines(path, { chunkBytes: 3 }));
  assert.deepEqual(lines, [
    { text: 'α line', line: 1 },
    { text: 'βγ 二', line: 2 },
    { text: '', line: 3 },
    { text: 'last', line: 4 },
  ]);
});

test('invalid UTF-8 is a DataError naming file, line and byte', async () => {
  const bad = Buffer.concat([
    Buffer.from('ok\nfine\nbad '),
    Buffer.from([0xc3, 0x28]),
    Buffer.from(' here\nafter\n'),
  ]);
  const path = file('bad.txt', bad);
  await rejectsAt(readLines(path), path, 3, /invalid UTF-8 at byte 5/);
  // Also when the bad byte sits in the unterminated last line.
  const tail = file('badtail.txt', Buffer.concat([Buffer.from('a\n'), Buffer.from([0xff])]));
  await rejectsAt(readLines(tail), tail, 2, /invalid UTF-8/);
});

test('a missing file is LLMK_E_NOT_FOUND naming the path', async () => {
  const path = join(dir, 'nope.jsonl');
  await assert.rejects(collect(readJsonl(path)), (err: unknown) => {
    assert.ok(err instanceof LlmkError);
    assert.equal(err.code, 'LLMK_E_NOT_FOUND');
    assert.ok(err.message.includes(path));
    return true;
  });
});

test('readJsonl: field selection with dotted paths, fields carried, broken line located', async () => {
  const path = file('docs.jsonl', '{"id":1,"meta":{"body":"hello"}}\n\n{"id":2,"meta":{"body":"world"}}\n');
  const docs = await collect(readJsonl(path, { field: 'meta.body' }));
  assert.deepEqual(
    docs.map((d) => [d.value.text, d.value.id, d.line]),
    [
      ['hello', 1, 1],
      ['world', 2, 3],
    ],
  );
  const broken = file('broken.jsonl', '{"text":"a"}\n{"text":"b"\n{"text":"c"}\n');
  await rejectsAt(readJsonl(broken), broken, 2, /invalid JSON/);
  const missing = file('missing.jsonl', '{"text":"a"}\n{"body":"b"}\n');
  await rejectsAt(readJsonl(missing), missing, 2, /field "text" is missing/);
  const notObject = file('array.jsonl', '[1,2]\n');
  await rejectsAt(readJsonl(notObject), notObject, 1, /not an object/);
});

test('readCsv: quotes, embedded newlines, column by name or index, ragged rows located', async () => {
  const path = file('a.csv', 'id,text,label\n1,"hello, ""world""",pos\n2,"two\nlines",neg\n');
  const docs = await collect(readCsv(path));
  assert.deepEqual(docs[0].value, { text: 'hello, "world"', id: '1', label: 'pos' });
  assert.deepEqual(docs[1], { value: { text: 'two\nlines', id: '2', label: 'neg' }, line: 3 });
  const byIndex = await collect(readCsv(path, { column: 2 }));
  assert.deepEqual(
    byIndex.map((d) => d.value.text),
    ['pos', 'neg'],
  );
  const ragged = file('ragged.csv', 'a,b\n1,2\n3,4,5\n');
  await rejectsAt(readCsv(ragged, { column: 'a' }), ragged, 3, /row has 3 fields, expected 2/);
  const unclosed = file('unclosed.csv', 'text\n"never closed\n');
  await rejectsAt(readCsv(unclosed), unclosed, 2, /never closed/);
});

test('readCsv on SST-2 (TSV with header) and Tatoeba (TSV without header)', async () => {
  const sst = await collect(readCsv('../shared/data/sst2/dev.tsv', { delimiter: '\t', column: 'content' }));
  assert.equal(sst.length, 872);
  assert.equal(sst[0].value.label, '0');
  assert.equal(sst[0].value.text, 'one long string of cliches .');
  const tatoeba = await collect(
    readCsv('../shared/data/tatoeba-cmn-eng/cmn.train.txt', { delimiter: '\t', header: false, column: 1 }),
  );
  assert.equal(tatoeba.length, 26156);
  assert.equal(typeof tatoeba[0].value.col0, 'string');
});

test('readConll and BMES readers give the published sentence counts', async () => {
  const conll = await collect(readConll('../shared/data/conll2003/eng.train'));
  assert.equal(conll.length, 14041); // CoNLL-2003 English train
  assert.deepEqual(conll[0].value.tokens.slice(0, 3), ['EU', 'rejects', 'German']);
  assert.deepEqual(conll[0].value.tags.slice(0, 3), ['B-ORG', 'O', 'B-MISC']);
  const weibo = await collect(readConll('../shared/data/weibo-ner/train.all.bmes'));
  assert.equal(weibo.length, 1350);
  const resume = await collect(readBmesLines('../shared/data/resume-ner/train.char.bmes'));
  assert.equal(resume.length, 3821);
  assert.equal(resume[0].value.tokens.join(''), '高勇：男，中国国籍，无境外居留权，');
  const raggedConll = file('bad.conll', 'EU NNP B-NP B-ORG\nrejects VBZ\n');
  await rejectsAt(readConll(raggedConll), raggedConll, 2, /2 columns, expected 4/);
  const badBmes = file('bad.bmes', '高 勇\tB-NAME\n');
  await rejectsAt(readBmesLines(badBmes), badBmes, 1, /2 characters but 1 tags/);
});

test('readParallel pairs Multi30k lines and reports unequal lengths', async () => {
  const pairs = await collect(
    readParallel('../shared/data/multi30k-en-de/val.en', '../shared/data/multi30k-en-de/val.de'),
  );
  assert.equal(pairs.length, 1014);
  const a = file('a.en', 'one\ntwo\nthree\n');
  const b = file('b.de', 'eins\nzwei\n');
  await rejectsAt(readParallel(a, b), b, 3, /different line counts/);
});

test('readText by line, paragraph and file', async () => {
  const path = file('t.txt', 'a\nb\n\n\nc\n');
  assert.deepEqual(
    (await collect(readText(path, 'line'))).map((d) => d.value.text),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    (await collect(readText(path, 'paragraph'))).map((d) => [d.value.text, d.line]),
    [
      ['a\nb', 1],
      ['c', 5],
    ],
  );
  assert.deepEqual(
    (await collect(readText(path, 'file'))).map((d) => d.value.text),
    ['a\nb\n\n\nc'],
  );
});
