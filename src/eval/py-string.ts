/**
 * Python `str` behaviour that the reference metric implementations (sacrebleu, rouge-score) depend on.
 * JavaScript's `\s`, `trim` and `split` use a different whitespace set from Python's `str.isspace()`:
 * Python counts U+001C–U+001F and U+0085 as whitespace and does not count U+FEFF; JS does the
 * opposite. Scores must not change on such inputs, so every split/strip in src/eval goes through here.
 */

/** The characters for which Python 3's `str.isspace()` is true (CPython 3.11, Unicode 14). */
const PY_SPACE_CLASS =
  '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE_CLASS}]+`, 'g');
const PY_TRAILING_SPACE = new RegExp(`[${PY_SPACE_CLASS}]+$`);
const PY_LEADING_SPACE = new RegExp(`^[${PY_SPACE_CLASS}]+`);

/** Python `s.split()`: split on runs of whitespace, no empty strings. */
export function pySplit(s: string): string[] {
  const parts = s.split(PY_SPACE_RUN);
  // Leading/trailing whitespace yields empty first/last parts; interior runs never do.
  if (parts.length > 0 && parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Python `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_TRAILING_SPACE, '');
}

/** Python `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(PY_LEADING_SPACE, '').replace(PY_TRAILING_SPACE, '');
}

/** Python `' '.join(s.split())`: collapse whitespace runs to one space and strip both ends. */
export function pyNormalizeSpace(s: string): string {
  return pySplit(s).join(' ');
}

/** Python `''.join(s.split())`: delete all whitespace. */
export function pyRemoveSpace(s: string): string {
  return s.replace(PY_SPACE_RUN, '');
}

/** Python `len(s)` counts code points, not UTF-16 units. */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/**
 * Python `f'{x:.{digits}f}'`. JS `toFixed` rounds an exact tie away from zero while Python rounds
 * it to even (both round the exact binary value, so only exactly representable ties differ, e.g.
 * 0.125 -> '0.12' in Python, '0.13' in JS).
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(tail)) return x.toFixed(digits);
  // Exact tie: half-even keeps an even last digit; for an odd one it rounds away from zero, as JS does.
  const truncated = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
  if (Number(truncated[truncated.length - 1]) % 2 === 0) return (x < 0 ? '-' : '') + truncated;
  return x.toFixed(digits);
}
