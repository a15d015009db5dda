import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmkError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';
import {
  decodeEvent,
  EventFileWriter,
  encodeEvent,
  FILE_VERSION,
  frameRecord,
  readEventFile,
  readRecords,
} from './tfevents.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('an Event encodes to the bytes protobuf prescribes', () => {
  // wall_time 1.5 (tag 0x09, LE double 3ff8…), step 3 (0x10 03), summary (0x2a, len 10)
  // { value (0x0a, len 8) { tag "a" (0x0a 01 61), simple_value 0.5 (0x15, LE float 3f000000) } }
  const bytes = encodeEvent({ wallTime: 1.5, step: 3, scalars: { a: 0.5 } });
  assert.equal(hex(bytes), '09000000000000f83f' + '1003' + '2a0a' + '0a08' + '0a0161' + '150000003f');
  // int64 negatives are 10-byte two's-complement varints.
  assert.equal(hex(encodeEvent({ wallTime: 0, step: -1 })).slice(18), '10ffffffffffffffffff01');
  assert.equal(decodeEvent(encodeEvent({ wallTime: 0, step: -1 })).step, -1);
});

test('events round-trip through encode/decode, scalars at float32 precision', () => {
  const event = {
    wallTime: 1732350000.123456,
    step: 2 ** 40,
    scalars: { loss: 2.0717, 'eval/acc': 0.1, lr: 3e-4 },
  };
  const back = decodeEvent(encodeEvent(event));
  assert.equal(back.wallTime, event.wallTime); // double: exact
  assert.equal(back.step, event.step);
  for (const [tag, value] of Object.entries(event.scalars)) {
    // simple_value is a float32: relative rounding error at most 2^-24.
    assert.ok(Math.abs(back.scalars![tag] - value) <= Math.abs(value) * 2 ** -24, tag);
    assert.equal(back.scalars![tag], Math.fround(value));
  }
  assert.equal(
    decodeEvent(encodeEvent({ wallTime: 1, step: 0, fileVersion: FILE_VERSION })).fileVersion,
    FILE_VERSION,
  );
});

test('records are framed with length, two masked CRC32Cs, and read back', () => {
  const data = new TextEncoder().encode('hello');
  const rec = frameRecord(data);
  const view = new DataView(rec.buffer);
  assert.equal(rec.length, 8 + 4 + 5 + 4);
  assert.equal(view.getBigUint64(0, true), 5n);
  assert.equal(view.getUint32(8, true), maskedCrc32c(rec.subarray(0, 8)));
  assert.equal(view.getUint32(17, true), maskedCrc32c(data));
  const two = new Uint8Array([...rec, ...frameRecord(new Uint8Array(0))]);
  assert.deepEqual(
    readRecords(two).map((r) => r.length),
    [5, 0],
  );
  // A record cut short (writer still running) is left out, not an error.
  assert.equal(readRecords(two.subarray(0, rec.length + 10)).length, 1);
});

test('a flipped byte fails the CRC check with LLMK_E_FORMAT', () => {
  const rec = frameRecord(new TextEncoder().encode('payload'));
  const badData = rec.slice();
  badData[13] ^= 1;
  assert.throws(
    () => readRecords(badData),
    (e: unknown) => e instanceof LlmkError && /data CRC/.test(e.message),
  );
  const badLength = rec.slice();
  badLength[0] ^= 1;
  assert.throws(
    () => readRecords(badLength),
    (e: unknown) => e instanceof LlmkError && /length CRC/.test(e.message),
  );
});

test('EventFileWriter writes a file_version record then one event per logScalars call', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmk-tfevents-'));
  try {
    const writer = new EventFileWriter(dir, 1700000000.5);
    writer.logScalars(1, { loss: 4.25 }, 1700000001);
    writer.logScalars(2, { loss: 3.5, lr: 0.001 }, 1700000002);
    writer.close();
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^events\.out\.tfevents\.1700000000\./);
    const events = readEventFile(join(dir, files[0]));
    assert.deepEqual(events[0], { wallTime: 1700000000.5, step: 0, fileVersion: FILE_VERSION });
    assert.deepEqual(events[1], { wallTime: 1700000001, step: 1, scalars: { loss: 4.25 } });
    assert.deepEqual(events[2].scalars, { loss: 3.5, lr: Math.fround(0.001) });
    assert.throws(
      () => writer.logScalars(3, {}, 0),
      (e: unknown) => e instanceof LlmkError && e.code === 'LLMK_E_DISPOSED',
    );
    // Garbage after the last record is either a CRC failure or a short tail: here a short tail.
    writeFileSync(
      join(dir, files[0]),
      Buffer.concat([readFileSync(join(dir, files[0])), Buffer.from([1, 2, 3])]),
    );
    assert.equal(readEventFile(join(dir, files[0])).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
