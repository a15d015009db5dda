/**
 * Entity-level (span) precision, recall and F1 for sequence labelling, as seqeval computes them in
 * strict mode (`classification_report(..., mode='strict', scheme=IOB2)`, seqeval/scheme.py and
 * seqeval/metrics/v1.py): a predicted entity counts only if its type, start and end all match a
 * true entity, and only chunks that are well-formed under the tagging scheme are entities
 * (an I- without a B- starts nothing in IOB2; a B- without an E- ends nothing in IOBES).
 *
 * Schemes: IOB1, IOB2, IOE1, IOE2, IOBES (= BIOES), BILOU (L = E, U = S) and BMES (Chinese NER
 * corpora: M = I; seqeval has no BMES class, so it is IOBES with M read as I).
 */
import { check, LlmkError } from '../errors.js';

export type SpanScheme = 'IOB1' | 'IOB2' | 'IOE1' | 'IOE2' | 'IOBES' | 'BIOES' | 'BILOU' | 'BMES';

export interface Span {
  /** Index of the sentence in the corpus. */
  sentence: number;
  type: string;
  /** First token (inclusive). */
  start: number;
  /** One past the last token (exclusive), as seqeval. */
  end: number;
}

type Prefix = 'I' | 'O' | 'B' | 'E' | 'S';
type TagCond = 'same' | 'diff' | 'any';
/** [previous prefixes, current prefixes, tag condition] as in seqeval's pattern sets. */
type Pattern = readonly [string, string, TagCond];

interface Rules {
  allowed: string;
  start: readonly Pattern[];
  inside: readonly Pattern[];
  end: readonly Pattern[];
}

const ANY = 'IOBES';

/** seqeval/scheme.py pattern tables, transcribed (prefix sets written as strings of letters). */
const RULES: Record<'IOB1' | 'IOB2' | 'IOE1' | 'IOE2' | 'IOBES', Rules> = {
  IOB1: {
    allowed: 'IOB',
    start: [
      ['O', 'I', 'any'],
      ['I', 'I', 'diff'],
      ['B', 'I', 'any'],
      ['I', 'B', 'same'],
      ['B', 'B', 'same'],
    ],
    inside: [
      ['B', 'I', 'same'],
      ['I', 'I', 'same'],
    ],
    end: [
      ['I', 'I', 'diff'],
      ['I', 'O', 'any'],
      ['I', 'B', 'any'],
      ['B', 'O', 'any'],
      ['B', 'I', 'diff'],
      ['B', 'B', 'same'],
    ],
  },
  IOB2: {
    allowed: 'IOB',
    start: [[ANY, 'B', 'any']],
    inside: [
      ['B', 'I', 'same'],
      ['I', 'I', 'same'],
    ],
    end: [
      ['I', 'O', 'any'],
      ['I', 'I', 'diff'],
      ['I', 'B', 'any'],
      ['B', 'O', 'any'],
      ['B', 'I', 'diff'],
      ['B', 'B', 'any'],
    ],
  },
  IOE1: {
    allowed: 'IOE',
    start: [
      ['O', 'I', 'any'],
      ['I', 'I', 'diff'],
      ['E', 'I', 'any'],
      ['E', 'E', 'same'],
    ],
    inside: [
      ['I', 'I', 'same'],
      ['I', 'E', 'same'],
    ],
    end: [
      ['I', 'I', 'diff'],
      ['I', 'O', 'any'],
      ['I', 'E', 'diff'],
      ['E', 'I', 'same'],
      ['E', 'E', 'same'],
    ],
  },
  IOE2: {
    allowed: 'IOE',
    start: [
      ['O', 'I', 'any'],
      ['O', 'E', 'any'],
      ['E', 'I', 'any'],
      ['E', 'E', 'any'],
      ['I', 'I', 'diff'],
      ['I', 'E', 'diff'],
    ],
    inside: [
      ['I', 'E', 'same'],
      ['I', 'I', 'same'],
    ],
    end: [['E', ANY, 'any']],
  },
  IOBES: {
    allowed: 'IOBES',
    start: [
      [ANY, 'B', 'any'],
      [ANY, 'S', 'any'],
    ],
    inside: [
      ['B', 'I', 'same'],
      ['B', 'E', 'same'],
      ['I', 'I', 'same'],
      ['I', 'E', 'same'],
    ],
    end: [
      ['S', ANY, 'any'],
      ['E', ANY, 'any'],
    ],
  },
};

/** Prefix letters of the aliased schemes, mapped onto IOBES letters. */
const ALIASES: Record<string, Record<string, Prefix>> = {
  BILOU: { B: 'B', I: 'I', L: 'E', O: 'O', U: 'S' },
  BMES: { B: 'B', M: 'I', E: 'E', S: 'S', O: 'O' },
};

interface Tok {
  prefix: Prefix;
  tag: string;
}

function rulesFor(scheme: SpanScheme): Rules {
  if (scheme === 'BIOES' || scheme === 'BILOU' || scheme === 'BMES') return RULES.IOBES;
  const r = RULES[scheme];
  if (!r) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `unknown tagging scheme '${scheme as string}'`,
      'use IOB1, IOB2, IOE1, IOE2, IOBES (BIOES), BILOU or BMES',
    );
  }
  return r;
}

/** seqeval `Token`: prefix is the first character, type the rest with '-' stripped ('_' if none). */
function parseToken(token: string, scheme: SpanScheme, rules: Rules): Tok {
  const letter = token[0] ?? '';
  const alias = ALIASES[scheme];
  const prefix = alias ? alias[letter] : letter;
  if (prefix === undefined || !rules.allowed.includes(prefix) || prefix === '') {
    throw new LlmkError(
      'LLMK_E_DATA',
      `invalid tag '${token}' for scheme ${scheme}`,
      `${scheme} tags start with one of ${alias ? Object.keys(alias).join('') : rules.allowed}; is the scheme right?`,
    );
  }
  const tag = token.slice(1).replace(/^-+|-+$/g, '') || '_';
  return { prefix: prefix as Prefix, tag };
}

