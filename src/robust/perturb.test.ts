import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../data/rng.js';
import { LlmkError } from '../errors.js';
import {
  ATTACKS,
  type AttackName,
  exampleRng,
  perturbText,
  perturbUnit,
  perturbUnits,
  unitsToChange,
} from './perturb.js';

const TEXT =
  'Operating profit rose to EUR 13.1 million from EUR 8.7 million in the corresponding period in 2007 , representing 7.7 % of net sales .';

/** Units (whitespace-separated words) that differ between two texts of the same word count. */
function diffWords(a: string, b: string): number {
  const x = a.split(/\s+/);
  const y = b.split(/\s+/);
  assert.equal(x.length, y.length, `word count kept: ${b}`);
  return x.filter((w, i) => w !== y[i]).length;
}

test('every attack is seeded (same seed, same text; another seed, another text) and respects the rate', () => {
  for (const attack of ATTACKS) {
    const a = perturbText(TEXT, attack, 0.2, new Rng(1));
    const b = perturbText(TEXT, attack, 0.2, new Rng(1));
    assert.equal(a.text, b.text, `${attack}: reproducible`);
    const others = [2, 3, 4, 5].map((s) => perturbText(TEXT, attack, 0.2, new Rng(s)).text);
    assert.ok(
      others.some((t) => t !== a.text),
      `${attack}: seeds matter`,
    );
    assert.notEqual(a.text, TEXT, attack);
    // Exactly round(rate · eligible) words change (at least one).
    assert.equal(a.changed, unitsToChange(0.2, a.eligible), attack);
    if (attack !== 'punct') assert.equal(diffWords(TEXT, a.text), a.changed, `${attack}: ${a.text}`);
    assert.equal(perturbText(TEXT, attack, 0, new Rng(1)).text, TEXT, `${attack}: rate 0 changes nothing`);
  }
  const all = perturbText(TEXT, 'typo', 1, new Rng(3));
  assert.equal(all.changed, all.eligible);
  assert.equal(unitsToChange(0.1, 25), 3);
  assert.equal(unitsToChange(0.01, 5), 1);
});

test('each attack does what it says', () => {
  const rng = new Rng(7);
  for (let i = 0; i < 50; i++) {
    // typo: one letter replaced by a QWERTY neighbour, length kept.
    const t = perturbUnit('profit', 'typo', rng) as string;
    assert.equal(t.length, 6);
    assert.equal([...t].filter((c, j) => c !== 'profit'[j]).length, 1, t);
    // charswap: swap (same letters), insertion (+1) or deletion (−1).
    const c = perturbUnit('profit', 'charswap', rng) as string;
    assert.ok(
      (c.length === 6 && [...c].sort().join() === [...'profit'].sort().join() && c !== 'profit') ||
        c.length === 7 ||
        c.length === 5,
      c,
    );
    // homoglyph: looks the same, is not (a Cyrillic letter or an invisible character).
    const h = perturbUnit('profit', 'homoglyph', rng) as string;
    assert.notEqual(h, 'profit');
    assert.equal(h.normalize('NFKC').replace(/[\u200b-\u200d]/g, '').length, 6);
    assert.ok(/[\u0400-\u04ff\u200b-\u200d]/.test(h), JSON.stringify(h));
    // punct: a mark before or after.
    const p = perturbUnit('profit', 'punct', rng) as string;
    assert.ok(p.includes('profit') && p.length > 6);
  }
  assert.equal(perturbUnit('Profit', 'synonym', rng), 'Earnings');
  assert.equal(perturbUnit('rose,', 'synonym', rng), 'climbed,');
  assert.equal(perturbUnit('xylophone', 'synonym', rng), null, 'no table entry: not eligible');
  assert.equal(perturbUnit('13.1', 'typo', rng), null, 'no letter: not eligible');
});

test('Chinese: similar-character substitution, invisible characters, Chinese punctuation', () => {
  const zh = '公司利润增长，股价上涨';
  const a = perturbText(zh, 'typo', 0.5, new Rng(1));
  assert.equal([...a.text].length, [...zh].length);
  assert.ok(a.changed >= 1 && a.eligible >= 4, `${a.text} (${a.eligible} eligible)`);
  const changed = [...a.text].filter((c, i) => c !== [...zh][i]);
  assert.equal(changed.length, a.changed);
  const h = perturbText(zh, 'homoglyph', 0.2, new Rng(1));
  assert.equal(h.text.replace(/[\u200b-\u200d]/g, ''), zh);
  assert.notEqual(h.text, zh);
});

test('NER words keep their positions; bad attacks and rates are typed errors', () => {
  const words = ['EU', 'rejects', 'German', 'call', 'to', 'boycott', 'British', 'lamb', '.'];
  const r = perturbUnits(words, 'charswap', 0.3, exampleRng(0, 4));
  assert.equal(r.units.length, words.length);
  assert.equal(r.changed.length, unitsToChange(0.3, r.eligible));
  assert.deepEqual(
    r.units.map((w, i) => (w === words[i] ? -1 : i)).filter((i) => i >= 0),
    r.changed,
  );
  for (const [attack, rate] of [
    ['nope', 0.1],
    ['typo', 1.5],
    ['typo', -0.1],
  ] as Array<[string, number]>)
    assert.throws(
      () => perturbText('x', attack as AttackName, rate, new Rng(1)),
      (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_ARG',
    );
});
