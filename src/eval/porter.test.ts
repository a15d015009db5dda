import assert from 'node:assert/strict';
import { test } from 'node:test';
import { porterStem } from './porter.js';

// Expected stems printed by NLTK 3.8's PorterStemmer() (Debian python3-nltk), covering each step
// of Porter's paper and each NLTK extension (pool, 4-letter 'ies', 'ied', y->i after a consonant).
const CASES: [string, string][] = [
  ['caresses', 'caress'],
  ['ponies', 'poni'],
  ['ties', 'tie'],
  ['cats', 'cat'],
  ['feed', 'feed'],
  ['agreed', 'agre'],
  ['plastered', 'plaster'],
  ['motoring', 'motor'],
  ['sing', 'sing'],
  ['conflated', 'conflat'],
  ['troubled', 'troubl'],
  ['sized', 'size'],
  ['hopping', 'hop'],
  ['falling', 'fall'],
  ['hissing', 'hiss'],
  ['filing', 'file'],
  ['happy', 'happi'],
  ['enjoy', 'enjoy'],
  ['relational', 'relat'],
  ['conditional', 'condit'],
  ['generously', 'gener'],
  ['hopefulness', 'hope'],
  ['formalize', 'formal'],
  ['electrical', 'electr'],
  ['revival', 'reviv'],
  ['adoption', 'adopt'],
  ['controll', 'control'],
  ['roll', 'roll'],
  ['dying', 'die'],
  ['skies', 'sky'],
  ['news', 'news'],
  ['spied', 'spi'],
  ['cried', 'cri'],
  ['analogi', 'analog'],
  ['fully', 'fulli'],
  ['running', 'run'],
  ['ab', 'ab'],
  ['a', 'a'],
];

test('porterStem matches NLTK PorterStemmer (NLTK_EXTENSIONS) on every rule', () => {
  for (const [word, stem] of CASES) assert.equal(porterStem(word), stem, word);
});
