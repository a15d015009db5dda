/**
 * Runs documents from a JSONL file through a chain of stages into a JSONL file (and optionally
 * packs the result into token shards). One pass, one document in flight: memory is bounded by the
 * longest document plus whatever index a stage keeps (the dedup index).
 */
import { readFileSync, rmSync } from 'node:fs';
import { LlmkError } from '../errors.js';
import type { ProgressMode } from '../track/progress.js';
import { DEFAULT_CLEAN } from './clean.js';
import { ByteEncoder, CharEncoder, type TokenEncoder } from './encoders.js';
import { fileSize } from './lines.js';
import { checkWritable, discardOutput, JsonlWriter, tempPath } from './output.js';
import { type PackOptions, type PackReport, packDocs } from './pack.js';
import { PII_TYPES } from './pii.js';
import { ByteProgress } from './progress.js';
import { readJsonl } from './readers.js';
import { type DocStage, type DocStageConfig, makeStage } from './stages.js';
import type { StageReport } from './types.js';

export interface RunOptions {
  input: string;
  /** JSONL output; may be omitted when the pipeline ends in `pack`. */
  output?: string;
  /** Dotted path of the text field in the input (default `text`). */
  field?: string;
  force?: boolean;
  progress?: ProgressMode;
}

export interface PipelineReport {
  input: string;
  output: string | null;
  inputBytes: number;
  docsIn: number;
  docsOut: number;
  seconds: number;
  stages: (StageReport | PackReport)[];
}

/** Streams `input` through `stages` into `output`. */
export async function runStages(
  stages: DocStage[],
  options: RunOptions & { output: string },
): Promise<PipelineReport> {
  const started = performance.now();
  const inputBytes = await fileSize(options.input);
  const writer = new JsonlWriter(options.output, options.force ?? false, [options.input]);
  const label = stages.map((s) => s.report.stage).join('+') || 'copy';
  const progress = new ByteProgress(label, inputBytes, options.progress ?? 'bar');
  let bytes = 0;
  let docsIn = 0;
  try {
    for await (const { value, line } of readJsonl(options.input, {
      field: options.field,
      onBytes: (b) => (bytes = b),
    })) {
      docsIn++;
      let doc: typeof value | null = value;
      for (const stage of stages) {
        doc = stage.apply(doc, line);
        if (doc === null) break;
      }
      if (doc !== null) writer.write(doc);
      if ((docsIn & 255) === 0) progress.update(bytes, { docs: docsIn });
    }
    writer.close();
  } catch (err) {
    writer.abort();
    throw err;
  }
  progress.finish({ docs: docsIn });
  return {
    input: options.input,
    output: options.output,
    inputBytes,
    docsIn,
    docsOut: writer.count,
    seconds: (performance.now() - started) / 1000,
    stages: stages.map((s) => s.finish()),
  };
}

export type TokenizerSpec = 'byte' | 'char';

export interface PackStageConfig {
  stage: 'pack';
  /** Output directory of the shards. */
  output: string;
  tokenizer?: TokenizerSpec;
  valFraction?: number;
  seed?: number;
  shardTokens?: number;
}

/** Builds the encoder; `char` reads the input once to collect its characters. */
export async function makeEncoder(spec: TokenizerSpec, input: string, field?: string): Promise<TokenEncoder> {
  if (spec === 'byte') return new ByteEncoder();
  const chars = new Set<string>();
  for await (const { value } of readJsonl(input, { field })) for (const c of value.text) chars.add(c);
  return new CharEncoder(chars);
}

/** Packs a JSONL file into token shards. */
export async function packJsonl(
  input: string,
  outDir: string,
  options: Omit<PackOptions, 'encoder'> & {
    tokenizer?: TokenizerSpec;
    field?: string;
    progress?: ProgressMode;
    encoder?: TokenEncoder;
  },
): Promise<PackReport> {
  const total = await fileSize(input);
  const encoder = options.encoder ?? (await makeEncoder(options.tokenizer ?? 'byte', input, options.field));
  const progress = new ByteProgress('pack', total, options.progress ?? 'bar');
  let bytes = 0;
  let n = 0;
  async function* docs() {
    for await (const { value } of readJsonl(input, { field: options.field, onBytes: (b) => (bytes = b) })) {
      if ((++n & 255) === 0) progress.update(bytes, { docs: n });
      yield value;
    }
  }
  const report = await packDocs(docs(), outDir, { ...options, encoder });
  progress.finish({ docs: n });
  return report;
}

export interface PipelineConfig {
  input: string;
  output?: string;
  field?: string;
  force?: boolean;
  stages: (DocStageConfig | PackStageConfig)[];
}

