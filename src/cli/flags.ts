/**
 * One parser for every numeric, enum and port flag of the CLI. Errors are LLMK_E_ARG, name the flag
 * as the user typed it (`-n`, not `--max-tokens`, when they typed `-n`) and carry a hint that fits
 * that flag: an integer flag suggests an integer within its bounds, a bounded flag states them.
 *
 * Each factory returns a commander argParser `(value) => parsed`; `readInt`/`readNumber` parse a
 * value commander left as a string (commands that forward many flags to a library call).
 */
import { LlmkError } from '../errors.js';

export interface NumericBounds {
  /** Smallest allowed value (inclusive unless `minExclusive`). */
  min?: number;
  minExclusive?: boolean;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** The value the hint suggests; defaults to a round number inside the bounds. */
  example?: number;
}

/**
 * The spelling of `names` (e.g. ['-n', '--max-tokens']) that appears in `argv` right before `value`
 * (or as `--flag=value` / `-nVALUE`); the last name when it cannot be told (parsed from a list).
 */
export function typedFlagName(
  names: readonly string[],
  value: string,
  argv: readonly string[] = process.argv,
): string {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i];
    for (const name of names) {
      if (arg === name && argv[i + 1] === value) return name;
      if (arg === `${name}=${value}`) return name;
      if (!name.startsWith('--') && arg === `${name}${value}`) return name;
    }
  }
  return names[names.length - 1];
}

/** `-n, --max-tokens` or `--port` → the names as a list. */
function namesOf(flags: string): string[] {
  return flags
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s.startsWith('-'));
}

function describeBounds(b: NumericBounds, integer: boolean): string {
  const kind = integer ? 'an integer' : 'a number';
  const { min, max } = b;
  if (min !== undefined && max !== undefined)
    return `${kind} in ${b.minExclusive ? '(' : '['}${min}, ${max}]`;
  if (min !== undefined) return `${kind} ${b.minExclusive ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

/** A value the hint can suggest: the given example, else a round number inside the bounds. */
function exampleFor(b: NumericBounds, integer: boolean): number {
  if (b.example !== undefined) return b.example;
  const lo = b.min ?? Number.NEGATIVE_INFINITY;
  const hi = b.max ?? Number.POSITIVE_INFINITY;
  const candidates = integer ? [1, 10, 64, 0, 100, 1000] : [0.5, 1, 0.1, 0, 10, 100];
  for (const c of candidates) if ((b.minExclusive ? c > lo : c >= lo) && c <= hi) return c;
  if (Number.isFinite(lo)) return integer ? Math.floor(lo) + 1 : lo + 1;
  return integer ? Math.floor(hi) : hi;
}

function parseNumeric(flag: string, value: string, b: NumericBounds, integer: boolean): number {
  const n = Number(value);
  const range = describeBounds(b, integer);
  const hint = `use ${range}, e.g. ${flag} ${exampleFor(b, integer)}`;
  if (value.trim() === '' || !Number.isFinite(n))
    throw new LlmkError(
      'LLMK_E_ARG',
      `${flag} '${value}' is not ${integer ? 'a whole number' : 'a number'}`,
      hint,
    );
  if (integer && !Number.isInteger(n))
    throw new LlmkError('LLMK_E_ARG', `${flag} '${value}' is not a whole number`, hint);
  const tooLow = b.min !== undefined && (b.minExclusive ? n <= b.min : n < b.min);
  const tooHigh = b.max !== undefined && n > b.max;
  if (tooLow || tooHigh)
    throw new LlmkError('LLMK_E_ARG', `${flag} ${value} is out of range: it must be ${range}`, hint);
  return n;
}

/** Integer flag: `intFlag('-n, --max-tokens', { min: 1 })`. */
export function intFlag(flags: string, bounds: NumericBounds = {}): (value: string) => number {
  const names = namesOf(flags);
  return (value) => parseNumeric(typedFlagName(names, value), value, bounds, true);
}

/** Real-number flag: `numberFlag('--top-p', { min: 0, minExclusive: true, max: 1 })`. */
export function numberFlag(flags: string, bounds: NumericBounds = {}): (value: string) => number {
  const names = namesOf(flags);
  return (value) => parseNumeric(typedFlagName(names, value), value, bounds, false);
}

/** A TCP port, 0..65535 (0 asks the OS for a free one). */
export function portFlag(flags = '--port'): (value: string) => number {
  const names = namesOf(flags);
  return (value) => {
    const flag = typedFlagName(names, value);
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535)
      throw new LlmkError(
        'LLMK_E_ARG',
        `${flag} ${value} is not a port number`,
        `use 0..65535 (0 picks a free port), e.g. ${flag} 6006`,
      );
    return n;
  };
}

/** One of a fixed set of words: `enumFlag('--task', ['classification', 'ner'])`. */
export function enumFlag<T extends string>(flags: string, values: readonly T[]): (value: string) => T {
  const names = namesOf(flags);
  return (value) => {
    if ((values as readonly string[]).includes(value)) return value as T;
    const flag = typedFlagName(names, value);
    throw new LlmkError(
      'LLMK_E_ARG',
      `${flag} '${value}' is not one of ${values.join(', ')}`,
      `e.g. ${flag} ${values[0]}`,
    );
  };
}

/** Parses an optional string flag value as an integer (commands that forward raw strings). */
export function readInt(value: unknown, flags: string, bounds: NumericBounds = {}): number | undefined {
  if (value === undefined) return undefined;
  return intFlag(flags, bounds)(String(value));
}

/** Parses an optional string flag value as a number. */
export function readNumber(value: unknown, flags: string, bounds: NumericBounds = {}): number | undefined {
  if (value === undefined) return undefined;
  return numberFlag(flags, bounds)(String(value));
}
