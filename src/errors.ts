/**
 * Every error llmk raises on bad input: a stable code, what went wrong, and a hint that names the fix.
 * Codes are part of the public API (tests and users match on them), so never rename one.
 */
export type ErrorCode =
  | 'LLMK_E_SHAPE'
  | 'LLMK_E_DTYPE'
  | 'LLMK_E_ARG'
  | 'LLMK_E_GRAD'
  | 'LLMK_E_DISPOSED'
  | 'LLMK_E_BACKEND'
  | 'LLMK_E_IO'
  | 'LLMK_E_FORMAT'
  | 'LLMK_E_CONFIG'
  | 'LLMK_E_DATA'
  | 'LLMK_E_EXISTS'
  | 'LLMK_E_NOT_FOUND'
  | 'LLMK_E_TOKENIZER'
  | 'LLMK_E_CHECKPOINT'
  | 'LLMK_E_UNSUPPORTED'
  /** A chat template refused the conversation (its raise_exception) or failed while rendering. */
  | 'LLMK_E_TEMPLATE';

export class LlmkError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;

  constructor(code: ErrorCode, message: string, hint = '') {
    super(hint ? `${code}: ${message}; ${hint}` : `${code}: ${message}`);
    this.name = 'LlmkError';
    this.code = code;
    this.hint = hint;
  }
}

/** Throws an LlmkError when `condition` is false; keeps call sites to one line. */
export function check(
  condition: boolean,
  code: ErrorCode,
  message: () => string,
  hint = '',
): asserts condition {
  if (!condition) throw new LlmkError(code, message(), hint);
}
