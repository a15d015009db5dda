/**
 * Our Porter stemmer against NLTK 3.8's PorterStemmer() (the stemmer rouge-score uses), on every
 * rouge-score token longer than 3 characters in TinyShakespeare (11,031 words) and Multi30k train
 * English (9,231 words). Fixture: scripts/golden/porter_golden.py. Stems must be identical.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { porterStem } from '../../src/eval/index.js';
import { REPO_ROOT, sharedDataPath } from './shared-data.js';

interface Summary {
  words: number;
  words_sha256: string;
  stems_sha256: string;
}
interface Golden {
  tinyshakespeare: Summary;
  multi30k_train_en: Summary;
  nltk_differs_from_martin: Record<string, string>;
}

const G = JSON.parse(readFileSync(`${REPO_ROOT}/test/golden/fixtures/porter-nltk.json`, 'utf8')) as Golden;
const sha = (lines: string[]) => createHash('sha256').update(lines.join('\n'), 'utf8').digest('hex');

/** The fixture script's vocabulary: distinct lowercase [a-z0-9]+ runs longer than 3, sorted by code point. */
function vocabulary(path: string): string[] {
  const words = new Set(
    readFileSync(path, 'utf8')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 3),
  );
  return [...words].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

test('NLTK-specific stems (where NLTK departs from Martin Porter) match word by word', () => {
  const entries = Object.entries(G.nltk_differs_from_martin);
  assert.ok(entries.length > 100, 'fixture holds the NLTK-extension cases');
  for (const [word, stem] of entries) assert.equal(porterStem(word), stem, word);
});

test('all TinyShakespeare and Multi30k train vocabulary stems equal NLTK', () => {
  for (const [summary, path] of [
    [G.tinyshakespeare, sharedDataPath('tinyshakespeare', 'input.txt')],
    [G.multi30k_train_en, sharedDataPath('multi30k-en-de', 'train.en')],
  ] as const) {
    const words = vocabulary(path);
    assert.equal(words.length, summary.words, `${path} vocabulary size`);
    assert.equal(sha(words), summary.words_sha256, `${path} vocabulary`);
    assert.equal(sha(words.map(porterStem)), summary.stems_sha256, `${path} stems`);
  }
});
