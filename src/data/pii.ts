/**
 * PII masking (数据脱敏): each match is replaced by a typed placeholder such as `<EMAIL>`, with
 * per-type counts. Every numeric type is validated, so ordinary numbers (dates, prices, years,
 * order numbers) are left alone:
 *   - credit cards: 13–19 digits, an issuer prefix (Visa, Mastercard, Amex, Discover, JCB,
 *     UnionPay, Diners) and the Luhn checksum (ISO/IEC 7812-1 Annex B);
 *   - IBANs: the per-country length and the ISO 7064 MOD 97-10 check (ISO 13616);
 *   - Chinese resident ID numbers: region code, a real birth date and the ISO 7064 MOD 11-2
 *     check character (GB 11643-1999);
 *   - IBANs are matched in upper or lower case (people type them both ways), but not mixed case,
 *     which is how prose looks ("De12 Abcd …");
 *   - phone numbers: Chinese mobiles (1[3-9] + 9 digits, optional +86, 0086 or a bare 86 prefix),
 *     `+` international numbers with 8–15 digits (ITU-T E.164), North American numbers with
 *     separators and an optional leading `1` trunk prefix (1-800-555-0199);
 *   - IPv4 (four octets ≤ 255, no leading zeros) and IPv6 (RFC 4291 text forms, RFC 5952 `::`);
 *     a dotted quad followed by `-letters` is a version (10.0.0.1-beta), not an address.
 *   - URL credentials only with a password (`scheme://user:pw@host`). A user name alone
 *     (`http://user@host/`) is neither a secret nor an e-mail address and is left alone.
 * Types are applied in a fixed order, longest and most specific first, so a card number is not
 * half-eaten by the phone pattern and `user:pw@host` is a credential, not an e-mail.
 */

export type PiiType =
  | 'URL_CREDENTIALS'
  | 'EMAIL'
  | 'IBAN'
  | 'CN_ID'
  | 'CREDIT_CARD'
  | 'PHONE'
  | 'IPV6'
  | 'IPV4';

export const PII_TYPES: PiiType[] = [
  'URL_CREDENTIALS',
  'EMAIL',
  'IBAN',
  'CN_ID',
  'CREDIT_CARD',
  'PHONE',
  'IPV6',
  'IPV4',
];

export interface MaskResult {
  text: string;
  counts: Partial<Record<PiiType, number>>;
}

/** Luhn checksum over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer identification prefixes and lengths of the major card networks. */
function cardIssuerValid(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p6 >= 622126 && p6 <= 622925) || (p4 >= 6440 && p4 <= 6499))
    return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p2 === 36 || p2 === 38 || (p4 >= 3000 && p4 <= 3059)) return n >= 14 && n <= 19; // Diners Club
  return false;
}

export function creditCardValid(raw: string): boolean {
  const digits = raw.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && cardIssuerValid(digits) && luhnValid(digits);
}

// IBAN lengths by country (SWIFT IBAN Registry).
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** ISO 13616 check: country length, then the rearranged number mod 97 must be 1. */
export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/ /g, '').toUpperCase();
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    rem = value >= 10 ? (rem * 100 + value) % 97 : (rem * 10 + value) % 97;
  }
  return rem === 1;
}

const CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_ID_CHECK = '10X98765432';

/** GB 11643-1999: region code, a valid birth date, and the MOD 11-2 check character. */
export function chineseIdValid(raw: string): boolean {
  const id = raw.toUpperCase();
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) return false;
  const province = Number(id.slice(0, 2));
  if (province < 11 || province > 91) return false;
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || year > 2100 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * CN_ID_WEIGHTS[i];
  return CN_ID_CHECK[sum % 11] === id[17];
}

/** RFC 4291 §2.2 text forms (with at most one `::`, optionally an embedded IPv4 tail). */
export function ipv6Valid(raw: string): boolean {
  let s = raw;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!ipv4Valid(tail)) return false;
    // The dotted tail stands for two 16-bit groups.
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const parse = (h: string): string[] | null => {
    if (h === '') return [];
    const groups = h.split(':');
    return groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g)) ? groups : null;
  };
  const left = parse(halves[0]);
  const right = halves.length === 2 ? parse(halves[1]) : [];
  if (!left || !right) return false;
  const total = left.length + right.length;
  if (halves.length === 1) return total === 8;
  // A compressed form needs at least two explicit groups so that "a::b" in prose is rarer to hit;
  // "::1" (loopback) is accepted explicitly.
  return total <= 7 && (total >= 2 || raw === '::1');
}

