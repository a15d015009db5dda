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
      `${path}: invalid JSON (${(e as Error).message})`,
      'fix or re-save the file',
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new LlmkError('LLMK_E_FORMAT', `${path} is not a JSON object`, 'config.json holds one object');
  return json as Record<string, unknown>;
}
