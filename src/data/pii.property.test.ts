// Property tests for PII masking (fast-check, fixed seed so a failure reproduces): generated valid
// numbers are masked whatever their separators, case and surrounding (CJK) text; the same numbers
// with a broken checksum are left alone. ~1,500 generated cases, well under a second of masking.
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { luhnValid, maskPii } from './pii.js';

// `npm run fuzz` (scripts/fuzz.mjs) reruns this file with a fresh seed and many more cases.
const SEED = Number(process.env.LLMK_FUZZ_SEED ?? 20261204);
const SCALE = Number(process.env.LLMK_FUZZ_SCALE ?? 1);
/** fast-check parameters; the case count also goes to LLMK_FUZZ_REPORT for the `npm run fuzz` table. */
function params(name: string, numRuns: number): { seed: number; numRuns: number } {
  const runs = Math.ceil(numRuns * SCALE);
  const report = process.env.LLMK_FUZZ_REPORT;
  if (report) appendFileSync(report, `${JSON.stringify({ property: `pii: ${name}`, runs })}\n`);
  return { seed: SEED, numRuns: runs };
}

const CJK = [
  ...'的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经之进着等部度家电力里如水化高自理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几区强放决西被干做必战先回则任取据处府研',
];
const PUNCT = [...'。，、：；！？（）「」'];

/** Text that may precede a value: CJK (no space needed), ASCII words then a separator, or nothing. */
const before = fc.oneof(
  fc.string({ unit: fc.constantFrom(...CJK, ...PUNCT), maxLength: 8 }),
  fc
    .array(fc.constantFrom('Call', 'card', 'IBAN', 'send to', 'host', 'id', 'pay', 'my'), { maxLength: 3 })
    .chain((words) => fc.constantFrom(' ', ': ', ' (', ' "').map((sep) => words.join(' ') + sep)),
  fc.constant(''),
);
/** Text that may follow a value. */
const after = fc.oneof(
  fc.string({ unit: fc.constantFrom(...CJK, ...PUNCT), maxLength: 8 }),
  fc
    .array(fc.constantFrom('now', 'today', 'thanks', 'ok', 'and more'), { maxLength: 3 })
    .chain((words) => fc.constantFrom(' ', ', ', '. ', ') ', '" ').map((sep) => sep + words.join(' '))),
  fc.constant(''),
);
const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

/** The digit that makes `body + d` Luhn-valid. */
function luhnCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return String(d);
  throw new Error('unreachable');
}

/** Issuer prefixes and lengths cardIssuerValid accepts (18-digit numbers left out: they may also be Chinese IDs). */
const CARD_SHAPES: Array<[string, number]> = [
  ['4', 16],
  ['4', 13],
  ['4', 19],
  ['51', 16],
  ['55', 16],
  ['2221', 16],
  ['2720', 16],
  ['34', 15],
  ['37', 15],
  ['6011', 16],
  ['65', 16],
  ['3528', 16],
  ['3589', 17],
  ['62', 19],
  ['36', 14],
];

/** Card digits with a valid Luhn check, and the same with the check digit shifted by 1..9. */
const card = fc
  .tuple(fc.constantFrom(...CARD_SHAPES), fc.integer({ min: 1, max: 9 }))
  .chain(([[prefix, length], shift]) =>
    digits(length - prefix.length - 1).map((middle) => {
      const body = prefix + middle;
      const check = luhnCheckDigit(body);
      return { valid: body + check, invalid: body + String((Number(check) + shift) % 10) };
    }),
  );

/** A card number as printed: compact, or in groups of four split by spaces or dashes. */
function formatCard(d: string, style: number): string {
  if (style === 0) return d;
  const sep = style === 1 ? ' ' : '-';
  return d.match(/.{1,4}/g)!.join(sep);
}

test('property: Luhn-valid card numbers are masked in any layout; a wrong check digit is not a card', () => {
  fc.assert(
    fc.property(card, fc.integer({ min: 0, max: 2 }), before, after, (c, style, pre, post) => {
      const good = maskPii(pre + formatCard(c.valid, style) + post);
      assert.equal(good.text, `${pre}<CREDIT_CARD>${post}`);
      const bad = maskPii(pre + formatCard(c.invalid, style) + post);
      assert.equal(bad.counts.CREDIT_CARD, undefined, bad.text);
    }),
    params('cards', 300),
  );
});

/** ISO 13616 lengths for a sample of countries (the SWIFT registry). */
const IBAN_COUNTRIES: Array<[string, number]> = [
  ['DE', 22],
  ['GB', 22],
  ['FR', 27],
  ['NL', 18],
  ['ES', 24],
  ['IT', 27],
  ['CH', 21],
  ['NO', 15],
  ['MT', 31],
  ['BE', 16],
  ['PL', 28],
  ['SE', 24],
];

