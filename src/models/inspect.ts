/**
 * `inspectModel(path)`: what a model file holds without building the model — architecture, the
 * hyperparameters, parameter count, dtypes and a tensor table. HF directories and GGUF files are
 * read header-only; llama2.c checkpoints have no tensor table, so it is derived from their header.
 */
import { join } from 'node:path';
import { GGML_TYPES, type GgufValue, readGguf } from '../formats/gguf.js';
import { readJsonObject } from '../formats/json.js';
import { openSafetensorsDir } from '../formats/sharded.js';
import { readLlama2c } from './llama/llama2c.js';
import { detectModelFormat, type ModelFormat } from './load.js';
import { familyForModelType } from './registry.js';

export interface TensorRow {
  name: string;
  dtype: string;
  /** torch order (outermost first). */
  shape: number[];
}

export interface ModelInspection {
  path: string;
  format: ModelFormat;
  architecture: string;
  /** Hyperparameters as the file states them. */
  config: Record<string, unknown>;
  parameters: number;
  /** Element count per dtype. */
  dtypes: Record<string, number>;
  tensors: TensorRow[];
}

function summarise(rows: TensorRow[]): { parameters: number; dtypes: Record<string, number> } {
  const dtypes: Record<string, number> = {};
  let parameters = 0;
  for (const r of rows) {
    const n = r.shape.reduce((a, b) => a * b, 1);
    parameters += n;
    dtypes[r.dtype] = (dtypes[r.dtype] ?? 0) + n;
  }
  return { parameters, dtypes };
}

function plain(v: GgufValue): unknown {
  if (v.type === 'array') return `[${v.itemType} × ${v.value.length}]`;
  return typeof v.value === 'bigint' ? v.value.toString() : v.value;
}

export function inspectModel(path: string): ModelInspection {
  const format = detectModelFormat(path);
  if (format === 'hf') {
    const configPath = join(path, 'config.json');
    const json = readJsonObject(configPath);
    const config = familyForModelType(json.model_type, configPath).parseConfig(json, configPath);
    const source = openSafetensorsDir(path);
    try {
      const tensors = source.keys().map((name) => {
        const info = source.info(name);
        return { name, dtype: info.dtype, shape: [...info.shape] };
      });
      return {
        path,
        format,
        architecture: String(json.model_type),
        config: { ...config },
        ...summarise(tensors),
        tensors,
      };
    } finally {
      source.close();
    }
  }
  if (format === 'gguf') {
    const file = readGguf(path);
    const tensors = file.tensors.map((t) => ({
      name: t.name,
      dtype: GGML_TYPES[t.type]?.name ?? `type ${t.type}`,
      shape: [...t.shape].reverse(),
    }));
    const arch = file.metadata.get('general.architecture');
    const config: Record<string, unknown> = {};
    for (const [k, v] of file.metadata)
      if (!k.startsWith('tokenizer.ggml.') || v.type !== 'array') config[k] = plain(v);
    for (const [k, v] of file.metadata)
      if (k.startsWith('tokenizer.ggml.') && v.type === 'array') config[k] = plain(v);
    return {
      path,
      format,
      architecture: arch?.type === 'string' ? arch.value : 'unknown',
      config,
      ...summarise(tensors),
      tensors,
    };
  }
  const ck = readLlama2c(path);
  const tensors = [...ck.weights].map(([name, data]) => ({ name, dtype: 'F32', shape: [data.length] }));
  const c = ck.config;
  const shapes: Record<string, number[]> = {
    'model.embed_tokens.weight': [c.vocabSize, c.dim],
    'lm_head.weight': [c.vocabSize, c.dim],
    'self_attn.q_proj.weight': [c.nHead * c.headDim, c.dim],
    'self_attn.k_proj.weight': [c.nKvHead * c.headDim, c.dim],
    'self_attn.v_proj.weight': [c.nKvHead * c.headDim, c.dim],
    'self_attn.o_proj.weight': [c.dim, c.nHead * c.headDim],
    'mlp.gate_proj.weight': [c.hiddenDim, c.dim],
    'mlp.up_proj.weight': [c.hiddenDim, c.dim],
    'mlp.down_proj.weight': [c.dim, c.hiddenDim],
  };
  for (const t of tensors) {
    const key = Object.keys(shapes).find((k) => t.name === k || t.name.endsWith(`.${k}`));
    if (key) t.shape = shapes[key];
  }
  return {
    path,
    format,
    architecture: 'llama',
    config: { ...c, llama2cVersion: ck.version },
    ...summarise(tensors),
    tensors,
  };
}

/** The inspection as text: a header block, then one line per tensor. */
export function formatInspection(r: ModelInspection): string {
  const lines = [
    `path:         ${r.path}`,
    `format:       ${r.format}`,
    `architecture: ${r.architecture}`,
    `parameters:   ${r.parameters.toLocaleString('en-US')}`,
    `dtypes:       ${Object.entries(r.dtypes)
      .map(([d, n]) => `${d} ${n.toLocaleString('en-US')}`)
      .join(', ')}`,
    'config:',
    ...Object.entries(r.config).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
    `tensors (${r.tensors.length}):`,
  ];
  const width = Math.max(4, ...r.tensors.map((t) => t.name.length));
  lines.push(`  ${'name'.padEnd(width)}  dtype  shape`);
  for (const t of r.tensors)
    lines.push(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(5)}  [${t.shape.join(', ')}]`);
  return `${lines.join('\n')}\n`;
}
