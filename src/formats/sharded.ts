/**
 * Hugging Face model directories: one `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` = { "metadata": { "total_size": n }, "weight_map": { name: file } }
 * (transformers' `save_pretrained(max_shard_size=…)`). Both open behind the same lazy API as a file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LlmkError } from '../errors.js';
import { jsonSyntaxProblem } from './json.js';
import {
  openSafetensors,
  type SafetensorsInfo,
  type SafetensorsSource,
  type SafetensorsTensor,
} from './safetensors.js';

export const SAFETENSORS_SINGLE = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

/** The parsed index: which shard file holds each tensor. */
export interface SafetensorsIndex {
  readonly totalSize: number | null;
  readonly weightMap: ReadonlyMap<string, string>;
}

/** Parses and validates an index file's text (shard names must be plain file names inside the directory). */
export function parseSafetensorsIndex(path: string, text: string): SafetensorsIndex {
  const bad = (what: string): LlmkError =>
    new LlmkError(
      'LLMK_E_FORMAT',
      `${path}: ${what}`,
      'expected {"metadata": {"total_size": n}, "weight_map": {"tensor name": "shard file"}}',
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`not valid JSON (${jsonSyntaxProblem(e)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('not a JSON object');
  const { metadata, weight_map: map } = json as Record<string, unknown>;
  let totalSize: number | null = null;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
      throw bad('"metadata" is not an object');
    const ts = (metadata as Record<string, unknown>).total_size;
    if (ts !== undefined) {
      if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)
        throw bad(`metadata.total_size ${JSON.stringify(ts)} is not a byte count`);
      totalSize = ts;
    }
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw bad('"weight_map" is missing or not an object');
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== 'string' || file === '' || basename(file) !== file || file === '.' || file === '..') {
      throw bad(`weight_map['${name}'] = ${JSON.stringify(file)} is not a file name in the same directory`);
    }
    weightMap.set(name, file);
  }
  return { totalSize, weightMap };
}

/** Several shard files seen as one source; each tensor is read from the shard the index names. */
class ShardedSafetensors implements SafetensorsSource {
  constructor(
    private readonly indexPath: string,
    private readonly shards: ReadonlyMap<string, SafetensorsSource>,
    private readonly owner: ReadonlyMap<string, SafetensorsSource>,
    private readonly order: readonly string[],
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  keys(): string[] {
    return [...this.order];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  private source(name: string): SafetensorsSource {
    const s = this.owner.get(name);
    if (!s)
      throw new LlmkError(
        'LLMK_E_NOT_FOUND',
        `${this.indexPath}: no tensor '${name}' in the weight map`,
        `the checkpoint has ${this.owner.size} tensors; list them with keys()`,
      );
    return s;
  }

  info(name: string): SafetensorsInfo {
    return this.source(name).info(name);
  }

  read(name: string): SafetensorsTensor {
    return this.source(name).read(name);
  }

  readFloatInto(name: string, dst: Float32Array): void {
    this.source(name).readFloatInto(name, dst);
  }

  close(): void {
    for (const s of this.shards.values()) s.close();
  }
}

/**
 * Opens the safetensors weights of a model directory: `model.safetensors` when present (as
 * transformers prefers it), else the index and its shards. Only headers are read; every tensor the
 * index names must exist in its shard.
 */
export function openSafetensorsDir(dir: string): SafetensorsSource {
  const single = join(dir, SAFETENSORS_SINGLE);
  if (existsSync(single)) return openSafetensors(single);
  const indexPath = join(dir, SAFETENSORS_INDEX);
  if (!existsSync(indexPath)) {
    throw new LlmkError(
      'LLMK_E_NOT_FOUND',
      `${dir}: neither ${SAFETENSORS_SINGLE} nor ${SAFETENSORS_INDEX}`,
      'pass a Hugging Face model directory saved with safetensors weights',
    );
  }
  const index = parseSafetensorsIndex(indexPath, readFileSync(indexPath, 'utf8'));
  const files = [...new Set(index.weightMap.values())].sort();
  const shards = new Map<string, SafetensorsSource>();
  try {
    for (const file of files) shards.set(file, openSafetensors(join(dir, file)));
    const owner = new Map<string, SafetensorsSource>();
    const order: string[] = [];
    for (const file of files) {
      const shard = shards.get(file)!;
      for (const name of shard.keys()) {
        if (index.weightMap.get(name) === file) {
          owner.set(name, shard);
          order.push(name);
        }
      }
    }
    for (const [name, file] of index.weightMap) {
      if (!owner.has(name)) {
        throw new LlmkError(
          'LLMK_E_FORMAT',
          `${indexPath}: tensor '${name}' is mapped to ${file}, which does not contain it`,
          'the index and the shards disagree; re-save the checkpoint',
        );
      }
    }
    const first = files.length > 0 ? shards.get(files[0])!.metadata : {};
    return new ShardedSafetensors(indexPath, shards, owner, order, first);
  } catch (e) {
    for (const s of shards.values()) s.close();
    throw e;
  }
}
