import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  chineseIdValid,
  creditCardValid,
  ibanValid,
  ipv4Valid,
  ipv6Valid,
  luhnValid,
  maskPii,
} from './pii.js';

test('validators: Luhn, card issuers, IBAN mod 97, Chinese ID MOD 11-2 and dates, IP forms', () => {
  assert.equal(luhnValid('4111111111111111'), true);
  assert.equal(luhnValid('4111111111111112'), false);
  // Luhn-valid but no card network uses prefix 1: not a card.
  assert.equal(luhnValid('1234567812345670'), true);
  assert.equal(creditCardValid('1234567812345670'), false);
  assert.equal(creditCardValid('378282246310005'), true); // Amex, 15 digits
  assert.equal(creditCardValid('37828224631000'), false);
  assert.equal(ibanValid('GB82WEST12345698765432'), true);
  assert.equal(ibanValid('FR1420041010050500013M02606'), true);
  assert.equal(ibanValid('DE89370400440532013001'), false); // checksum
  assert.equal(ibanValid('DE8937040044053201300'), false); // length
  assert.equal(chineseIdValid('11010519491231002X'), true);
  assert.equal(chineseIdValid('320106200002294562'), true); // 29 Feb 2000 exists
  assert.equal(chineseIdValid('110105194912310021'), false); // wrong check character
  assert.equal(chineseIdValid('110105202302301238'), false); // 30 Feb, although the checksum matches
  assert.equal(ipv4Valid('255.255.255.255'), true);
  assert.equal(ipv4Valid('256.1.1.1'), false);
  assert.equal(ipv4Valid('01.2.3.4'), false);
  assert.equal(ipv6Valid('2001:0db8:85a3:0000:0000:8a2e:0370:7334'), true);
  assert.equal(ipv6Valid('2001:db8::8a2e:370:7334'), true);
  assert.equal(ipv6Valid('::ffff:192.0.2.1'), true); // IPv4-mapped (RFC 4291 §2.5.5.2)
  assert.equal(ipv6Valid('64:ff9b::192.0.2.33'), true);
  assert.equal(ipv6Valid('1:2:3:4:5:6:7'), false);
  assert.equal(ipv6Valid('1::2::3'), false);
});

