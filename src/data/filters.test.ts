import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gopherQuality, gopherRepetition } from './filters.js';
import { tokenizeWords } from './words.js';

// A 60-word English paragraph that passes every Gopher rule.
const GOOD =
  'The committee met on Tuesday to discuss the budget for the coming year. Members agreed that the ' +
  'library needs new computers, and that the park should have better lighting. After a long debate, ' +
  'they voted to increase funding for both projects. The mayor thanked everyone for their work and ' +
  'promised to publish the final numbers with the minutes of the meeting next week.';

test('word splitting: punctuation split off, CJK characters are words', () => {
  assert.deepEqual(tokenizeWords("Don't stop, e.g. now!"), ["Don't", 'stop', ',', 'e.g', '.', 'now', '!']);
  assert.deepEqual(tokenizeWords('我爱北京 GPT-4 模型。'), [
    '我',
    '爱',
    '北',
    '京',
    'GPT-4',
    '模',
    '型',
    '。',
  ]);
});

test('gopher quality: a good document passes; each rule rejects its crafted case', () => {
  assert.equal(gopherQuality(GOOD), null);
  assert.equal(gopherQuality('Too short to be a document.'), 'gopher_short_doc');
  assert.equal(gopherQuality(GOOD, { maxWords: 20 }), 'gopher_long_doc');
  assert.equal(
    gopherQuality(`${'a an to of it is as by '.repeat(10)}the and`),
    'gopher_below_avg_word_length',
  );
  assert.equal(
    gopherQuality(`${'incomprehensibilities internationalization '.repeat(30)}the and`),
    'gopher_above_avg_word_length',
  );
  assert.equal(gopherQuality(`${GOOD} ${'#tag '.repeat(10)}`), 'gopher_too_many_hashes');
  assert.equal(gopherQuality(`${GOOD} ${'wait... '.repeat(10)}`), 'gopher_too_many_ellipsis');
  const bullets = Array.from(
    { length: 20 },
    (_, i) => `• item number ${i} of the shopping list with the bread`,
  ).join('\n');
  assert.equal(gopherQuality(bullets), 'gopher_too_many_bullets');
  const trailing = `${GOOD}\n${Array.from({ length: 5 }, () => 'and then the story goes on...').join('\n')}`;
  assert.equal(gopherQuality(trailing), 'gopher_too_many_end_ellipsis');
  const numbers = `${GOOD} ${Array.from({ length: 60 }, (_, i) => String(1000 + i)).join(' ')}`;
  assert.equal(gopherQuality(numbers), 'gopher_below_alpha_threshold');
  assert.equal(
    gopherQuality(GOOD.replace(/\b(the|and|to|that|with|of|have|be)\b/gi, 'a')),
    'gopher_enough_stop_words',
  );
});

test('gopher quality is CJK-aware: characters count as words, no mean-length rule, Chinese stop words', () => {
  const zh =
    '今天上午，市政府召开新闻发布会，介绍了今年城市建设的主要成果。发言人表示，新建的图书馆和公园已经向市民开放，' +
    '地铁三号线也在年底前通车。他说，这些项目的完成离不开全体建设者的努力。';
  assert.equal(gopherQuality(zh), null);
  assert.equal(gopherQuality('今天天气很好。'), 'gopher_short_doc'); // 6 characters
  assert.equal(
    gopherQuality(zh.replace(/[的了是在和有不这也就都我你他她们个上中到]/g, '某')),
    'gopher_enough_stop_words',
  );
});

test('gopher repetition: duplicate lines, paragraphs and n-grams are caught; varied text passes', () => {
  assert.equal(gopherRepetition(GOOD), null);
  const lines = ['first line here', 'buy now', 'buy now', 'buy now', 'another different line'].join('\n');
  assert.equal(gopherRepetition(lines), 'dup_line_frac');
  const paras = [GOOD, 'Other words entirely here.', GOOD].join('\n\n');
  assert.equal(gopherRepetition(paras), 'dup_para_frac');
  const paraChars = [GOOD, 'One.', 'Two.', 'Three.', 'Four.', GOOD].join('\n\n');
  assert.equal(gopherRepetition(paraChars), 'dup_para_char_frac');
  const top2 = `${GOOD} ${'click here '.repeat(12)}`;
  assert.equal(gopherRepetition(top2), 'top_2_gram');
  const dup5 = `${GOOD} the library needs new computers and the park should have better lighting the library needs new computers and more`;
  assert.equal(gopherRepetition(dup5, { topNGrams: [] }), 'duplicated_5_n_grams');
  assert.equal(gopherRepetition(dup5, { topNGrams: [], dupNGrams: [] }), null);
});