const STAGE_KEYS: Record<string, string[]> = {
  clean: Object.keys(DEFAULT_CLEAN),
  filter: ['quality', 'repetition'],
  dedup: ['exact', 'minhash', 'reportClusters'],
  mask: ['types'],
  pack: ['output', 'tokenizer', 'valFraction', 'seed', 'shardTokens'],
};

/** Checks a parsed pipeline config: known stages and keys, pack last, outputs present. */
export function validatePipelineConfig(raw: unknown, where: string): PipelineConfig {
  const fail = (msg: string): never => {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `${where}: ${msg}`,
      'see the "Data" section of the README for the config layout',
    );
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('expected a JSON object');
  const c = raw as Record<string, unknown>;
  for (const key of Object.keys(c))
    if (!['input', 'output', 'field', 'force', 'stages'].includes(key)) fail(`unknown key "${key}"`);
  if (typeof c.input !== 'string') fail('"input" must be a path string');
  if (c.output !== undefined && typeof c.output !== 'string') fail('"output" must be a path string');
  if (!Array.isArray(c.stages) || c.stages.length === 0) fail('"stages" must be a non-empty array');
  const stages = c.stages as unknown[];
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i];
    if (s === null || typeof s !== 'object') fail(`stages[${i}] must be an object`);
    const st = s as Record<string, unknown>;
    const keys = STAGE_KEYS[String(st.stage)];
    if (!keys)
      fail(
        `stages[${i}].stage must be one of ${Object.keys(STAGE_KEYS).join(', ')} (got ${JSON.stringify(st.stage)})`,
      );
    for (const key of Object.keys(st))
      if (key !== 'stage' && !keys.includes(key))
        fail(`stages[${i}] (${st.stage}): unknown key "${key}" (known: ${keys.join(', ')})`);
    if (st.stage === 'pack' && i !== stages.length - 1) fail('"pack" must be the last stage');
    if (st.stage === 'pack' && typeof st.output !== 'string')
      fail(`stages[${i}] (pack): "output" (a directory) is required`);
    if (
      st.stage === 'pack' &&
      st.tokenizer !== undefined &&
      st.tokenizer !== 'byte' &&
      st.tokenizer !== 'char'
    )
      fail(`stages[${i}] (pack): tokenizer must be "byte" or "char"`);
    if (
      st.stage === 'mask' &&
      st.types !== undefined &&
      (!Array.isArray(st.types) || !st.types.every((t) => PII_TYPES.includes(t)))
    )
      fail(`stages[${i}] (mask): types must be a list of ${PII_TYPES.join(', ')}`);
  }
  const last = stages[stages.length - 1] as Record<string, unknown>;
  if (last.stage !== 'pack' && typeof c.output !== 'string')
    fail('"output" is required unless the last stage is "pack"');
  return c as unknown as PipelineConfig;
}

/** Reads and validates a pipeline config file. */
export function loadPipelineConfig(path: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LlmkError('LLMK_E_NOT_FOUND', `${path}: cannot read pipeline config`, 'check the path');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `${path}: invalid JSON (${(err as Error).message})`,
      'fix the JSON syntax',
    );
  }
  return validatePipelineConfig(raw, path);
}

/** Runs a whole pipeline config: the document stages, then `pack` when it is the last stage. */
export async function runPipeline(
  config: PipelineConfig,
  overrides: { force?: boolean; progress?: ProgressMode } = {},
): Promise<PipelineReport> {
  const force = overrides.force ?? config.force ?? false;
  const last = config.stages[config.stages.length - 1];
  const pack = last.stage === 'pack' ? (last as PackStageConfig) : null;
  const docStages = (pack ? config.stages.slice(0, -1) : config.stages).map((s) =>
    makeStage(s as DocStageConfig),
  );
  // Refuse an existing shard directory before hours of work, not after.
  if (pack) checkWritable(pack.output, force, 'dir', [config.input]);
  if (config.output !== undefined) checkWritable(config.output, force, 'file', [config.input]);
  const jsonl = config.output ?? tempPath(`${(pack as PackStageConfig).output}.docs.jsonl`);
  if (pack && config.output === undefined) rmSync(jsonl, { force: true });
  try {
    const report = await runStages(docStages, {
      input: config.input,
      output: jsonl,
      field: config.field,
      force,
      progress: overrides.progress,
    });
    if (pack) {
      const { stage: _stage, output, ...packOptions } = pack;
      report.stages.push(
        await packJsonl(jsonl, output, {
          ...packOptions,
          force,
          progress: overrides.progress,
          inputs: [config.input],
        }),
      );
    }
    report.output = config.output ?? null;
    return report;
  } finally {
    if (config.output === undefined) discardOutput(jsonl);
  }
}