test('each PII type is masked with its placeholder and counted', () => {
  const cases: [string, string, string][] = [
    ['Mail john.doe+tag@example.co.uk today.', 'Mail <EMAIL> today.', 'EMAIL'],
    [
      'DB at postgres://admin:s3cret@db.example.com:5432/app ok',
      'DB at postgres://<URL_CREDENTIALS>@db.example.com:5432/app ok',
      'URL_CREDENTIALS',
    ],
    ['Call 13812345678 now', 'Call <PHONE> now', 'PHONE'],
    ['手机：+86 138 1234 5678。', '手机：<PHONE>。', 'PHONE'],
    ['London +44 20 7946 0958.', 'London <PHONE>.', 'PHONE'],
    ['Office (415) 555-2671 or', 'Office <PHONE> or', 'PHONE'],
    ['Reach 626-555-1739.', 'Reach <PHONE>.', 'PHONE'],
    ['Card 4111 1111 1111 1111 exp', 'Card <CREDIT_CARD> exp', 'CREDIT_CARD'],
    ['mc 5555-5555-5555-4444.', 'mc <CREDIT_CARD>.', 'CREDIT_CARD'],
    ['amex 378282246310005', 'amex <CREDIT_CARD>', 'CREDIT_CARD'],
    ['IBAN DE89 3704 0044 0532 0130 00 paid', 'IBAN <IBAN> paid', 'IBAN'],
    ['to GB82WEST12345698765432.', 'to <IBAN>.', 'IBAN'],
    ['身份证号11010519491231002X。', '身份证号<CN_ID>。', 'CN_ID'],
    ['id 440308199901011234, ok', 'id <CN_ID>, ok', 'CN_ID'],
    ['host 192.168.1.20.', 'host <IPV4>.', 'IPV4'],
    ['v6 2001:db8::8a2e:370:7334 and fe80::1', 'v6 <IPV6> and <IPV6>', 'IPV6'],
    ['full 2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'full <IPV6>', 'IPV6'],
  ];
  for (const [input, expected, type] of cases) {
    const r = maskPii(input);
    assert.equal(r.text, expected, input);
    assert.ok((r.counts as Record<string, number>)[type] >= 1, `${input}: ${JSON.stringify(r.counts)}`);
  }
  const many = maskPii('a@b.io, c@d.org; 8.8.8.8 and 1.1.1.1');
  assert.deepEqual(many.counts, { EMAIL: 2, IPV4: 2 });
});

test('ordinary numbers are never masked (adversarial cases)', () => {
  const negatives = [
    'On 2023-10-05 at 10:30:45 the price was $1,234.56 (about ¥8,999.00) in 1999.',
    'Dates: 05/10/2023, 2023.10.05, 20231005, 1999-2024, Q3 2024.',
    'Order #1234567812345670 shipped (Luhn-valid, but no card network starts with 1).',
    'Card-like 4111111111111112 fails Luhn; 16 digits 9999888877776666 too.',
    'Population 1400000000, timestamp 1700000000000, big 12345678901234567890123.',
    'Version 1.2.3.4.5 and v10.0.0.1 and 300.1.2.3 and 1.2.3.',
    'Coordinates 39.9042, 116.4074; ratio 3:2:1; time 12:30; score 21-14.',
    'ISBN 978-3-16-148410-0 and 978-0-306-40615-7.',
    'Call 12345678901 is not a mobile; 1381234567 has ten digits; 138123456789 has twelve.',
    'ID-like 110105194912310021 has a wrong check digit; 110105202302301238 is 30 February.',
    'Code AB12 CDEF GHIJ KLMN 12 is not an IBAN; DE89370400440532013001 fails mod 97.',
    '价格是1999元，日期2023年10月5日，共计12345678元。',
    'Invoice 2024-000123-45, SKU 555-123-4567 (exchange starts with 1), prices 19.99 and 1,000,000.',
    'C++ std::vector and a::b and cafe::babe and 10:30:00 are not addresses.',
    'Math: 3.14159, 2.71828, 1e10, 0.001, -42, +5 points.',
  ];
  for (const text of negatives) {
    const r = maskPii(text);
    assert.equal(r.text, text, `false positive: ${JSON.stringify(r.counts)}`);
    assert.deepEqual(r.counts, {});
  }
});

test('types can be restricted', () => {
  const r = maskPii('a@b.io 8.8.8.8', ['IPV4']);
  assert.equal(r.text, 'a@b.io <IPV4>');
});

test('real corpora: no match in 136k lines of reviews, captions, translations and plays; CoNLL-2003 contact lines found', () => {
  const read = (p: string) => readFileSync(`../shared/data/${p}`, 'utf8').split('\n');
  const clean = [
    ...read('sst2/train.tsv'),
    ...read('multi30k-en-de/train.en'),
    ...read('tatoeba-cmn-eng/cmn.train.txt'),
    ...read('tinyshakespeare/input.txt'),
  ];
  assert.ok(clean.length > 136_000);
  const hits = clean.filter((l) => Object.keys(maskPii(l).counts).length > 0);
  assert.deepEqual(hits, []);
  // CoNLL-2003 (Reuters 1996) sentences hold sports tables, dates, scores and prices, plus the
  // newsroom contact lines that end many articles. All 104 matched sentences were checked by eye:
  // each is a Reuters desk phone number (one also an e-mail), e.g. "-- London Newsroom +44 171 542 7658".
  const sentences = readFileSync('../shared/data/conll2003/eng.train', 'utf8')
    .split('\n\n')
    .map((s) =>
      s
        .split('\n')
        .map((l) => l.split(' ')[0])
        .join(' '),
    );
  const matched = sentences.map((s) => maskPii(s)).filter((r) => Object.keys(r.counts).length > 0);
  assert.equal(matched.length, 104);
  for (const r of matched)
    for (const type of Object.keys(r.counts)) assert.ok(type === 'PHONE' || type === 'EMAIL', type);
});
