/** Validates a model config against its zod schema, raising LLMK_E_CONFIG that names the field. */
import type { z } from 'zod';
import { LlmkError } from '../errors.js';

export function parseConfig<S extends z.ZodObject>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.join('.') || '(root)';
  throw new LlmkError(
    'LLMK_E_CONFIG',
    `${what} config field '${where}': ${issue.message}`,
    issue.code === 'unrecognized_keys'
      ? `known fields: ${Object.keys(schema.shape).join(', ')}`
      : 'fix the value in the config',
  );
}