function matches(prev: Tok, cur: Tok, patterns: readonly Pattern[]): boolean {
  for (const [p, c, cond] of patterns) {
    if (!p.includes(prev.prefix) || !c.includes(cur.prefix)) continue;
    if (cond === 'any' || (cond === 'same') === (prev.tag === cur.tag)) return true;
  }
  return false;
}

/** seqeval `Tokens(tags, scheme).entities` for one sentence (strict chunking). */
export function extractSpans(tags: readonly string[], scheme: SpanScheme = 'IOB2', sentence = 0): Span[] {
  const rules = rulesFor(scheme);
  const outside: Tok = { prefix: 'O', tag: '_' };
  // seqeval appends an 'O' sentinel so that a chunk running to the end is closed.
  const toks = [...tags.map((t) => parseToken(t, scheme, rules)), outside];
  const spans: Span[] = [];
  let prev = outside;
  let i = 0;
  while (i < toks.length) {
    const tok = toks[i];
    if (matches(prev, tok, rules.start)) {
      let end = i + 1;
      let last = tok;
      while (end < toks.length && matches(last, toks[end], rules.inside)) last = toks[end++];
      if (matches(toks[end - 1], toks[end], rules.end))
        spans.push({ sentence, type: tok.tag, start: i, end });
      i = end;
    } else {
      i += 1;
    }
    prev = toks[i - 1];
  }
  return spans;
}

export interface SpanPrf {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true entities. */
  support: number;
}

export interface SpanReport {
  /** Entity types, sorted. */
  types: string[];
  perType: SpanPrf[];
  micro: SpanPrf;
  macro: SpanPrf;
  weighted: SpanPrf;
}

export interface SpanOptions {
  scheme?: SpanScheme;
  /** Value of 0/0 ratios; default 0 (seqeval's "warn"). */
  zeroDivision?: number;
}

function prf(tp: number, nPred: number, nTrue: number, zd: number): SpanPrf {
  const precision = nPred === 0 ? zd : tp / nPred;
  const recall = nTrue === 0 ? zd : tp / nTrue;
  const denom = precision + recall;
  return { precision, recall, f1: denom === 0 ? 0 : (2 * precision * recall) / denom, support: nTrue };
}

/**
 * Strict entity-level scores over a corpus of tagged sentences (seqeval strict mode): per type,
 * micro (pooled counts), macro (unweighted mean over types) and weighted (by true support).
 */
export function spanReport(
  yTrue: readonly (readonly string[])[],
  yPred: readonly (readonly string[])[],
  opts: SpanOptions = {},
): SpanReport {
  const scheme = opts.scheme ?? 'IOB2';
  const zd = opts.zeroDivision ?? 0;
  check(
    yTrue.length === yPred.length,
    'LLMK_E_DATA',
    () => `${yTrue.length} true sentences but ${yPred.length} predicted`,
    'pass one predicted tag sequence per sentence',
  );
  const key = (s: Span) => `${s.sentence}\u0000${s.start}\u0000${s.end}`;
  const trueByType = new Map<string, Set<string>>();
  const predByType = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, s: Span) => {
    if (!m.has(s.type)) m.set(s.type, new Set());
    m.get(s.type)!.add(key(s));
  };
  for (let i = 0; i < yTrue.length; i++) {
    check(
      yTrue[i].length === yPred[i].length,
      'LLMK_E_DATA',
      () => `sentence ${i}: ${yTrue[i].length} true tags but ${yPred[i].length} predicted`,
      'predictions must have one tag per token',
    );
    for (const s of extractSpans(yTrue[i], scheme, i)) add(trueByType, s);
    for (const s of extractSpans(yPred[i], scheme, i)) add(predByType, s);
  }
  const types = [...new Set([...trueByType.keys(), ...predByType.keys()])].sort();
  let tpAll = 0;
  let predAll = 0;
  let trueAll = 0;
  const perType = types.map((t) => {
    const tr = trueByType.get(t) ?? new Set<string>();
    const pr = predByType.get(t) ?? new Set<string>();
    let tp = 0;
    for (const k of pr) if (tr.has(k)) tp++;
    tpAll += tp;
    predAll += pr.size;
    trueAll += tr.size;
    return prf(tp, pr.size, tr.size, zd);
  });
  const mean = (k: 'precision' | 'recall' | 'f1', weighted: boolean) => {
    if (perType.length === 0) return zd;
    if (!weighted) return perType.reduce((a, s) => a + s[k], 0) / perType.length;
    return trueAll === 0 ? zd : perType.reduce((a, s) => a + s[k] * s.support, 0) / trueAll;
  };
  return {
    types,
    perType,
    micro: prf(tpAll, predAll, trueAll, zd),
    macro: {
      precision: mean('precision', false),
      recall: mean('recall', false),
      f1: mean('f1', false),
      support: trueAll,
    },
    weighted: {
      precision: mean('precision', true),
      recall: mean('recall', true),
      f1: mean('f1', true),
      support: trueAll,
    },
  };
}

/** Micro-averaged strict entity F1 (seqeval `f1_score(..., mode='strict', scheme=...)`). */
export function spanF1(
  yTrue: readonly (readonly string[])[],
  yPred: readonly (readonly string[])[],
  opts: SpanOptions = {},
): number {
  return spanReport(yTrue, yPred, opts).micro.f1;
}
