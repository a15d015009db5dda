/**
 * `llmk data import|clean|filter|dedup|mask|pack|run`: thin shells over src/data. Each stage reads
 * JSONL (a `text` field, other fields carried), writes JSONL under a temporary name renamed on
 * success, refuses to overwrite without --force, and prints its JSON report on stdout.
 */
import type { Command } from 'commander';
import {
  CleanStage,
  DedupStage,
  type Doc,
  type DocStage,
  FilterStage,
  fileSize,
  JsonlWriter,
  type Located,
  loadPipelineConfig,
  MaskStage,
  PII_TYPES,
  type PiiType,
  packJsonl,
  readBmesLines,
  readConll,
  readCsv,
  readJsonl,
  readParallel,
  readText,
  runPipeline,
  runStages,
  sentenceToDoc,
  type TextUnit,
} from '../../data/index.js';
import { ByteProgress } from '../../data/progress.js';
import { LlmkError } from '../../errors.js';
import { checkInputFile, checkOutput, writeOutputFile } from '../../formats/output.js';
import type { ProgressMode } from '../../track/progress.js';
import { enumFlag, intFlag, numberFlag } from '../flags.js';

interface CommonOptions {
  output: string;
  force?: boolean;
  field?: string;
  report?: string;
  progress: ProgressMode;
}

function emitReport(report: unknown, path: string | undefined, force: boolean | undefined): void {
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (path) writeOutputFile({ path, force, flag: '--report' }, text);
  process.stdout.write(text);
}

/** Checks --report before the stage runs, so a refusal costs nothing. */
function checkReport(path: string | undefined, force: boolean | undefined, inputs: string[]): void {
  checkInputFile(inputs[0], 'INPUT');
  if (path) checkOutput({ path, kind: 'file', force, flag: '--report', inputs });
}

function common(cmd: Command): Command {
  return cmd
    .requiredOption('-o, --output <path>', 'output path')
    .option('-f, --force', 'overwrite an existing output')
    .option('--field <path>', 'dotted path of the text field in the input JSONL', 'text')
    .option('--report <path>', 'also write the JSON report to this file')
    .option('--progress <mode>', 'progress display: bar, json or quiet', 'bar');
}

async function runStage(input: string, stage: DocStage, opts: CommonOptions): Promise<void> {
  checkReport(opts.report, opts.force, [input, opts.output]);
  const report = await runStages([stage], {
    input,
    output: opts.output,
    field: opts.field,
    force: opts.force,
    progress: opts.progress,
  });
  emitReport(report, opts.report, opts.force);
}

type ImportFormat = 'txt' | 'jsonl' | 'csv' | 'tsv' | 'conll' | 'bmes' | 'bmes-lines' | 'parallel';

interface ImportOptions extends CommonOptions {
  format: ImportFormat;
  unit: TextUnit;
  column?: string;
  header: boolean;
  target?: string;
  joiner?: string;
}

function importSource(
  input: string,
  o: ImportOptions,
  onBytes: (b: number) => void,
): AsyncGenerator<Located<Doc>> {
  const column = o.column === undefined ? undefined : /^\d+$/.test(o.column) ? Number(o.column) : o.column;
  switch (o.format) {
    case 'txt':
      return readText(input, o.unit, { onBytes });
    case 'jsonl':
      return readJsonl(input, { field: o.field, onBytes });
    case 'csv':
    case 'tsv':
      return readCsv(input, {
        delimiter: o.format === 'tsv' ? '\t' : ',',
        header: o.header,
        column,
        onBytes,
      });
    case 'conll':
    case 'bmes':
    case 'bmes-lines': {
      const joiner = o.joiner ?? (o.format === 'conll' ? ' ' : '');
      const source =
        o.format === 'bmes-lines' ? readBmesLines(input, { onBytes }) : readConll(input, { onBytes });
      return (async function* () {
        for await (const { value, line } of source) yield { value: sentenceToDoc(value, joiner), line };
      })();
    }
    case 'parallel': {
      const target = o.target;
      if (!target)
        throw new LlmkError('LLMK_E_ARG', '--format parallel needs --target <path> (the aligned file)');
      return (async function* () {
        for await (const { value, line } of readParallel(input, target, { onBytes }))
          yield {
            value: { text: `${value.source}\n${value.target}`, source: value.source, target: value.target },
            line,
          };
      })();
    }
    default:
      throw new LlmkError(
        'LLMK_E_ARG',
        `unknown --format ${JSON.stringify(o.format)}`,
        'use txt, jsonl, csv, tsv, conll, bmes, bmes-lines or parallel',
      );
  }
}

