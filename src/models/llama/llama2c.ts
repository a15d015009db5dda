/**
 * llama2.c model checkpoints (https://github.com/karpathy/llama2.c, export.py), float32 only:
 * - legacy (version 0): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 *   seq_len; a negative vocab_size means an unshared classifier), then token embeddings, per-layer
 *   groups rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, the final rms weight, the RoPE tables
 *   freq_cis_real and freq_cis_imag (seq_len × head_size/2 each, unused), then wcls if unshared.
 *   This is what run.c reads.
 * - version 1: a 256-byte header (uint32 magic "ak42", int32 version = 1, the 7 int32 params, uint8
 *   shared_classifier, zero padding), then attention norms, ffn norms, final norm, token embeddings,
 *   wq, wk, wv, wo, w1, w2, w3 (each for every layer), then the classifier if unshared.
 * Matrices are torch (out, in) row-major. q/k rows come in Meta's interleaved rotary order and are
 * permuted to Hugging Face's rotate_half order on read (and back on write), so the loaded Llama uses
 * HF conventions throughout. llama2.c fixes θ = 10000 and the RMSNorm ε = 1e-5.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { LlmkError } from '../../errors.js';
import { openForRead } from '../../formats/open.js';
import { type LlamaConfig, llamaConfig } from './config.js';
import { halfToInterleaved, interleavedToHalf } from './rope-permute.js';

const MAGIC_V1 = 0x616b3432; // "ak42" as a little-endian uint32
const V1_HEADER_BYTES = 256;
const LEGACY_HEADER_BYTES = 28;

export interface Llama2cCheckpoint {
  config: LlamaConfig;
  /** Weights by Hugging Face name, q/k rows in rotate_half order. */
  weights: Map<string, Float32Array>;
  version: 0 | 1;
}

interface Params {
  dim: number;
  hidden: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  vocab: number;
  seqLen: number;
  shared: boolean;
}

/** One tensor of the file layout: HF name, element count. */
type Slot = { name: string; size: number };

function perLayer(p: Params, suffix: string, size: number): Slot[] {
  return Array.from({ length: p.nLayer }, (_, l) => ({ name: `model.layers.${l}.${suffix}`, size }));
}

function sizes(p: Params) {
  const hs = p.dim / p.nHead;
  const kvDim = p.nKvHead * hs;
  return {
    hs,
    attnNorm: perLayer(p, 'input_layernorm.weight', p.dim),
    ffnNorm: perLayer(p, 'post_attention_layernorm.weight', p.dim),
    wq: perLayer(p, 'self_attn.q_proj.weight', p.dim * p.dim),
    wk: perLayer(p, 'self_attn.k_proj.weight', kvDim * p.dim),
    wv: perLayer(p, 'self_attn.v_proj.weight', kvDim * p.dim),
    wo: perLayer(p, 'self_attn.o_proj.weight', p.dim * p.dim),
    w1: perLayer(p, 'mlp.gate_proj.weight', p.hidden * p.dim),
    w2: perLayer(p, 'mlp.down_proj.weight', p.dim * p.hidden),
    w3: perLayer(p, 'mlp.up_proj.weight', p.hidden * p.dim),
    embed: { name: 'model.embed_tokens.weight', size: p.vocab * p.dim },
    norm: { name: 'model.norm.weight', size: p.dim },
    head: { name: 'lm_head.weight', size: p.vocab * p.dim },
  };
}

/** The tensors in file order; `null` marks the skipped RoPE tables of the legacy layout. */
function layout(p: Params, version: 0 | 1): Array<Slot | { skip: number }> {
  const s = sizes(p);
  const head = p.shared ? [] : [s.head];
  if (version === 0) {
    return [
      s.embed,
      ...s.attnNorm,
      ...s.wq,
      ...s.wk,
      ...s.wv,
      ...s.wo,
      ...s.ffnNorm,
      ...s.w1,
      ...s.w2,
      ...s.w3,
      s.norm,
      { skip: p.seqLen * (s.hs / 2) * 2 },
      ...head,
    ];
  }
  return [
    ...s.attnNorm,
    ...s.ffnNorm,
    s.norm,
    s.embed,
    ...s.wq,
    ...s.wk,
    ...s.wv,
    ...s.wo,
    ...s.w1,
    ...s.w2,
    ...s.w3,
    ...head,
  ];
}