/** ISO 7064 MOD 97-10 check digits for country + BBAN. */
function ibanCheck(country: string, bban: string): number {
  const moved = `${bban}${country}00`;
  let rem = 0;
  for (const ch of moved) {
    const v = Number.parseInt(ch, 36);
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return 98 - rem;
}

const iban = fc
  .tuple(fc.constantFrom(...IBAN_COUNTRIES), fc.integer({ min: 1, max: 95 }), fc.boolean(), fc.boolean())
  .chain(([[country, length], shift, grouped, lower]) =>
    fc
      .string({
        unit: fc.constantFrom(...'0123456789012345678901234567890123456789ABCDEFXYZ'),
        minLength: length - 4,
        maxLength: length - 4,
      })
      .map((bban) => {
        const check = ibanCheck(country, bban);
        const wrong = ((check - 2 + shift) % 97) + 2; // another value in 2..98
        const show = (c: number) => {
          const compact = `${country}${String(c).padStart(2, '0')}${bban}`;
          const text = grouped ? compact.match(/.{1,4}/g)!.join(' ') : compact;
          return lower ? text.toLowerCase() : text;
        };
        return { valid: show(check), invalid: show(wrong) };
      }),
  );

test('property: IBANs with a valid MOD 97 check are masked, upper or lower case, grouped or not; others are not', () => {
  fc.assert(
    fc.property(iban, before, after, (i, pre, post) => {
      assert.equal(maskPii(pre + i.valid + post).text, `${pre}<IBAN>${post}`);
      assert.equal(maskPii(pre + i.invalid + post).counts.IBAN, undefined, i.invalid);
    }),
    params('IBANs', 250),
  );
});

const CN_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_CHECK = '10X98765432';
const PROVINCES = [
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65,
];

const chineseId = fc
  .tuple(
    fc.constantFrom(...PROVINCES),
    digits(4),
    fc.date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2024-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    digits(3),
    fc.integer({ min: 1, max: 10 }),
    fc.boolean(),
  )
  .map(([province, region, birth, seq, shift, lowerX]) => {
    const ymd = birth.toISOString().slice(0, 10).replaceAll('-', '');
    const body = `${province}${region}${ymd}${seq}`;
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(body[i]) * CN_WEIGHTS[i];
    const show = (c: string) => body + (lowerX ? c.toLowerCase() : c);
    return { valid: show(CN_CHECK[sum % 11]), invalid: show(CN_CHECK[(sum + shift) % 11]) };
  });

test('property: Chinese resident IDs with the MOD 11-2 check character are masked; a wrong one is not', () => {
  fc.assert(
    fc.property(chineseId, before, after, (id, pre, post) => {
      assert.equal(maskPii(pre + id.valid + post).text, `${pre}<CN_ID>${post}`);
      assert.equal(maskPii(pre + id.invalid + post).counts.CN_ID, undefined, id.invalid);
    }),
    params('Chinese IDs', 250),
  );
});

const cnMobile = fc
  .tuple(
    fc.constantFrom(...'3456789'),
    digits(9),
    fc.constantFrom('', '+86 ', '+86', '86', '0086 ', '+86-'),
    fc.constantFrom('', ' ', '-'),
  )
  .map(([second, rest, prefix, sep]) => {
    const d = `1${second}${rest}`;
    return prefix + [d.slice(0, 3), d.slice(3, 7), d.slice(7)].join(sep);
  });

const nanp = fc
  .tuple(
    fc.integer({ min: 200, max: 999 }),
    fc.integer({ min: 200, max: 999 }),
    digits(4),
    fc.constantFrom('(A) E-L', 'A-E-L', 'A.E.L', 'A E L', '1-A-E-L', '1 (A) E-L', '+1 A E L', '+1-A-E-L'),
    fc.integer({ min: 0, max: 199 }),
  )
  .map(([area, exchange, line, layout, badExchange]) => {
    const show = (e: number) =>
      layout.replace('A', String(area)).replace('E', String(e).padStart(3, '0')).replace('L', line);
    return { valid: show(exchange), invalid: layout.startsWith('+') ? null : show(badExchange) };
  });

test('property: Chinese mobiles (+86, 0086, bare 86) and North American numbers (leading 1-) are masked', () => {
  fc.assert(
    fc.property(cnMobile, before, after, (phone, pre, post) => {
      assert.equal(maskPii(pre + phone + post).text, `${pre}<PHONE>${post}`);
    }),
    params('Chinese mobiles', 200),
  );
  fc.assert(
    fc.property(nanp, before, after, (phone, pre, post) => {
      assert.equal(maskPii(pre + phone.valid + post).text, `${pre}<PHONE>${post}`);
      // An exchange starting with 0 or 1 is not a NANP number (only `+` numbers are taken on length alone).
      if (phone.invalid)
        assert.equal(maskPii(pre + phone.invalid + post).counts.PHONE, undefined, phone.invalid);
    }),
    params('NANP numbers', 200),
  );
});

const octet = fc.integer({ min: 0, max: 255 }).map(String);

test('property: IPv4 addresses are masked; versions (x.y.z.w-beta) and octets over 255 are not', () => {
  fc.assert(
    fc.property(
      fc.tuple(octet, octet, octet, octet),
      fc.integer({ min: 256, max: 999 }),
      fc.integer({ min: 0, max: 3 }),
      fc.constantFrom('-beta', '-rc1', '-alpha.2', '-SNAPSHOT'),
      before,
      after,
      (parts, big, at, suffix, pre, post) => {
        const ip = parts.join('.');
        assert.equal(maskPii(pre + ip + post).text, `${pre}<IPV4>${post}`);
        assert.equal(maskPii(`${pre}${ip}${suffix}${post}`).text, `${pre}${ip}${suffix}${post}`);
        const wrong = parts.map((p, i) => (i === at ? String(big) : p)).join('.');
        assert.equal(maskPii(pre + wrong + post).counts.IPV4, undefined, wrong);
      },
    ),
    params('IPv4', 200),
  );
});

const label = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 1,
  maxLength: 10,
});

