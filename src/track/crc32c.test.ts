import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from './crc32c.js';

const ascii = (s: string) => new TextEncoder().encode(s);

test('crc32c matches the check value and the RFC 3720 B.4 vectors', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

test('crc32c continues across chunks', () => {
  const bytes = ascii('The quick brown fox jumps over the lazy dog');
  assert.equal(crc32c(bytes.subarray(10), crc32c(bytes.subarray(0, 10))), crc32c(bytes));
  assert.equal(crc32c(bytes), 0x22620404);
});

test('mask is a rotation plus TensorFlow delta, and unmask inverts it', () => {
  // Mask(0) = delta; Mask(1) = (1 << 17) + delta.
  assert.equal(maskCrc(0), 0xa282ead8);
  assert.equal(maskCrc(1), (0x20000 + 0xa282ead8) >>> 0);
  for (const c of [0, 1, 0xe3069283, 0xffffffff, 0x80000000]) assert.equal(unmaskCrc(maskCrc(c)), c);
  assert.equal(maskedCrc32c(ascii('123456789')), maskCrc(0xe3069283));
});
