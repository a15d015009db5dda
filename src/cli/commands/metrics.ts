/**
 * `llmk metrics bleu|chrf|ter|rouge --hyp FILE --ref FILE [--ref FILE2 ...]`: corpus scores of a
 * line-aligned system output, with sacrebleu's and rouge-score's definitions (see src/eval/).
 */
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import {
  aggregateRouge,
  BLEU_TOKENIZERS,
  type BleuOptions,
  type BleuTokenizerName,
  bleuSignature,
  type ChrfOptions,
  checkRougeType,
  chrfName,
  corpusBleu,
  corpusChrf,
  corpusTer,
  formatBleu,
  meanRouge,
  pyFixed,
  readParallelText,
  rougeScoreMulti,
  SMOOTH_METHODS,
  type SmoothMethod,
} from '../../eval/index.js';
import { intFlag, numberFlag } from '../flags.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function refsOrThrow(refs: string[]): string[] {
  if (refs.length === 0) {
    throw new LlmkError(
      'LLMK_E_ARG',
      'no reference file given',
      'pass --ref FILE (repeat it for more references)',
    );
  }
  return refs;
}

function write(text: string): void {
  process.stdout.write(`${text}\n`);
}

interface CommonOpts {
  hyp: string;
  ref: string[];
  json?: boolean;
  width: number;
}

interface BleuCliOpts extends CommonOpts {
  tokenize: string;
  lowercase?: boolean;
  smoothMethod: string;
  smoothValue?: number;
  maxNgramOrder: number;
}

function runBleu(o: BleuCliOpts): void {
  if (!(BLEU_TOKENIZERS as readonly string[]).includes(o.tokenize)) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `unknown --tokenize '${o.tokenize}'`,
      `use one of ${BLEU_TOKENIZERS.join(', ')}`,
    );
  }
  if (!(SMOOTH_METHODS as readonly string[]).includes(o.smoothMethod)) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `unknown --smooth-method '${o.smoothMethod}'`,
      `use one of ${SMOOTH_METHODS.join(', ')}`,
    );
  }
  const { hyps, refStreams } = readParallelText(o.hyp, refsOrThrow(o.ref));
  const opts: BleuOptions = {
    tokenize: o.tokenize as BleuTokenizerName,
    lowercase: o.lowercase ?? false,
    smoothMethod: o.smoothMethod as SmoothMethod,
    maxNgramOrder: o.maxNgramOrder,
  };
  if (o.smoothValue !== undefined) opts.smoothValue = o.smoothValue;
  const s = corpusBleu(hyps, refStreams, opts);
  const signature = bleuSignature(opts, refStreams.length);
  const verbose = formatBleu(s, o.width).replace(/^BLEU = \S+ /, '');
  if (o.json) {
    write(
      JSON.stringify(
        {
          name: 'BLEU',
          score: s.score,
          signature,
          verbose_score: verbose,
          counts: s.counts,
          totals: s.totals,
          precisions: s.precisions,
          bp: s.bp,
          ratio: s.ratio,
          hyp_len: s.sysLen,
          ref_len: s.refLen,
          segments: hyps.length,
        },
        null,
        1,
      ),
    );
  } else {
    write(`BLEU|${signature} = ${pyFixed(s.score, o.width)} ${verbose}`);
  }
}

interface ChrfCliOpts extends CommonOpts {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase?: boolean;
  whitespace?: boolean;
  epsSmoothing?: boolean;
}

