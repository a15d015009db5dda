/**
 * Text cleaning, in this order (each step's output is the next one's input):
 *   1. HTML: drop script/style blocks and comments, turn block tags into line breaks, strip the
 *      other tags, decode character references (named ones from a common subset, all numeric ones).
 *   2. Unicode NFKC (UAX #15): full-width forms, ligatures and compatibility characters fold to
 *      their plain forms, so "ＡＢＣ１２３" and "ABC123" hash and filter alike.
 *   3. Control characters (C0/C1 except TAB and LF), zero-width and bidirectional format characters.
 *   4. Whitespace: CR/CRLF to LF, runs of blanks to one space, lines trimmed, at most one blank line.
 *   5. Optional lowercasing.
 */
export interface CleanOptions {
  /** Strip HTML tags and decode entities (default true). */
  html: boolean;
  /** Apply Unicode NFKC (default true). */
  nfkc: boolean;
  /** Remove control, zero-width and bidi format characters (default true). */
  stripControl: boolean;
  /** Collapse whitespace (default true). */
  whitespace: boolean;
  /** Lowercase everything (default false: case carries information a model should see). */
  lowercase: boolean;
}

export const DEFAULT_CLEAN: CleanOptions = {
  html: true,
  nfkc: true,
  stripControl: true,
  whitespace: true,
  lowercase: false,
};

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  middot: '·',
  bull: '•',
  deg: '°',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
  times: '×',
  divide: '÷',
  plusmn: '±',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  aacute: 'á',
  ccedil: 'ç',
  uuml: 'ü',
  ouml: 'ö',
  auml: 'ä',
  szlig: 'ß',
  ntilde: 'ñ',
  shy: '\u00ad',
  zwj: '\u200d',
  zwnj: '\u200c',
  ensp: '\u2002',
  emsp: '\u2003',
  thinsp: '\u2009',
};

const SCRIPT_STYLE = /<(script|style|noscript)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
const BLOCK_TAG =
  /<\/?(?:p|div|br|li|ul|ol|tr|table|h[1-6]|section|article|header|footer|blockquote|pre|hr)\b[^>]*>/gi;
// A tag must start with a letter (or `/letter`, `!`), so "a < b and c > d" is left alone.
const TAG = /<\/?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?\/?>|<![A-Za-z][^<>]*>/g;
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/g;
const MAYBE_HTML = /[<&]/;

/** Strips tags and decodes character references; text without `<` or `&` is returned untouched. */
export function stripHtml(text: string): string {
  if (!MAYBE_HTML.test(text)) return text;
  let out = text.replace(SCRIPT_STYLE, ' ').replace(COMMENT, ' ').replace(BLOCK_TAG, '\n').replace(TAG, '');
  out = out.replace(
    ENTITY,
    (whole, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
      if (name !== undefined) return NAMED_ENTITIES[name] ?? NAMED_ENTITIES[name.toLowerCase()] ?? whole;
      const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex as string, 16);
      // Surrogates and out-of-range code points are not characters (HTML spec: replace with U+FFFD).
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) return '\ufffd';
      return String.fromCodePoint(code);
    },
  );
  return out;
}

// C0 and C1 controls except TAB (09) and LF (0A); CR is handled by the whitespace step.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
// Zero-width space/joiners, word joiner, BOM, soft hyphen, Mongolian vowel separator, bidi marks
// and embeddings/isolates: invisible, and they make equal-looking strings hash differently.
const INVISIBLE = /[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\u202a-\u202e\u2066-\u2069]/g;
// Only blank runs that need rewriting: a space followed by more blanks, or any other blank
// character (tab, NBSP, ideographic space …). Matching every single space would make the common
// case, already-clean text, the slow one.
const BLANKS = / [^\S\n]+|[^\S\n ][^\S\n]*/g;

/** Normalises whitespace: LF line ends, single spaces, trimmed lines, at most one blank line in a row. */
export function normalizeWhitespace(text: string): string {
  let out = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  out = out.replace(BLANKS, ' ');
  if (out.includes(' \n')) out = out.replace(/ \n/g, '\n');
  if (out.includes('\n ')) out = out.replace(/\n /g, '\n');
  if (out.includes('\n\n\n')) out = out.replace(/\n{3,}/g, '\n\n');
  return out.trim();
}

/** Applies the cleaning steps in the order documented at the top of this file. */
export function cleanText(text: string, options: Partial<CleanOptions> = {}): string {
  const o = { ...DEFAULT_CLEAN, ...options };
  let out = text;
  if (o.html) out = stripHtml(out);
  if (o.nfkc) out = out.normalize('NFKC');
  if (o.stripControl) out = out.replace(CONTROL, '').replace(INVISIBLE, '');
  if (o.whitespace) out = normalizeWhitespace(out);
  if (o.lowercase) out = out.toLowerCase();
  return out;
}
