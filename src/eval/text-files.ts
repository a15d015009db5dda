/**
 * Reading line-aligned hypothesis/reference files the way sacrebleu's command line does: UTF-8,
 * one segment per line ('\n'; a final newline does not start a segment), each line right-stripped
 * with Python's whitespace set (so '\r\n' files work too).
 */
import { readFileSync } from 'node:fs';
import { check, LlmkError } from '../errors.js';
import { pyRstrip } from './py-string.js';

/** The segments of one text file; throws LLMK_E_IO if unreadable and LLMK_E_DATA if it has no lines. */
export function readSegments(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new LlmkError('LLMK_E_IO', `cannot read '${path}': ${reason}`, 'check the path and permissions');
  }
  check(text.length > 0, 'LLMK_E_DATA', () => `'${path}' is empty`, 'give a file with one segment per line');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map(pyRstrip);
}

export interface ParallelText {
  hyps: string[];
  /** refStreams[k][i]: line i of reference file k. */
  refStreams: string[][];
}

/** Reads a hypothesis file and one or more reference files, checking that all have the same number of lines. */
export function readParallelText(hypPath: string, refPaths: readonly string[]): ParallelText {
  check(refPaths.length > 0, 'LLMK_E_ARG', () => 'no reference file given', 'pass --ref FILE (repeatable)');
  const hyps = readSegments(hypPath);
  const refStreams = refPaths.map((refPath) => {
    const refs = readSegments(refPath);
    check(
      refs.length === hyps.length,
      'LLMK_E_DATA',
      () =>
        `line counts differ: hypothesis file '${hypPath}' has ${hyps.length} lines, ` +
        `reference file '${refPath}' has ${refs.length}`,
      'hypotheses and references must be line-aligned, one segment per line',
    );
    return refs;
  });
  return { hyps, refStreams };
}