function runChrf(o: ChrfCliOpts): void {
  const { hyps, refStreams } = readParallelText(o.hyp, refsOrThrow(o.ref));
  const opts: ChrfOptions = {
    charOrder: o.charOrder,
    wordOrder: o.wordOrder,
    beta: o.beta,
    lowercase: o.lowercase ?? false,
    whitespace: o.whitespace ?? false,
    epsSmoothing: o.epsSmoothing ?? false,
  };
  const s = corpusChrf(hyps, refStreams, opts);
  const name = chrfName(s);
  const signature = [
    `nrefs:${refStreams.length}`,
    `case:${opts.lowercase ? 'lc' : 'mixed'}`,
    `eff:${opts.epsSmoothing ? 'no' : 'yes'}`,
    `nc:${s.charOrder}`,
    `nw:${s.wordOrder}`,
    `space:${opts.whitespace ? 'yes' : 'no'}`,
  ].join('|');
  if (o.json) {
    write(JSON.stringify({ name, score: s.score, signature, segments: hyps.length }, null, 1));
  } else {
    write(`${name}|${signature} = ${pyFixed(s.score, o.width)}`);
  }
}

interface TerCliOpts extends CommonOpts {
  normalized?: boolean;
  /** commander maps --no-punct to punct = false. */
  punct?: boolean;
  asianSupport?: boolean;
  caseSensitive?: boolean;
}

function runTer(o: TerCliOpts): void {
  const { hyps, refStreams } = readParallelText(o.hyp, refsOrThrow(o.ref));
  const s = corpusTer(hyps, refStreams, {
    normalized: o.normalized ?? false,
    noPunct: o.punct === false,
    asianSupport: o.asianSupport ?? false,
    caseSensitive: o.caseSensitive ?? false,
  });
  const signature = [
    `nrefs:${refStreams.length}`,
    `case:${o.caseSensitive ? 'cs' : 'lc'}`,
    'tok:tercom',
    `norm:${o.normalized ? 'yes' : 'no'}`,
    `punct:${o.punct === false ? 'no' : 'yes'}`,
    `asian:${o.asianSupport ? 'yes' : 'no'}`,
  ].join('|');
  if (o.json) {
    write(
      JSON.stringify(
        { name: 'TER', score: s.score, signature, num_edits: s.numEdits, ref_length: s.refLength },
        null,
        1,
      ),
    );
  } else {
    write(`TER|${signature} = ${pyFixed(s.score, o.width)}`);
  }
}

interface RougeCliOpts extends CommonOpts {
  types: string;
  stem?: boolean;
  sentenceSep?: string;
  bootstrap?: number;
  confidence: number;
  seed: number;
}

function runRouge(o: RougeCliOpts): void {
  const types = o.types.split(',').map((t) => t.trim());
  types.forEach(checkRougeType);
  const { hyps, refStreams } = readParallelText(o.hyp, refsOrThrow(o.ref));
  // One segment per line: rougeLsum's sentence breaks can be encoded with a separator such as '<n>'.
  const unsep = (s: string) => (o.sentenceSep ? s.split(o.sentenceSep).join('\n') : s);
  const scores = hyps.map((h, i) =>
    rougeScoreMulti(
      refStreams.map((r) => unsep(r[i])),
      unsep(h),
      types,
      { useStemmer: o.stem ?? false },
    ),
  );
  const mean = meanRouge(scores);
  const ci =
    o.bootstrap !== undefined
      ? aggregateRouge(scores, { nSamples: o.bootstrap, confidenceInterval: o.confidence, seed: o.seed })
      : undefined;
  if (o.json) {
    write(
      JSON.stringify(
        { name: 'ROUGE', stemmer: o.stem ?? false, segments: hyps.length, mean, bootstrap: ci },
        null,
        1,
      ),
    );
    return;
  }
  const f = (x: number) => pyFixed(100 * x, o.width);
  for (const t of types) {
    const m = mean[t];
    let line = `${t}: P = ${f(m.precision)} R = ${f(m.recall)} F = ${f(m.fmeasure)}`;
    if (ci) {
      const c = ci[t];
      line += ` (F ${Math.round(100 * o.confidence)}% CI ${f(c.low.fmeasure)}-${f(c.high.fmeasure)}, median ${f(c.mid.fmeasure)})`;
    }
    write(line);
  }
}