export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description('Prepare training data: import, clean, filter, dedup, mask PII, pack into token shards.');

  common(data.command('import <input>'))
    .description('Convert txt/jsonl/csv/tsv/CoNLL/BMES/parallel text into JSONL documents.')
    .requiredOption(
      '--format <format>',
      'txt, jsonl, csv, tsv, conll, bmes (char-per-line), bmes-lines (Resume NER) or parallel',
    )
    .option('--unit <unit>', 'txt: one document per line, paragraph or file', 'line')
    .option('--column <name|index>', 'csv/tsv: the text column (header name or 0-based index)')
    .option('--no-header', 'csv/tsv: the first row is data, not column names')
    .option('--target <path>', 'parallel: the line-aligned target-language file')
    .option('--joiner <s>', 'conll/bmes: string between tokens (default: space for conll, none for bmes)')
    .action(async (input: string, o: ImportOptions) => {
      checkReport(o.report, o.force, [input, o.output]);
      const total = await fileSize(input);
      const writer = new JsonlWriter(o.output, o.force ?? false, [input, o.target]);
      const progress = new ByteProgress('import', total, o.progress);
      let bytes = 0;
      try {
        for await (const { value } of importSource(input, o, (b) => (bytes = b))) {
          writer.write(value);
          if ((writer.count & 255) === 0) progress.update(bytes);
        }
        writer.close();
      } catch (err) {
        writer.abort();
        throw err;
      }
      progress.finish();
      emitReport(
        {
          stage: 'import',
          input,
          output: o.output,
          format: o.format,
          docsOut: writer.count,
          bytesOut: writer.bytes,
        },
        o.report,
        o.force,
      );
    });

  common(data.command('clean <input>'))
    .description('Unicode NFKC, control/zero-width characters, HTML, whitespace; optional lowercasing.')
    .option('--lowercase', 'lowercase the text')
    .option('--no-html', 'keep HTML tags and entities')
    .option('--no-nfkc', 'skip Unicode NFKC normalisation')
    .action((input: string, o: CommonOptions & { lowercase?: boolean; html: boolean; nfkc: boolean }) =>
      runStage(input, new CleanStage({ lowercase: o.lowercase ?? false, html: o.html, nfkc: o.nfkc }), o),
    );

  common(data.command('filter <input>'))
    .description('Gopher quality and repetition filters (DataTrove defaults), CJK-aware.')
    .option(
      '--min-words <n>',
      'minimum words (CJK: characters)',
      intFlag('--min-words', { min: 0, example: 50 }),
      50,
    )
    .option('--max-words <n>', 'maximum words', intFlag('--max-words', { min: 1, example: 100000 }), 100000)
    .option(
      '--min-stop-words <n>',
      'minimum stop words',
      intFlag('--min-stop-words', { min: 0, example: 2 }),
      2,
    )
    .option('--no-quality', 'skip the quality rules')
    .option('--no-repetition', 'skip the repetition rules')
    .action(
      (
        input: string,
        o: CommonOptions & {
          minWords: number;
          maxWords: number;
          minStopWords: number;
          quality: boolean;
          repetition: boolean;
        },
      ) =>
        runStage(
          input,
          new FilterStage({
            quality: o.quality
              ? { minWords: o.minWords, maxWords: o.maxWords, minStopWords: o.minStopWords }
              : false,
            repetition: o.repetition ? {} : false,
          }),
          o,
        ),
    );

  common(data.command('dedup <input>'))
    .description(
      'Exact (normalised hash) and near-duplicate (MinHash-LSH) removal; keeps the first of each cluster.',
    )
    .option('--no-exact', 'skip exact dedup')
    .option('--no-minhash', 'skip near-duplicate dedup')
    .option('--ngram <n>', 'words per shingle', intFlag('--ngram', { min: 1, example: 5 }), 5)
    .option('--bands <n>', 'LSH bands', intFlag('--bands', { min: 1, example: 14 }), 14)
    .option('--rows <n>', 'rows (hashes) per band', intFlag('--rows', { min: 1, example: 8 }), 8)
    .option('--seed <n>', 'hash seed', intFlag('--seed', { min: 0 }), 1)
    .option('--clusters <path>', 'write every duplicate cluster (input line numbers) as JSONL')
    .action(
      async (
        input: string,
        o: CommonOptions & {
          exact: boolean;
          minhash: boolean;
          ngram: number;
          bands: number;
          rows: number;
          seed: number;
          clusters?: string;
        },
      ) => {
        checkReport(o.report, o.force, [input, o.output]);
        if (o.clusters)
          checkOutput({
            path: o.clusters,
            kind: 'file',
            force: o.force,
            flag: '--clusters',
            inputs: [input, o.output],
          });
        const stage = new DedupStage({
          exact: o.exact,
          minhash: o.minhash ? { ngram: o.ngram, bands: o.bands, rows: o.rows, seed: o.seed } : false,
        });
        const report = await runStages([stage], {
          input,
          output: o.output,
          field: o.field,
          force: o.force,
          progress: o.progress,
        });
        if (o.clusters) {
          const w = new JsonlWriter(o.clusters, o.force ?? false, [input]);
          stage.clusters().forEach((c, i) => {
            w.write({ cluster: i, size: c.members.length, lines: c.lines });
          });
          w.close();
        }
        emitReport(report, o.report, o.force);
      },
    );

  common(data.command('mask <input>'))
    .description(
      'Replace PII with typed placeholders (<EMAIL>, <PHONE>, <CREDIT_CARD>, <IBAN>, <CN_ID>, <IPV4>, <IPV6>, <URL_CREDENTIALS>).',
    )
    .option('--types <list>', `comma-separated subset of ${PII_TYPES.join(',')}`)
    .action((input: string, o: CommonOptions & { types?: string }) => {
      const types = o.types?.split(',').map((t) => t.trim().toUpperCase());
      const bad = types?.filter((t) => !PII_TYPES.includes(t as PiiType));
      if (bad && bad.length > 0)
        throw new LlmkError(
          'LLMK_E_ARG',
          `unknown PII type(s) ${bad.join(', ')}`,
          `choose from ${PII_TYPES.join(', ')}`,
        );
      return runStage(input, new MaskStage({ types: types as PiiType[] | undefined }), o);
    });

  common(data.command('pack <input>'))
    .description(
      'Tokenise JSONL into token shards (train/val split, EOS after each document); --output is a directory.',
    )
    .option(
      '--tokenizer <kind>',
      'byte (UTF-8 bytes, vocab 257) or char (characters of the corpus)',
      enumFlag('--tokenizer', ['byte', 'char'] as const),
      'byte',
    )
    .option(
      '--val-fraction <x>',
      'fraction of documents for validation',
      numberFlag('--val-fraction', { min: 0, max: 0.99, example: 0.05 }),
      0.05,
    )
    .option('--seed <n>', 'seed of the train/validation draw', intFlag('--seed', { min: 0 }), 0)
    .option(
      '--shard-tokens <n>',
      'tokens per shard file',
      intFlag('--shard-tokens', { min: 1, example: 100_000_000 }),
      100_000_000,
    )
    .action(
      async (
        input: string,
        o: CommonOptions & {
          tokenizer: 'byte' | 'char';
          valFraction: number;
          seed: number;
          shardTokens: number;
        },
      ) => {
        checkReport(o.report, o.force, [input, o.output]);
        const report = await packJsonl(input, o.output, {
          inputs: [input],
          tokenizer: o.tokenizer,
          valFraction: o.valFraction,
          seed: o.seed,
          shardTokens: o.shardTokens,
          force: o.force,
          field: o.field,
          progress: o.progress,
        });
        emitReport(report, o.report, o.force);
      },
    );

  data
    .command('run')
    .description('Run a pipeline config: chained stages (clean, filter, dedup, mask, then optionally pack).')
    .requiredOption('-c, --config <path>', 'pipeline JSON')
    .option('-f, --force', 'overwrite existing outputs')
    .option('--report <path>', 'also write the JSON report to this file')
    .option('--progress <mode>', 'progress display: bar, json or quiet', 'bar')
    .action(async (o: { config: string; force?: boolean; report?: string; progress: ProgressMode }) => {
      const config = loadPipelineConfig(o.config);
      checkReport(o.report, o.force, [config.input, o.config]);
      const report = await runPipeline(config, { force: o.force, progress: o.progress });
      emitReport(report, o.report, o.force);
    });
}
