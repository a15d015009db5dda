import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanText, normalizeWhitespace, stripHtml } from './clean.js';

test('NFKC folds full-width and compatibility characters', () => {
  assert.equal(cleanText('ＡＢＣ１２３，ｆｕｌｌ　ｗｉｄｔｈ'), 'ABC123,full width');
  assert.equal(cleanText('ﬁne ½ ２⁰²⁴'), 'fine 1⁄2 2024');
  assert.equal(cleanText('ＡＢＣ', { nfkc: false }), 'ＡＢＣ');
});

test('control, zero-width and bidi characters are removed; TAB and LF survive as whitespace', () => {
  assert.equal(cleanText('a\u0000b\u0007c\u009fd'), 'abcd');
  assert.equal(
    cleanText('zero\u200bwidth\u200d jo\u2060in\ufeff soft\u00adhyphen'),
    'zerowidth join softhyphen',
  );
  assert.equal(cleanText('\u202eevil\u202c text'), 'evil text');
  assert.equal(cleanText('a\tb\nc'), 'a b\nc');
});

test('HTML: tags stripped, block tags become line breaks, scripts and comments dropped, entities decoded', () => {
  const html =
    '<html><head><style>p{color:red}</style></head><body><p>Fish &amp; chips &lt;3</p><!-- hidden --><script>alert(1)</script><div>caf&eacute; &#x4E2D;&#25991; &hellip;</div><br/>x &bogus; y</body></html>';
  // Block tags open paragraphs (a blank line), as a browser's text rendering would.
  assert.equal(cleanText(html), 'Fish & chips <3\n\ncafé 中文 ...\n\nx &bogus; y');
  // Text that only looks like markup is left alone.
  assert.equal(stripHtml('if a < b and c > d'), 'if a < b and c > d');
  assert.equal(stripHtml('&#0; &#xD800; &#1114112;'), '\ufffd \ufffd \ufffd');
  assert.equal(cleanText('<b>x</b>', { html: false }), '<b>x</b>');
});

test('whitespace: CRLF, runs of blanks, trimmed lines, at most one blank line', () => {
  assert.equal(normalizeWhitespace('  a  \r\n\r\n\r\n\r\n  b \t c  \r d  '), 'a\n\nb c\nd');
  assert.equal(cleanText('Hello World', { lowercase: true }), 'hello world');
  assert.equal(cleanText(' \u3000\u00a0 '), '');
});
