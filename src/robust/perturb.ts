/**
 * Seeded character- and word-level text perturbations for robustness evaluation, in the spirit of
 * TextAttack's transformations (Morris et al. 2020) and the noise families of Belinkov & Bisk 2018
 * ("Synthetic and natural noise both break neural machine translation": swaps, keyboard typos) and
 * Boucher et al. 2022 ("Bad Characters": homoglyphs and invisible characters).
 *
 * A text is split into units: whitespace-separated words, or single Han characters in Chinese text.
 * `round(rate · eligible units)` of them (at least one when rate > 0 and any is eligible) are chosen
 * by a seeded shuffle and each is changed once, so the rate is exact and the result reproducible.
 */
import { Rng } from '../data/rng.js';
import { LlmkError } from '../errors.js';

export type AttackName = 'typo' | 'charswap' | 'synonym' | 'homoglyph' | 'punct';
export const ATTACKS: readonly AttackName[] = ['typo', 'charswap', 'synonym', 'homoglyph', 'punct'];

/** 'key:value key:value …' → a record (keeps the tables compact and greppable). */
function table(spec: string): Record<string, string> {
  return Object.fromEntries(
    spec
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split(':') as [string, string]),
  );
}

/** 'aAbB…' (one key character then one value character) → a record. */
function pairTable(spec: string): Record<string, string> {
  const c = [...spec];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < c.length; i += 2) out[c[i]] = c[i + 1];
  return out;
}

/** QWERTY neighbours (Belinkov & Bisk's "Key" noise). */
const KEYBOARD: Record<string, string> = table(
  'q:wa w:qes e:wrd r:etf t:ryg y:tuh u:yij i:uok o:ipl p:ol a:qsz s:awdz d:sefx f:drgc ' +
    'g:fthv h:gyjb j:hukn k:jilm l:kop z:asx x:zsdc c:xdfv v:cfgb b:vghn n:bhjm m:njk ',
);

/** Latin letters and their Cyrillic/Greek look-alikes (Unicode confusables.txt). */
const HOMOGLYPHS: Record<string, string> = pairTable(
  'a\u0430c\u0441e\u0435i\u0456j\u0458o\u043ep\u0440s\u0455x\u0445y\u0443A\u0410B\u0412' +
    'C\u0421E\u0415H\u041dI\u0406K\u041aM\u041cN\u039dO\u041eP\u0420T\u0422X\u0425Y\u03a5',
);

/** Invisible characters: zero-width space, non-joiner, joiner. */
const ZERO_WIDTH = ['\u200b', '\u200c', '\u200d'];

/**
 * Visually similar Chinese characters (形近字), a small built-in table; each pair is used both ways.
 */
const SIMILAR_HAN = (
  '己已 未末 人入 日曰 土士 干千 大太 天夫 王玉 白百 午牛 贝见 买卖 象像 候侯 即既 拔拨 辩辨 情晴 请清 复夏 在再 做作 他她 进近 刀力 ' +
  '田由 甲申 鸟乌 今令 洗冼 戍戌 本木 公分 司同 股殷 涨张 场汤 利列 润闰 银很 市巿 员圆 部陪 业亚 元无 万方 年午 收牧 经径 增赠 降峰'
)
  .trim()
  .split(/\s+/);
const HAN_TABLE: Map<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [a, b] of SIMILAR_HAN.map((p) => [...p])) {
    if (!m.has(a)) m.set(a, b);
    if (!m.has(b)) m.set(b, a);
  }
  return m;
})();

