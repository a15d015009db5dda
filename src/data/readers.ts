/**
 * Streaming readers for the corpora a project starts from: plain text, JSONL, CSV/TSV, CoNLL-style
 * token-per-line files (also the character-per-line BMES of Weibo NER), sentence-per-line BMES
 * (Resume NER) and line-aligned parallel text. Each yields one record at a time with its line number.
 */
import { DataError } from './errors.js';
import { type Line, type ReadLinesOptions, readLines } from './lines.js';
import type { Doc, Located } from './types.js';

export type TextUnit = 'line' | 'paragraph' | 'file';

/**
 * Plain text as documents: one per non-empty line, one per blank-line-separated paragraph, or the
 * whole file (then the file must fit in memory).
 */
export async function* readText(
  path: string,
  unit: TextUnit = 'line',
  options: ReadLinesOptions = {},
): AsyncGenerator<Located<Doc>> {
  let buffer: string[] = [];
  let startLine = 1;
  for await (const { text, line } of readLines(path, options)) {
    if (unit === 'line') {
      if (text.trim() !== '') yield { value: { text }, line };
      continue;
    }
    if (unit === 'paragraph' && text.trim() === '') {
      if (buffer.length > 0) yield { value: { text: buffer.join('\n') }, line: startLine };
      buffer = [];
      continue;
    }
    if (buffer.length === 0) startLine = line;
    buffer.push(text);
  }
  if (buffer.length > 0) {
    const text = buffer.join('\n');
    if (text.trim() !== '') yield { value: { text }, line: startLine };
  }
}

/** Reads `a.b.c` out of a parsed JSON object; undefined when any step is missing. */
export function getPath(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** JSON Lines, one object per line; blank lines are skipped. */
export async function* readJsonlRecords(
  path: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<Located<Record<string, unknown>>> {
  for await (const { text, line } of readLines(path, options)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DataError(
        path,
        line,
        `invalid JSON (${(err as Error).message})`,
        'each line must be one complete JSON object',
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new DataError(
        path,
        line,
        'JSON line is not an object',
        'each line must be a JSON object such as {"text": "..."}',
      );
    yield { value: value as Record<string, unknown>, line };
  }
}

export interface JsonlReadOptions extends ReadLinesOptions {
  /** Dotted path of the text field (default `text`); its value becomes the document's `text`. */
  field?: string;
}

/** JSONL documents: the selected field becomes `text`, every other field is carried through. */
export async function* readJsonl(path: string, options: JsonlReadOptions = {}): AsyncGenerator<Located<Doc>> {
  const field = options.field ?? 'text';
  for await (const { value, line } of readJsonlRecords(path, options)) {
    const text = field === 'text' ? value.text : getPath(value, field);
    if (typeof text !== 'string')
      throw new DataError(
        path,
        line,
        `field "${field}" is ${text === undefined ? 'missing' : `a ${typeof text}, not a string`}`,
        'choose the text field with --field (dotted paths such as meta.body work)',
      );
    yield { value: { ...value, text }, line };
  }
}

export interface CsvReadOptions extends ReadLinesOptions {
  /** Field separator: `,` for CSV, `\t` for TSV. */
  delimiter?: string;
  /** First row names the columns (default true). */
  header?: boolean;
  /** Column holding the text: a header name or a 0-based index (default: column `text`, else 0). */
  column?: string | number;
  /**
   * RFC 4180 double-quote handling (default: on for CSV, off for TSV, whose sentences often hold
   * unbalanced quotes, as SST-2 does).
   */
  quote?: boolean;
}

/** Splits CSV records per RFC 4180: quoted fields may hold delimiters, doubled quotes and newlines. */
async function* csvRows(
  path: string,
  delimiter: string,
  quote: boolean,
  options: ReadLinesOptions,
): AsyncGenerator<Located<string[]>> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let startLine = 0;
  for await (const { text, line } of readLines(path, options) as AsyncGenerator<Line>) {
    if (!inQuotes) {
      if (text === '') continue;
      startLine = line;
    } else {
      field += '\n';
    }
    if (!quote) {
      yield { value: text.split(delimiter), line };
      continue;
    }
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else inQuotes = false;
        } else field += ch;
      } else if (ch === '"' && field === '') inQuotes = true;
      else if (ch === delimiter) {
        fields.push(field);
        field = '';
      } else field += ch;
    }
    if (!inQuotes) {
      fields.push(field);
      yield { value: fields, line: startLine };
      fields = [];
      field = '';
    }
  }
  if (inQuotes)
    throw new DataError(
      path,
      startLine,
      'quoted field is never closed',
      'close the quote or read with quote handling off',
    );
}

