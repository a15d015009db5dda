import { type ErrorCode, LlmkError } from '../errors.js';

/**
 * A data error that knows where it happened: the file and the 1-based line. Readers raise it for
 * invalid UTF-8, a broken JSON line, a ragged CSV row or a malformed CoNLL line, so a user can jump
 * straight to the offending byte range with `sed -n LINEp FILE`.
 */
export class DataError extends LlmkError {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, message: string, hint = '', code: ErrorCode = 'LLMK_E_DATA') {
    super(code, `${file}:${line}: ${message}`, hint);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
  }
}
