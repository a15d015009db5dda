/** Reading a JSON object file (config.json, generation_config.json, …) with typed errors. */
import { readFileSync } from 'node:fs';
import { LlmkError } from '../errors.js';

export function readJsonObject(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LlmkError('LLMK_E_NOT_FOUND', `${path} does not exist`, 'pass a Hugging Face model directory');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new LlmkError(
      'LLMK_E_FORMAT',
      `${path}: invalid JSON (${jsonSyntaxProblem(e)})`,
      'fix or re-save the file',
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new LlmkError('LLMK_E_FORMAT', `${path} is not a JSON object`, 'config.json holds one object');
  return json as Record<string, unknown>;
}

/**
 * What is wrong with text JSON.parse refused, without the input: V8 quotes the start of the text in
 * its message ("Unexpected token 'r', "root:x:0:0:"... is not valid JSON"), which echoes raw bytes of
 * a binary file, or the contents of whatever a path pointed at, into errors and logs. Only where.
 */
export function jsonSyntaxProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const position = /position (\d+)/.exec(message);
  if (position) return `syntax error at character ${Number(position[1]) + 1}`;
  if (/end of (?:JSON )?input/i.test(message)) return 'syntax error: unexpected end of input';
  if (/^Unexpected token/.test(message)) return 'syntax error: unexpected character';
  return 'syntax error';
}
