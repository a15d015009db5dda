import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { enumFlag, intFlag, numberFlag, portFlag, readInt, readNumber, typedFlagName } from './flags.js';

function argError(pattern: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof LlmkError, String(e));
    assert.equal(e.code, 'LLMK_E_ARG');
    assert.match(e.message, pattern);
    return true;
  };
}

test('typedFlagName: the spelling the user typed, in every argv form', () => {
  const names = ['-n', '--max-tokens'];
  assert.equal(typedFlagName(names, 'abc', ['node', 'llmk', 'generate', '-n', 'abc']), '-n');
  assert.equal(typedFlagName(names, 'abc', ['node', 'llmk', '--max-tokens', 'abc']), '--max-tokens');
  assert.equal(typedFlagName(names, 'abc', ['node', 'llmk', '--max-tokens=abc']), '--max-tokens');
  assert.equal(typedFlagName(names, 'abc', ['node', 'llmk', '-nabc']), '-n');
  assert.equal(typedFlagName(names, 'abc', []), '--max-tokens', 'unknown: the long name');
});

test('intFlag: an integer flag never suggests a fraction, and states its bounds', () => {
  const parse = intFlag('-n, --max-tokens', { min: 1 });
  assert.equal(parse('64'), 64);
  // The old generate parser answered `-n abc` with "e.g. --max-tokens 0.8".
  assert.throws(
    () => parse('abc'),
    argError(/--max-tokens 'abc' is not a whole number; use an integer ≥ 1, e\.g\. --max-tokens 1$/),
  );
  assert.throws(() => parse('2.5'), argError(/is not a whole number/));
  assert.throws(() => parse('0'), argError(/--max-tokens 0 is out of range: it must be an integer ≥ 1/));
  assert.throws(() => parse(''), argError(/is not a whole number/));
  const bounded = intFlag('--width', { min: 0, max: 10, example: 2 });
  assert.throws(
    () => bounded('11'),
    argError(/must be an integer in \[0, 10\]; use an integer in \[0, 10\], e\.g\. --width 2/),
  );
});

test('numberFlag: open and closed bounds, with an example inside them', () => {
  const topP = numberFlag('--top-p', { min: 0, minExclusive: true, max: 1 });
  assert.equal(topP('0.9'), 0.9);
  assert.throws(
    () => topP('0'),
    argError(/--top-p 0 is out of range: it must be a number in \(0, 1\]; .*e\.g\. --top-p 0\.5/),
  );
  assert.throws(() => topP('hot'), argError(/--top-p 'hot' is not a number/));
  assert.throws(() => topP('Infinity'), argError(/is not a number/));
  assert.equal(numberFlag('--lr')('3e-4'), 3e-4);
});

test('portFlag and enumFlag', () => {
  const port = portFlag('--port');
  assert.equal(port('0'), 0);
  assert.equal(port('6006'), 6006);
  assert.throws(() => port('x'), argError(/--port x is not a port number; use 0\.\.65535/));
  assert.throws(() => port('65536'), argError(/not a port number/));
  const kind = enumFlag('--tokenizer', ['byte', 'char'] as const);
  assert.equal(kind('char'), 'char');
  assert.throws(
    () => kind('bpe'),
    argError(/--tokenizer 'bpe' is not one of byte, char; e\.g\. --tokenizer byte/),
  );
});

test('readInt / readNumber pass undefined through and parse strings', () => {
  assert.equal(readInt(undefined, '--steps', { min: 1 }), undefined);
  assert.equal(readInt('5', '--steps', { min: 1 }), 5);
  assert.throws(() => readInt('0', '--steps', { min: 1, example: 1000 }), argError(/e\.g\. --steps 1000/));
  assert.equal(readNumber('0.5', '--lr', { min: 0, minExclusive: true }), 0.5);
});
