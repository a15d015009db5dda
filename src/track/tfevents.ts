/**
 * TensorBoard event files: TFRecord framing around serialized `Event` protobufs.
 *
 * Record (tensorflow/core/lib/io/record_writer.cc):
 *   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
 * Messages (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto):
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; }
 * The first record of a file is an Event carrying only `file_version: "brain.Event:2"`.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LlmkError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';
import type { Tracker } from './metrics.js';
import {
  ProtoWriter,
  readFields,
  varintSize,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
} from './protobuf.js';

export const FILE_VERSION = 'brain.Event:2';

export interface TfEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** tag → value for every `simple_value` in the event's summary. */
  scalars?: Record<string, number>;
}

/** UTF-8 bytes of tags seen so far: the same few tags repeat every step. */
const tagBytes = new Map<string, Uint8Array>();
const UTF8 = new TextEncoder();

function tagUtf8(tag: string): Uint8Array {
  let bytes = tagBytes.get(tag);
  if (!bytes) {
    bytes = UTF8.encode(tag);
    if (tagBytes.size < 4096) tagBytes.set(tag, bytes);
  }
  return bytes;
}

/**
 * Serializes one Event message. Nested Summary/Value messages are sized first and written in
 * place, so one event costs one buffer.
 */
export function encodeEvent(event: TfEvent): Uint8Array {
  const w = new ProtoWriter().double(1, event.wallTime);
  if (event.step !== 0) w.int64(2, event.step);
  if (event.fileVersion !== undefined) w.string(3, event.fileVersion);
  if (event.scalars) {
    const values = Object.entries(event.scalars).map(([tag, value]) => {
      const tagBytes = tagUtf8(tag);
      // Value = tag (key, length, bytes) + simple_value (key, 4 bytes).
      return { tagBytes, value, size: 1 + varintSize(tagBytes.length) + tagBytes.length + 5 };
    });
    const summarySize = values.reduce((n, v) => n + 1 + varintSize(v.size) + v.size, 0);
    w.header(5, summarySize);
    for (const v of values) w.header(1, v.size).bytes(1, v.tagBytes).float(2, v.value);
  }
  return w.finish();
}

/** Parses one Event message; fields other than the four above are skipped. */
export function decodeEvent(bytes: Uint8Array): TfEvent {
  const event: TfEvent = { wallTime: 0, step: 0 };
  const text = new TextDecoder();
  for (const f of readFields(bytes)) {
    if (f.field === 1 && f.wire === WIRE_I64) event.wallTime = f.view.getFloat64(0, true);
    else if (f.field === 2 && f.wire === WIRE_VARINT) event.step = Number(BigInt.asIntN(64, f.value));
    else if (f.field === 3 && f.wire === WIRE_LEN) event.fileVersion = text.decode(f.bytes);
    else if (f.field === 5 && f.wire === WIRE_LEN) {
      const scalars: Record<string, number> = {};
      for (const v of readFields(f.bytes)) {
        if (v.field !== 1 || v.wire !== WIRE_LEN) continue;
        let tag = '';
        let value: number | undefined;
        for (const x of readFields(v.bytes)) {
          if (x.field === 1 && x.wire === WIRE_LEN) tag = text.decode(x.bytes);
          else if (x.field === 2 && x.wire === WIRE_I32) value = x.view.getFloat32(0, true);
        }
        if (value !== undefined) scalars[tag] = value;
      }
      event.scalars = scalars;
    }
  }
  return event;
}

/** Frames `data` as one TFRecord. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * Splits a TFRecord stream into record payloads, checking both CRCs of each.
 * A final record cut short (a writer still running) ends the list without error; a CRC
 * mismatch is an error because it means the bytes on disk are not what was written.
 */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    const lengthCrc = view.getUint32(at + 8, true);
    if (maskedCrc32c(bytes.subarray(at, at + 8)) !== lengthCrc) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `TFRecord length CRC mismatch at byte ${at}`,
        'the event file is damaged; it was not written by a TFRecord writer or was overwritten',
      );
    }
    if (at + 12 + length + 4 > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (maskedCrc32c(data) !== view.getUint32(at + 12 + length, true)) {
      throw new LlmkError(
        'LLMK_E_FORMAT',
        `TFRecord data CRC mismatch at byte ${at}`,
        'the event file is damaged',
      );
    }
    records.push(data);
    at += 12 + length + 4;
  }
  return records;
}

/** Reads every Event of a TensorBoard event file. */
export function readEventFile(path: string): TfEvent[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new LlmkError('LLMK_E_IO', `cannot read event file ${path}: ${(err as Error).message}`);
  }
  return readRecords(bytes).map(decodeEvent);
}

/** TensorFlow's naming: `events.out.tfevents.<unix seconds>.<hostname>`; TensorBoard globs on the prefix. */
export function eventFileName(wallTimeSeconds: number, host = hostname()): string {
  return `events.out.tfevents.${Math.floor(wallTimeSeconds)}.${host}`;
}

/**
 * Appends scalar Events to one event file. Each record is written with one `write` so a
 * reader (TensorBoard, the dashboard) never sees a half-framed record from a finished call.
 */
export class EventFileWriter implements Tracker {
  readonly path: string;
  private fd: number | null;

  constructor(dir: string, wallTimeSeconds = Date.now() / 1000) {
    this.path = join(dir, eventFileName(wallTimeSeconds));
    try {
      this.fd = openSync(this.path, 'a');
    } catch (err) {
      throw new LlmkError('LLMK_E_IO', `cannot open event file ${this.path}: ${(err as Error).message}`);
    }
    this.writeEvent({ wallTime: wallTimeSeconds, step: 0, fileVersion: FILE_VERSION });
  }

  writeEvent(event: TfEvent): void {
    if (this.fd === null) throw new LlmkError('LLMK_E_DISPOSED', `event file ${this.path} is closed`);
    writeSync(this.fd, frameRecord(encodeEvent(event)));
  }

  logScalars(step: number, scalars: Record<string, number>, wallTimeSeconds: number): void {
    this.writeEvent({ wallTime: wallTimeSeconds, step, scalars });
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