/** CSV/TSV rows as documents: the chosen column becomes `text`, the others become named fields. */
export async function* readCsv(path: string, options: CsvReadOptions = {}): AsyncGenerator<Located<Doc>> {
  const delimiter = options.delimiter ?? ',';
  const quote = options.quote ?? delimiter !== '\t';
  const hasHeader = options.header ?? true;
  let names: string[] | null = null;
  let textIndex = -1;
  for await (const { value: row, line } of csvRows(path, delimiter, quote, options)) {
    if (names === null) {
      names = hasHeader ? row : row.map((_, i) => `col${i}`);
      const column = options.column ?? (names.includes('text') ? 'text' : 0);
      textIndex = typeof column === 'number' ? column : names.indexOf(column);
      if (textIndex < 0 || textIndex >= names.length)
        throw new DataError(
          path,
          line,
          `no column ${JSON.stringify(column)} (columns: ${names.join(', ')})`,
          'pick the text column by header name or 0-based index',
        );
      if (hasHeader) continue;
    }
    if (row.length !== names.length)
      throw new DataError(
        path,
        line,
        `row has ${row.length} fields, expected ${names.length}`,
        'ragged row: check for a stray delimiter or an unquoted field',
      );
    const doc: Doc = { text: row[textIndex] };
    // A non-selected column that happens to be called `text` is kept as `text_original`.
    for (let i = 0; i < row.length; i++)
      if (i !== textIndex) doc[names[i] === 'text' ? 'text_original' : names[i]] = row[i];
    yield { value: doc, line };
  }
}

/** One sentence of a token-per-line file: the tokens and the label column. */
export interface TaggedSentence {
  tokens: string[];
  tags: string[];
}

export interface ConllReadOptions extends ReadLinesOptions {
  /** Column of the token (default 0). */
  tokenColumn?: number;
  /** Column of the tag; negative counts from the end (default -1, the NER column of CoNLL-2003). */
  tagColumn?: number;
}

/**
 * CoNLL-style files: one token per line with whitespace-separated columns, a blank line between
 * sentences, `-DOCSTART-` lines skipped. Weibo NER's `char TAG` lines are the same layout.
 */
export async function* readConll(
  path: string,
  options: ConllReadOptions = {},
): AsyncGenerator<Located<TaggedSentence>> {
  const tokenColumn = options.tokenColumn ?? 0;
  const tagColumn = options.tagColumn ?? -1;
  let tokens: string[] = [];
  let tags: string[] = [];
  let startLine = 0;
  let width = -1;
  for await (const { text, line } of readLines(path, options)) {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('-DOCSTART-')) {
      if (tokens.length > 0) yield { value: { tokens, tags }, line: startLine };
      tokens = [];
      tags = [];
      continue;
    }
    const cols = trimmed.split(/\s+/);
    if (width < 0) width = cols.length;
    if (cols.length !== width)
      throw new DataError(
        path,
        line,
        `line has ${cols.length} columns, expected ${width}`,
        'every token line needs the same columns',
      );
    const tagIndex = tagColumn < 0 ? cols.length + tagColumn : tagColumn;
    if (tokenColumn >= cols.length || tagIndex < 0 || tagIndex >= cols.length)
      throw new DataError(
        path,
        line,
        `line has ${cols.length} columns; token column ${tokenColumn}, tag column ${tagColumn}`,
        'set tokenColumn/tagColumn to existing columns',
      );
    if (tokens.length === 0) startLine = line;
    tokens.push(cols[tokenColumn]);
    tags.push(cols[tagIndex]);
  }
  if (tokens.length > 0) yield { value: { tokens, tags }, line: startLine };
}

/**
 * Sentence-per-line BMES (Resume NER): space-separated characters, a TAB, space-separated tags,
 * one tag per character.
 */
export async function* readBmesLines(
  path: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<Located<TaggedSentence>> {
  for await (const { text, line } of readLines(path, options)) {
    if (text.trim() === '') continue;
    const tab = text.indexOf('\t');
    if (tab < 0)
      throw new DataError(
        path,
        line,
        'no TAB between characters and tags',
        'expected "c h a r s<TAB>T A G S"',
      );
    const tokens = text
      .slice(0, tab)
      .split(' ')
      .filter((t) => t !== '');
    const tags = text
      .slice(tab + 1)
      .trim()
      .split(/\s+/);
    if (tokens.length !== tags.length)
      throw new DataError(
        path,
        line,
        `${tokens.length} characters but ${tags.length} tags`,
        'each character needs exactly one tag',
      );
    yield { value: { tokens, tags }, line };
  }
}

/** A tagged sentence as a document: tokens joined (by a space, or nothing for character-level Chinese). */
export function sentenceToDoc(sentence: TaggedSentence, joiner: string): Doc {
  return { text: sentence.tokens.join(joiner), tokens: sentence.tokens, tags: sentence.tags };
}

/** Line-aligned parallel text (e.g. Multi30k train.en / train.de): pairs, line by line. */
export async function* readParallel(
  sourcePath: string,
  targetPath: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<Located<{ source: string; target: string }>> {
  const src = readLines(sourcePath, options);
  const tgt = readLines(targetPath, {});
  for (;;) {
    const [a, b] = await Promise.all([src.next(), tgt.next()]);
    if (a.done && b.done) return;
    if (a.done || b.done) {
      const shorter = a.done ? sourcePath : targetPath;
      const line = a.done ? (b.value as Line).line : (a.value as Line).line;
      throw new DataError(
        shorter,
        line,
        'parallel files have different line counts',
        `${shorter} ends before line ${line} of its partner`,
      );
    }
    yield { value: { source: a.value.text, target: b.value.text }, line: a.value.line };
  }
}
