/**
 * Labelled data for fine-tuning, read with the file and line of every example so bad input fails
 * as a DataError naming both:
 * - classification: TSV/CSV with a header (`label` column plus a text column, optionally a second
 *   text column for sentence pairs), JSONL (`{"text", "text_pair"?, "label"}`, `label` may be an
 *   array for multi-label), or `txt` lines `text<sep>label` (Financial PhraseBank: `sentence@label`);
 * - NER: CoNLL columns (token … tag) or sentence-per-line BMES.
 */
import { existsSync } from 'node:fs';
import { LlmkError } from '../errors.js';
import { DataError } from './errors.js';
import { readLines } from './lines.js';
import { readBmesLines, readConll, readCsv, readJsonlRecords } from './readers.js';

export type ClassificationFormat = 'tsv' | 'csv' | 'jsonl' | 'txt';
export type NerFormat = 'conll' | 'bmes';

export interface TextExample {
  text: string;
  /** Second sentence of a pair task. */
  pair?: string;
  /** One label, or several for multi-label data. */
  labels: string[];
  file: string;
  line: number;
}

export interface TaggedExample {
  tokens: string[];
  tags: string[];
  file: string;
  line: number;
}

export interface ClassificationReadOptions {
  format: ClassificationFormat;
  /** Text column (default: `text`, `sentence`, `content` or `sentence1`, whichever exists). */
  textColumn?: string;
  /** Second text column of pair tasks (default: `text_pair`, `sentence2` when present). */
  pairColumn?: string;
  labelColumn?: string;
  /** Separator of `txt` lines (default `@`, the last one on the line). */
  separator?: string;
  /** Labels of one example separated by this (multi-label TSV/CSV/txt; default none). */
  labelSeparator?: string;
}

// readCsv moves the chosen (label) column into `text` and renames a real `text` column `text_original`.
const TEXT_NAMES = ['text_original', 'sentence', 'content', 'sentence1', 'question'];
const PAIR_NAMES = ['text_pair', 'sentence2', 'text_b'];

function checkExists(path: string): void {
  if (!existsSync(path))
    throw new LlmkError('LLMK_E_NOT_FOUND', `${path} does not exist`, 'check the data path');
}

function splitLabels(raw: string, sep: string | undefined): string[] {
  const parts = sep ? raw.split(sep) : [raw];
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function validate(example: TextExample): TextExample {
  if (example.text.trim() === '')
    throw new DataError(example.file, example.line, 'empty text', 'remove the line or give it a text');
  if (example.pair !== undefined && example.pair.trim() === '')
    throw new DataError(example.file, example.line, 'empty second text of a pair', 'give both sentences');
  if (example.labels.length === 0)
    throw new DataError(
      example.file,
      example.line,
      'no label',
      'every training/evaluation example needs a label',
    );
  return example;
}

/** Every labelled example of a classification file. */
export async function readClassificationFile(
  path: string,
  options: ClassificationReadOptions,
): Promise<TextExample[]> {
  checkExists(path);
  const out: TextExample[] = [];
  const labelColumn = options.labelColumn ?? 'label';
  if (options.format === 'txt') {
    const sep = options.separator ?? '@';
    for await (const { text, line } of readLines(path)) {
      if (text.trim() === '') continue;
      const at = text.lastIndexOf(sep);
      if (at < 0)
        throw new DataError(path, line, `no '${sep}' between text and label`, `expected "text${sep}label"`);
      out.push(
        validate({
          text: text.slice(0, at),
          labels: splitLabels(text.slice(at + 1), options.labelSeparator),
          file: path,
          line,
        }),
      );
    }
    return out;
  }
  if (options.format === 'jsonl') {
    const textKey = options.textColumn ?? 'text';
    const pairKey = options.pairColumn ?? 'text_pair';
    for await (const { value, line } of readJsonlRecords(path)) {
      const text = value[textKey];
      if (typeof text !== 'string')
        throw new DataError(
          path,
          line,
          `field "${textKey}" is missing or not a string`,
          'choose it with --text-column',
        );
      const raw = value[labelColumn];
      const items = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
      // Only scalars are labels: String() of a JSON object is "[object Object]", and of one with a
      // "toString" key a raw TypeError.
      if (!items.every((l) => typeof l === 'string' || typeof l === 'number' || typeof l === 'boolean'))
        throw new DataError(
          path,
          line,
          `label is not a string, number or boolean (or a list of them)`,
          `write "${labelColumn}": "positive" or "${labelColumn}": ["a", "b"] for multi-label data`,
        );
      const labels = items.map(String);
      const pair = value[pairKey];
      out.push(
        validate({ text, pair: typeof pair === 'string' ? pair : undefined, labels, file: path, line }),
      );
    }
    return out;
  }
  const delimiter = options.format === 'tsv' ? '\t' : ',';
  let textName: string | undefined;
  let pairName: string | undefined;
  for await (const { value, line } of readCsv(path, { delimiter, header: true, column: labelColumn })) {
    // readCsv puts the chosen column in `text`; here that is the label, the texts are named fields.
    if (textName === undefined) {
      textName =
        options.textColumn === 'text'
          ? 'text_original'
          : (options.textColumn ?? TEXT_NAMES.find((n) => typeof value[n] === 'string'));
      pairName = options.pairColumn ?? PAIR_NAMES.find((n) => typeof value[n] === 'string');
      if (!textName || typeof value[textName] !== 'string')
        throw new DataError(
          path,
          line,
          `no text column (tried ${options.textColumn ?? TEXT_NAMES.join(', ')})`,
          'name it with --text-column',
        );
    }
    const text = value[textName] as string;
    const pair = pairName ? (value[pairName] as string | undefined) : undefined;
    out.push(
      validate({ text, pair, labels: splitLabels(value.text, options.labelSeparator), file: path, line }),
    );
  }
  return out;
}

/** Every tagged sentence of a CoNLL or BMES file. */
export async function readNerFile(path: string, format: NerFormat): Promise<TaggedExample[]> {
  checkExists(path);
  const out: TaggedExample[] = [];
  const reader = format === 'bmes' ? readBmesLines(path) : readConll(path);
  for await (const { value, line } of reader)
    out.push({ tokens: value.tokens, tags: value.tags, file: path, line });
  if (out.length === 0)
    throw new DataError(path, 1, 'no sentences', 'the file is empty or has only blank lines');
  return out;
}

/**
 * Label set of training data: sorted, or in first-seen order of `order`; for NER, `O` first.
 */
export function labelSet(labelLists: Iterable<readonly string[]>, ner = false): string[] {
  const seen = new Set<string>();
  for (const ls of labelLists) for (const l of ls) seen.add(l);
  const sorted = [...seen].sort();
  return ner && seen.has('O') ? ['O', ...sorted.filter((l) => l !== 'O')] : sorted;
}

/** Throws a DataError at the first example whose label is not in `labels`. */
export function checkLabels(
  examples: readonly { labels?: readonly string[]; tags?: readonly string[]; file: string; line: number }[],
  labels: readonly string[],
): void {
  const known = new Set(labels);
  for (const e of examples) {
    for (const l of e.labels ?? e.tags ?? []) {
      if (!known.has(l))
        throw new DataError(
          e.file,
          e.line,
          `label '${l}' is not in the label set (${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', …' : ''})`,
          'fix the label, or add it to the label set (--labels) and train again',
        );
    }
  }
}