export function ipv4Valid(raw: string): boolean {
  const parts = raw.split('.');
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

interface Rule {
  type: PiiType;
  pattern: RegExp;
  /** Quick test that must pass before the pattern runs (most documents hold no PII). */
  trigger: RegExp;
  valid?: (match: string) => boolean;
  /** Context the pattern cannot express cheaply: true leaves the match at `offset` of `text` alone. */
  skip?: (text: string, offset: number) => boolean;
  /** Builds the replacement from the match (default: the placeholder alone). */
  replace?: (match: string, placeholder: string) => string;
}

/** Text just before a URL's user part: a scheme, `//`, and authority characters up to the match. */
const URL_USER_BEFORE = /[a-z][a-z0-9+.-]*:\/\/[^\s/@]*$/i;

// Lookarounds keep numbers whole: a match may not start or end inside a longer run of digits,
// letters or dotted numbers (versions, dates like 2024.01.15, decimals).
const RULES: Rule[] = [
  {
    type: 'URL_CREDENTIALS',
    // A password is required: `user:@host` and `user@host` carry no secret.
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]+:[^\s/@]+)@/gi,
    trigger: /:\/\/[^\s/]*@/,
    replace: (m, ph) => `${m.slice(0, m.indexOf('://') + 3)}${ph}@`,
  },
  {
    type: 'EMAIL',
    pattern:
      /(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g,
    trigger: /@/,
    // `http://user@host/`: the user part of a URL authority (RFC 3986 §3.2.1), not a mailbox.
    skip: (text, offset) => URL_USER_BEFORE.test(text.slice(Math.max(0, offset - 256), offset)),
  },
  {
    type: 'IBAN',
    pattern:
      /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])/g,
    trigger: /[A-Za-z]{2}\d{2}/,
    // The group pattern may run on into a following code word; keep the longest valid prefix.
    replace: (m, ph) => {
      const groups = m.split(' ');
      for (let k = groups.length; k >= 1; k--) {
        const head = groups.slice(0, k).join(' ');
        const oneCase = head === head.toUpperCase() || head === head.toLowerCase();
        if (oneCase && ibanValid(head))
          return k === groups.length ? ph : `${ph} ${groups.slice(k).join(' ')}`;
      }
      return m;
    },
  },
  {
    type: 'CN_ID',
    pattern: /(?<![\d.])\d{17}[\dXx](?![\dA-Za-z]|\.\d)/g,
    trigger: /\d{17}/,
    valid: chineseIdValid,
  },
  {
    type: 'CREDIT_CARD',
    pattern: /(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d.,]\d|\d)/g,
    trigger: /\d{4}/,
    valid: (m) => {
      // Separators, when present, must be consistent (one kind) as printed on cards and forms.
      if (/ /.test(m) && /-/.test(m)) return false;
      return creditCardValid(m);
    },
  },
  {
    type: 'PHONE',
    pattern:
      /(?<![\w+.-])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\w.-]*\d)|(?<![\w.])\+[1-9]\d{0,2}(?:[ -]?\(?\d{1,4}\)?){1,5}[ -]?\d{2,4}(?![\w.-]*\d)|(?<![\w.+-])(?:1[-. ])?(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w.-]*\d)/g,
    trigger: /\d{3}/,
    valid: (m) => {
      const digits = m.replace(/\D/g, '');
      if (m.startsWith('+') || m.startsWith('00')) return digits.length >= 8 && digits.length <= 15;
      // Chinese mobile, bare or behind the country code 86 written without `+`; judged by its layout
      // too, or "1 (300) 000-0000", a NANP-shaped string with an invalid exchange, would pass on digits.
      if (/^(?:86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}$/.test(m)) return true;
      // North American Numbering Plan, optionally after the trunk prefix 1: area code and
      // exchange both start with 2–9.
      return /^1?[2-9]\d{2}[2-9]\d{6}$/.test(digits);
    },
  },
  {
    type: 'IPV6',
    pattern:
      /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])|(?<![\w:])::1(?![\w:])/g,
    trigger: /[0-9A-Fa-f]:[0-9A-Fa-f:]/,
    // Real addresses nearly always hold a decimal digit; requiring one spares identifiers like a::b.
    valid: (m) => ipv6Valid(m) && /\d/.test(m),
  },
  {
    type: 'IPV4',
    // `-letters` after the quad makes it a version string (10.0.0.1-beta, 1.2.3.4-rc1).
    pattern: /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d|-[A-Za-z])/g,
    trigger: /\d\.\d/,
    valid: ipv4Valid,
  },
];

/** Masks PII in `text`; `types` restricts which types are masked (default: all). */
export function maskPii(text: string, types: readonly PiiType[] = PII_TYPES): MaskResult {
  const counts: Partial<Record<PiiType, number>> = {};
  let out = text;
  for (const rule of RULES) {
    if (!types.includes(rule.type) || !rule.trigger.test(out)) continue;
    const placeholder = `<${rule.type}>`;
    out = out.replace(rule.pattern, (m: string, ...rest: unknown[]) => {
      if (rule.valid && !rule.valid(m)) return m;
      // No rule has named groups, so the replacer's last two arguments are the offset and the text.
      if (rule.skip?.(rest[rest.length - 1] as string, rest[rest.length - 2] as number)) return m;
      const masked = rule.replace ? rule.replace(m, placeholder) : placeholder;
      if (masked !== m) counts[rule.type] = (counts[rule.type] ?? 0) + 1;
      return masked;
    });
  }
  return { text: out, counts };
}