function addCommon(cmd: Command): Command {
  return cmd
    .requiredOption('--hyp <file>', 'system output, one segment per line')
    .option(
      '--ref <file>',
      'reference file, line-aligned with --hyp (repeat for more references)',
      collect,
      [],
    )
    .option('--json', 'print JSON')
    .option(
      '-w, --width <digits>',
      'decimals in the text output',
      intFlag('-w, --width', { min: 0, max: 10, example: 2 }),
      2,
    );
}

export function registerMetrics(program: Command): void {
  const metrics = program
    .command('metrics')
    .description(
      'Score a system output against references: BLEU, chrF and TER (sacrebleu), ROUGE (rouge-score).',
    );

  addCommon(metrics.command('bleu').description('corpus BLEU, sacrebleu-compatible'))
    .option('-t, --tokenize <name>', `tokenizer: ${BLEU_TOKENIZERS.join(', ')}`, '13a')
    .option('--lowercase', 'case-insensitive BLEU')
    .option('-s, --smooth-method <m>', `smoothing: ${SMOOTH_METHODS.join(', ')}`, 'exp')
    .option(
      '--smooth-value <v>',
      'value for floor (default 0.1) or add-k (default 1)',
      numberFlag('--smooth-value', { min: 0, example: 0.1 }),
    )
    .option(
      '--max-ngram-order <n>',
      'highest n-gram order',
      intFlag('--max-ngram-order', { min: 1, example: 4 }),
      4,
    )
    .action((o: BleuCliOpts) => runBleu(o));

  addCommon(
    metrics.command('chrf').description('corpus chrF / chrF++ (--word-order 2), sacrebleu-compatible'),
  )
    .option('--char-order <n>', 'character n-gram order', intFlag('--char-order', { min: 0, example: 6 }), 6)
    .option(
      '--word-order <n>',
      'word n-gram order (2 = chrF++)',
      intFlag('--word-order', { min: 0, example: 2 }),
      0,
    )
    .option('--beta <b>', 'recall weight', numberFlag('--beta', { min: 0, example: 2 }), 2)
    .option('--lowercase', 'case-insensitive')
    .option('--whitespace', 'keep whitespace in character n-grams')
    .option('--eps-smoothing', 'chrF++.py/NLTK/Moses epsilon smoothing')
    .action((o: ChrfCliOpts) => runChrf(o));

  addCommon(metrics.command('ter').description('corpus TER (lower is better), sacrebleu-compatible'))
    .option('--normalized', 'Tercom normalisation (punctuation tokenization, XML unescaping)')
    .option('--no-punct', 'remove punctuation')
    .option('--asian-support', 'with --normalized/--no-punct, split or drop CJK characters and punctuation')
    .option('--case-sensitive', 'do not lowercase')
    .action((o: TerCliOpts) => runTer(o));

  addCommon(metrics.command('rouge').description('mean ROUGE over segments, rouge-score-compatible'))
    .option('--types <list>', 'comma-separated: rouge1..rouge9, rougeL, rougeLsum', 'rouge1,rouge2,rougeL')
    .option('--stem', 'Porter-stem tokens longer than 3 characters (rouge-score use_stemmer)')
    .option('--sentence-sep <str>', "string marking sentence breaks for rougeLsum within a line, e.g. '<n>'")
    .option(
      '--bootstrap <n>',
      'bootstrap confidence intervals with n resamples',
      intFlag('--bootstrap', { min: 1, example: 1000 }),
    )
    .option(
      '--confidence <c>',
      'confidence level for --bootstrap',
      numberFlag('--confidence', { min: 0, minExclusive: true, max: 0.9999, example: 0.95 }),
      0.95,
    )
    .option('--seed <n>', 'seed for --bootstrap resampling', intFlag('--seed', { min: 0 }), 0)
    .action((o: RougeCliOpts) => runRouge(o));
}