/** The float count layout(p, version) adds up to, computed without building it. */
function floatCount(p: Params, version: 0 | 1): number {
  const hs = p.dim / p.nHead;
  const kvDim = p.nKvHead * hs;
  const perLayer = 2 * p.dim + 2 * p.dim * p.dim + 2 * kvDim * p.dim + 3 * p.hidden * p.dim;
  const classifiers = p.shared ? 1 : 2;
  const rope = version === 0 ? p.seqLen * hs : 0;
  return p.nLayer * perLayer + classifiers * p.vocab * p.dim + p.dim + rope;
}

function toConfig(p: Params): LlamaConfig {
  return llamaConfig({
    vocabSize: p.vocab,
    nCtx: p.seqLen,
    nLayer: p.nLayer,
    nHead: p.nHead,
    nKvHead: p.nKvHead,
    dim: p.dim,
    hiddenDim: p.hidden,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    tieEmbeddings: p.shared,
  });
}

function formatError(path: string, what: string): LlmkError {
  return new LlmkError(
    'LLMK_E_FORMAT',
    `${path}: ${what}`,
    'expected a float32 llama2.c checkpoint (legacy or version 1, from export.py)',
  );
}

/** Reads a llama2.c checkpoint; every size is checked against the file before anything is read. */
export function readLlama2c(path: string): Llama2cCheckpoint {
  const fd = openForRead(path);
  try {
    const fileSize = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(V1_HEADER_BYTES, fileSize));
    readSync(fd, head, 0, head.length, 0);
    if (head.length < LEGACY_HEADER_BYTES)
      throw formatError(path, `${fileSize} bytes is too short for a header`);
    const version: 0 | 1 = head.readUInt32LE(0) === MAGIC_V1 ? 1 : 0;
    if (version === 1) {
      if (head.length < V1_HEADER_BYTES) throw formatError(path, 'truncated version-1 header');
      const v = head.readInt32LE(4);
      if (v !== 1) {
        throw new LlmkError(
          'LLMK_E_UNSUPPORTED',
          `${path}: llama2.c checkpoint version ${v}`,
          'versions 0 (legacy) and 1 (float32) are read; re-export with export.py --version 1',
        );
      }
    }
    const at = version === 1 ? 8 : 0;
    const ints = Array.from({ length: 7 }, (_, i) => head.readInt32LE(at + 4 * i));
    const [dim, hidden, nLayer, nHead, nKvHead, vocabRaw, seqLen] = ints;
    const names = ['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'];
    ints.forEach((v, i) => {
      if (i !== 5 && (v <= 0 || v > 1 << 24)) throw formatError(path, `header ${names[i]} = ${v}`);
    });
    const vocab = Math.abs(vocabRaw);
    if (vocab === 0 || vocab > 1 << 24) throw formatError(path, `header vocab_size = ${vocabRaw}`);
    if (dim % nHead !== 0 || nHead % nKvHead !== 0 || (dim / nHead) % 2 !== 0) {
      throw formatError(path, `header dim ${dim}, n_heads ${nHead}, n_kv_heads ${nKvHead} are inconsistent`);
    }
    const shared = version === 1 ? head.readUInt8(36) === 1 : vocabRaw > 0;
    const p: Params = { dim, hidden, nLayer, nHead, nKvHead, vocab, seqLen, shared };
    const start = version === 1 ? V1_HEADER_BYTES : LEGACY_HEADER_BYTES;
    // Sizes by arithmetic, before layout() builds per-layer lists: a 28-byte file declaring 2^24
    // layers once made it build ~150M slot objects (minutes, then out of memory) before this check.
    const floats = floatCount(p, version);
    const expected = start + 4 * floats;
    if (fileSize !== expected) {
      throw formatError(
        path,
        `${fileSize} bytes, but the header (dim ${dim}, hidden ${hidden}, ${nLayer} layers, vocab ${vocabRaw}, seq_len ${seqLen}${version === 1 ? `, shared ${shared}` : ''}) implies ${expected}`,
      );
    }
    const slots = layout(p, version);
    const weights = new Map<string, Float32Array>();
    let pos = start;
    for (const slot of slots) {
      if ('skip' in slot) {
        pos += 4 * slot.skip;
        continue;
      }
      const data = new Float32Array(slot.size);
      readSync(fd, new Uint8Array(data.buffer), 0, 4 * slot.size, pos);
      pos += 4 * slot.size;
      weights.set(slot.name, data);
    }
    for (let l = 0; l < nLayer; l++) {
      const q = `model.layers.${l}.self_attn.q_proj.weight`;
      const k = `model.layers.${l}.self_attn.k_proj.weight`;
      weights.set(q, interleavedToHalf(weights.get(q)!, nHead, dim));
      weights.set(k, interleavedToHalf(weights.get(k)!, nKvHead, dim));
    }
    return { config: toConfig(p), weights, version };
  } finally {
    closeSync(fd);
  }
}