test('property: e-mails are masked; a URL user name is left alone unless the URL also holds a password', () => {
  fc.assert(
    fc.property(
      label,
      label,
      fc.array(label, { minLength: 1, maxLength: 2 }),
      fc.constantFrom('com', 'org', 'io', 'cn', 'co.uk'),
      fc.constantFrom('http', 'https', 'ftp', 'postgres', 'redis+tls'),
      label,
      before,
      after,
      (user, password, host, tld, scheme, path, pre, post) => {
        const domain = `${host.join('.')}.${tld}`;
        const mail = maskPii(`${pre}${user}@${domain}${post}`);
        assert.equal(mail.text, `${pre}<EMAIL>${post}`);
        const plain = `${pre}${scheme}://${user}@${domain}/${path}${post}`;
        assert.equal(maskPii(plain).text, plain);
        const secret = maskPii(`${pre}${scheme}://${user}:${password}@${domain}/${path}${post}`);
        assert.equal(secret.text, `${pre}${scheme}://<URL_CREDENTIALS>@${domain}/${path}${post}`);
      },
    ),
    params('e-mail and URL users', 200),
  );
});

/** Characters PII patterns care about, so random text keeps hitting their edges. */
const NOISY = [...'0123456789  .-+:@/()xX abcDEF', ...CJK.slice(0, 20), '\n'];

test('property: masking is idempotent and linear-time on noisy text (no catastrophic backtracking)', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...NOISY), maxLength: 400 }), (text) => {
      const once = maskPii(text).text;
      assert.equal(maskPii(once).text, once);
    }),
    params('idempotence', 300),
  );
  // 50 KB of digits and separators: exponential backtracking would take minutes; this takes milliseconds.
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...'0123456789 -.+@:a'), minLength: 50_000, maxLength: 50_000 }),
      (text) => {
        const start = performance.now();
        maskPii(text);
        assert.ok(performance.now() - start < 5000, 'maskPii took over 5 s on 50 KB');
      },
    ),
    params('50 KB linear time', 3),
  );
});

test('issue 12 spot checks: leaks and over-masking', () => {
  const cases: Array<[string, string]> = [
    ['Call 1-800-555-0199 now', 'Call <PHONE> now'],
    ['手机号8613812345678。', '手机号<PHONE>。'],
    ['iban de89 3704 0044 0532 0130 00 paid', 'iban <IBAN> paid'],
    ['to gb82west12345698765432.', 'to <IBAN>.'],
    ['release 10.0.0.1-beta is out', 'release 10.0.0.1-beta is out'],
    ['see http://user@host.example.com/ here', 'see http://user@host.example.com/ here'],
    ['see http://user:pw@host.example.com/ here', 'see http://<URL_CREDENTIALS>@host.example.com/ here'],
    ['empty http://user:@host.example.com/', 'empty http://user:@host.example.com/'],
    ['Mixed De89 3704 0044 0532 0130 00 is prose', 'Mixed De89 3704 0044 0532 0130 00 is prose'],
  ];
  for (const [input, expected] of cases) assert.equal(maskPii(input).text, expected, input);
});