/** A small built-in English synonym table (WordNet-style near synonyms; no external embeddings). */
const SYNONYMS: Record<string, string> = table(
  'good:fine great:excellent bad:poor poor:weak big:large large:big small:little little:small ' +
    'increase:rise increased:rose decrease:decline decreased:declined rise:increase ' +
    'rose:climbed fall:drop fell:dropped drop:fall grew:expanded growth:expansion ' +
    'profit:earnings profits:earnings loss:deficit losses:deficits sales:revenue revenue:sales ' +
    'company:firm companies:firms firm:company strong:robust weak:soft higher:greater ' +
    'lower:smaller high:elevated low:reduced happy:glad sad:unhappy movie:film film:movie ' +
    'buy:purchase bought:purchased sell:vend sold:vended said:stated says:states new:novel ' +
    'old:former quick:fast fast:rapid slow:sluggish start:begin started:began end:finish ' +
    'ended:finished help:aid make:create made:created show:display showed:displayed ' +
    'very:extremely really:truly boring:dull funny:amusing terrible:awful awful:dreadful ' +
    'excellent:superb love:adore hate:detest like:enjoy best:finest worst:poorest million:mn ' +
    'percent:pct quarter:period year:twelvemonth expected:anticipated ',
);

const PUNCT = [',', '.', '!', '?', ';', ':', "'", '"', '-', '...'];
const HAN_PUNCT = ['，', '。', '！', '？', '、', '；'];

const HAN = /\p{Script=Han}/u;
const LETTER = /\p{L}/u;

/** Whether `text` is treated as Chinese (units are characters): any Han character and few spaces. */
function isHanText(text: string): boolean {
  return HAN.test(text) && (text.match(/\s/g)?.length ?? 0) * 4 < [...text].length;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.nextInt(xs.length)];
}

function keepCase(original: string, replacement: string): string {
  return original[0] === original[0].toUpperCase() && original[0] !== original[0].toLowerCase()
    ? replacement[0].toUpperCase() + replacement.slice(1)
    : replacement;
}

/** Character positions of letters in `chars`. */
function letterPositions(chars: readonly string[]): number[] {
  const out: number[] = [];
  chars.forEach((c, i) => {
    if (LETTER.test(c)) out.push(i);
  });
  return out;
}

/**
 * Changes one unit (a word, or one Han character) with `attack`, or returns null when the attack
 * does not apply to it (no letter, no table entry).
 */
export function perturbUnit(unit: string, attack: AttackName, rng: Rng): string | null {
  const chars = [...unit];
  if (chars.length === 1 && HAN.test(unit)) {
    switch (attack) {
      case 'typo':
      case 'charswap':
      case 'synonym':
        return HAN_TABLE.get(unit) ?? null;
      case 'homoglyph':
        return unit + pick(rng, ZERO_WIDTH);
      case 'punct':
        return unit + pick(rng, HAN_PUNCT);
    }
  }
  const letters = letterPositions(chars);
  if (letters.length === 0) return null;
  switch (attack) {
    case 'typo': {
      const typable = letters.filter((i) => KEYBOARD[chars[i].toLowerCase()] !== undefined);
      if (typable.length === 0) return null;
      const i = pick(rng, typable);
      const c = chars[i];
      const n = pick(rng, [...KEYBOARD[c.toLowerCase()]]);
      chars[i] = c === c.toLowerCase() ? n : n.toUpperCase();
      return chars.join('');
    }
    case 'charswap': {
      // One of: swap two adjacent letters, insert a letter, delete a letter (TextAttack's
      // WordSwapNeighboringCharacterSwap / RandomCharacterInsertion / RandomCharacterDeletion).
      const pairs = letters.filter((i) => letters.includes(i + 1) && chars[i] !== chars[i + 1]);
      const ops = [
        ...(pairs.length > 0 ? ['swap'] : []),
        'insert',
        ...(letters.length > 1 ? ['delete'] : []),
      ];
      const op = pick(rng, ops);
      if (op === 'swap') {
        const i = pick(rng, pairs);
        [chars[i], chars[i + 1]] = [chars[i + 1], chars[i]];
      } else if (op === 'insert') {
        chars.splice(pick(rng, letters) + 1, 0, String.fromCharCode(97 + rng.nextInt(26)));
      } else {
        chars.splice(pick(rng, letters), 1);
      }
      return chars.join('');
    }
    case 'synonym': {
      const m = /^(\p{L}+)(.*)$/su.exec(unit);
      if (!m) return null;
      const syn = SYNONYMS[m[1].toLowerCase()];
      return syn === undefined ? null : keepCase(m[1], syn) + m[2];
    }
    case 'homoglyph': {
      const glyphs = letters.filter((i) => HOMOGLYPHS[chars[i]] !== undefined);
      // Half the time (or when no letter has a look-alike) an invisible character goes inside the word.
      if (glyphs.length === 0 || rng.nextInt(2) === 0) {
        chars.splice(1 + rng.nextInt(Math.max(1, chars.length - 1)), 0, pick(rng, ZERO_WIDTH));
        return chars.join('');
      }
      const i = pick(rng, glyphs);
      chars[i] = HOMOGLYPHS[chars[i]];
      return chars.join('');
    }
    case 'punct':
      return rng.nextInt(2) === 0 ? unit + pick(rng, PUNCT) : pick(rng, PUNCT) + unit;
  }
}