/** Configs llama2.c can represent: no biases, θ = 10000, ε = 1e-5, head size dim / n_heads. */
function checkRepresentable(c: LlamaConfig): void {
  const bad: string[] = [];
  if (c.qkvBias || c.oBias || c.mlpBias) bad.push('linear biases');
  if (c.ropeTheta !== 10000) bad.push(`rope theta ${c.ropeTheta}`);
  if (Math.abs(c.rmsNormEps - 1e-5) > 1e-12) bad.push(`rms_norm_eps ${c.rmsNormEps}`);
  if (c.headDim * c.nHead !== c.dim) bad.push(`head_dim ${c.headDim} ≠ dim / n_heads`);
  if (bad.length > 0) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `llama2.c cannot represent this model: ${bad.join(', ')}`,
      'convert to hf or gguf instead',
    );
  }
}

/**
 * The bytes of a llama2.c checkpoint for HF-named weights (legacy layout by default, which run.c
 * reads; version 1 on request). The legacy RoPE tables are written as run.c's train.py computes them.
 */
export function serializeLlama2c(
  config: LlamaConfig,
  weights: Map<string, Float32Array>,
  version: 0 | 1 = 0,
): Buffer {
  checkRepresentable(config);
  const p: Params = {
    dim: config.dim,
    hidden: config.hiddenDim,
    nLayer: config.nLayer,
    nHead: config.nHead,
    nKvHead: config.nKvHead,
    vocab: config.vocabSize,
    seqLen: config.nCtx,
    shared: config.tieEmbeddings,
  };
  const parts: Buffer[] = [];
  const ints = [p.dim, p.hidden, p.nLayer, p.nHead, p.nKvHead, p.vocab, p.seqLen];
  if (version === 1) {
    const h = Buffer.alloc(V1_HEADER_BYTES);
    h.writeUInt32LE(MAGIC_V1, 0);
    h.writeInt32LE(1, 4);
    ints.forEach((v, i) => {
      h.writeInt32LE(v, 8 + 4 * i);
    });
    h.writeUInt8(p.shared ? 1 : 0, 36);
    parts.push(h);
  } else {
    const h = Buffer.alloc(LEGACY_HEADER_BYTES);
    ints.forEach((v, i) => {
      h.writeInt32LE(i === 5 && !p.shared ? -v : v, 4 * i);
    });
    parts.push(h);
  }
  const hs = p.dim / p.nHead;
  for (const slot of layout(p, version)) {
    if ('skip' in slot) {
      // freq_cis_real then freq_cis_imag: cos/sin(pos · 10000^(−2i/hs)), (seq_len, hs/2) each.
      const half = hs / 2;
      const cos = new Float32Array(p.seqLen * half);
      const sin = new Float32Array(p.seqLen * half);
      for (let t = 0; t < p.seqLen; t++) {
        for (let i = 0; i < half; i++) {
          // model.py precompute_freqs_cis, in float32 as torch computes it.
          const freq = Math.fround(1 / Math.fround(10000 ** Math.fround((2 * i) / hs)));
          const angle = Math.fround(t * freq);
          cos[t * half + i] = Math.cos(angle);
          sin[t * half + i] = Math.sin(angle);
        }
      }
      parts.push(Buffer.from(cos.buffer), Buffer.from(sin.buffer));
      continue;
    }
    let w = weights.get(slot.name);
    if (!w) {
      throw new LlmkError('LLMK_E_CHECKPOINT', `missing tensor '${slot.name}'`, 'the model is incomplete');
    }
    if (w.length !== slot.size) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `tensor '${slot.name}' has ${w.length} values, llama2.c expects ${slot.size}`,
        'the weights do not match the config',
      );
    }
    if (slot.name.endsWith('q_proj.weight')) w = halfToInterleaved(w, p.nHead, p.dim);
    else if (slot.name.endsWith('k_proj.weight')) w = halfToInterleaved(w, p.nKvHead, p.dim);
    parts.push(Buffer.from(w.buffer, w.byteOffset, w.byteLength));
  }
  return Buffer.concat(parts);
}
