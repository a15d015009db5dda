/**
 * Packing: tokenise documents into token shards with an end-of-document id after each document,
 * split documents between train and validation with a seeded draw, and roll over to a new shard
 * every `shardTokens` tokens. Output is a directory: train-00000.bin …, val-00000.bin …, meta.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, LlmkError } from '../errors.js';
import type { TokenEncoder } from './encoders.js';
import { checkWritable, commitOutput, discardOutput, tempPath } from './output.js';
import { Rng } from './rng.js';
import { ShardWriter } from './shards.js';
import type { Doc } from './types.js';

export interface PackOptions {
  encoder: TokenEncoder;
  /** Fraction of documents drawn into validation (default 0.05). */
  valFraction?: number;
  /** Seed of the train/validation draw (default 0). */
  seed?: number;
  /** Tokens per shard before a new file starts (default 100 M, the FineWeb-edu shard size). */
  shardTokens?: number;
  force?: boolean;
  /** Input paths the output directory must not be or contain. */
  inputs?: readonly string[];
}

export interface SplitReport {
  docs: number;
  tokens: number;
  files: string[];
}

export interface PackReport {
  stage: 'pack';
  output: string;
  dtype: string;
  vocabSize: number;
  eosId: number;
  train: SplitReport;
  val: SplitReport;
  seconds: number;
}

class SplitWriter {
  readonly report: SplitReport = { docs: 0, tokens: 0, files: [] };
  private writer: ShardWriter | null = null;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly encoder: TokenEncoder,
    private readonly shardTokens: number,
  ) {}

  write(tokens: ArrayLike<number>): void {
    if (!this.writer || this.writer.numTokens >= this.shardTokens) {
      this.close();
      const file = `${this.name}-${String(this.report.files.length).padStart(5, '0')}.bin`;
      this.report.files.push(file);
      this.writer = new ShardWriter(join(this.dir, file), {
        vocabSize: this.encoder.vocabSize,
        eosId: this.encoder.eosId,
      });
    }
    this.writer.write(tokens);
    this.writer.write([this.encoder.eosId]);
    this.report.docs++;
    this.report.tokens += tokens.length + 1;
  }

  close(): void {
    this.writer?.close();
    this.writer = null;
  }
}

/** Packs documents into `outDir` (written under a temporary name and renamed when complete). */
export async function packDocs(
  docs: AsyncIterable<Doc> | Iterable<Doc>,
  outDir: string,
  options: PackOptions,
): Promise<PackReport> {
  const started = performance.now();
  const valFraction = options.valFraction ?? 0.05;
  check(
    valFraction >= 0 && valFraction < 1,
    'LLMK_E_ARG',
    () => `valFraction must be in [0, 1) (got ${valFraction})`,
  );
  const shardTokens = options.shardTokens ?? 100_000_000;
  check(shardTokens > 0, 'LLMK_E_ARG', () => `shardTokens must be positive (got ${shardTokens})`);
  checkWritable(outDir, options.force ?? false, 'dir', options.inputs ?? []);
  const temp = tempPath(outDir);
  mkdirSync(temp, { recursive: true });
  const { encoder } = options;
  const rng = new Rng(options.seed ?? 0);
  const train = new SplitWriter(temp, 'train', encoder, shardTokens);
  const val = new SplitWriter(temp, 'val', encoder, shardTokens);
  try {
    for await (const doc of docs) {
      // One draw per document whatever the split, so the assignment depends only on seed and order.
      const isVal = rng.nextFloat() < valFraction;
      (isVal ? val : train).write(encoder.encode(doc.text));
    }
    train.close();
    val.close();
    // An empty input used to "succeed" with a meta.json and no shard, which training then rejects.
    if (train.report.docs + val.report.docs === 0)
      throw new LlmkError(
        'LLMK_E_DATA',
        'no documents to pack: the input is empty (or every line was blank)',
        'check the input file (and --field); nothing was written',
      );
  } catch (e) {
    discardOutput(temp);
    throw e;
  }
  const report: PackReport = {
    stage: 'pack',
    output: outDir,
    dtype: encoder.vocabSize <= 65536 ? 'uint16' : 'uint32',
    vocabSize: encoder.vocabSize,
    eosId: encoder.eosId,
    train: train.report,
    val: val.report,
    seconds: (performance.now() - started) / 1000,
  };
  const meta = {
    format: 'llmk-token-shards',
    version: 1,
    tokenizer: encoder.describe(),
    valFraction,
    seed: options.seed ?? 0,
    ...report,
    output: undefined,
    seconds: undefined,
  };
  writeFileSync(join(temp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  commitOutput(temp, outDir);
  return report;
}