export interface PerturbResult {
  /** The perturbed units (words), same count as the input. */
  units: string[];
  /** Indices of the units changed. */
  changed: number[];
  /** Units the attack could apply to. */
  eligible: number;
}

/** How many of `eligible` units a rate changes: round(rate·n), at least one when rate > 0. */
export function unitsToChange(rate: number, eligible: number): number {
  if (rate <= 0 || eligible === 0) return 0;
  return Math.min(eligible, Math.max(1, Math.round(rate * eligible)));
}

/** Perturbs a list of words (NER tokens keep their positions, so tags stay aligned). */
export function perturbUnits(
  units: readonly string[],
  attack: AttackName,
  rate: number,
  rng: Rng,
): PerturbResult {
  checkAttack(attack, rate);
  // Decide eligibility with a throwaway rng so the chosen set does not depend on trial draws.
  const probe = new Rng(1);
  const eligible = units.map((_, i) => i).filter((i) => perturbUnit(units[i], attack, probe) !== null);
  const k = unitsToChange(rate, eligible.length);
  // Partial Fisher–Yates: the first k of a seeded shuffle.
  const order = [...eligible];
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(order.length - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const chosen = order.slice(0, k).sort((a, b) => a - b);
  const out = [...units];
  for (const i of chosen) out[i] = perturbUnit(units[i], attack, rng) ?? units[i];
  return { units: out, changed: chosen, eligible: eligible.length };
}

/** Perturbs a text: words (split on whitespace, which is kept) or, in Chinese text, characters. */
export function perturbText(
  text: string,
  attack: AttackName,
  rate: number,
  rng: Rng,
): { text: string; changed: number; eligible: number } {
  const parts = isHanText(text) ? [...text] : text.split(/(\s+)/);
  const unitIdx = parts.map((_, i) => i).filter((i) => parts[i] !== '' && !/^\s+$/.test(parts[i]));
  const r = perturbUnits(
    unitIdx.map((i) => parts[i]),
    attack,
    rate,
    rng,
  );
  unitIdx.forEach((p, j) => {
    parts[p] = r.units[j];
  });
  return { text: parts.join(''), changed: r.changed.length, eligible: r.eligible };
}

/** The rng for example `index` of a dataset under `seed`: examples are perturbed independently. */
export function exampleRng(seed: number, index: number): Rng {
  return new Rng(((seed >>> 0) * 1000003 + index * 7919 + 1) >>> 0);
}

export function checkAttack(attack: string, rate: number): asserts attack is AttackName {
  if (!ATTACKS.includes(attack as AttackName))
    throw new LlmkError('LLMK_E_ARG', `unknown attack '${attack}'`, `use one of ${ATTACKS.join(', ')}`);
  if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1))
    throw new LlmkError('LLMK_E_ARG', `attack rate ${rate} must be in [0, 1]`, 'e.g. --attack-rate 0.1');
}
