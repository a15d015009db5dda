/**
 * Llama ↔ GGUF with the names and metadata llama.cpp expects (llama-arch.cpp LLM_ARCH_LLAMA, gguf-py
 * constants.py): `token_embd.weight`, `blk.N.attn_norm.weight`, `blk.N.attn_q.weight`, …,
 * `output_norm.weight`, `output.weight` (left out when tied: llama.cpp then reuses token_embd);
 * `llama.*` hyperparameters and a `tokenizer.ggml.*` SentencePiece vocabulary.
 * llama.cpp rotates adjacent pairs, so q/k rows are stored in Meta's interleaved order
 * (convert_hf_to_gguf.py permutes them) and permuted back to HF order on load.
 * Q8_0 needs rows that are a multiple of 32 values; other matrices and all norms stay F32 (as
 * llama.cpp's converter falls back for tensors it cannot quantize).
 */
import { LlmkError } from '../../errors.js';
import { type GgufFile, ggufNumber, ggufString, readGguf, readGgufTensor } from '../../formats/gguf.js';
import { type GgufWriteTensor, type GgufWriteValue, serializeGguf } from '../../formats/gguf-write.js';
import type { Engine } from '../../tensor/engine.js';
import { LLAMA2C_BOS, LLAMA2C_EOS, Llama2cTokenizer } from '../../tokenize/llama2c.js';
import { buildWithin } from '../budget.js';
import { type LlamaConfig, llamaConfig } from './config.js';
import { Llama } from './model.js';
import { halfToInterleaved, interleavedToHalf } from './rope-permute.js';

export type GgufWeightType = 'f32' | 'q8_0';

/** HF name → GGUF name for one layer's tensors. */
const LAYER_NAMES: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};

/** GGUF tensor name for an HF Llama parameter name. */
export function ggufName(hfName: string): string {
  if (hfName === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hfName === 'model.norm.weight') return 'output_norm.weight';
  if (hfName === 'lm_head.weight') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  const suffix = m ? LAYER_NAMES[m[2]] : undefined;
  if (!m || !suffix) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `tensor '${hfName}' has no GGUF llama name`,
      'only bias-free Llama-architecture models are written to GGUF',
    );
  }
  return `blk.${m[1]}.${suffix}`;
}

/** SentencePiece token types (llama.cpp llama_token_type). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

/** tokenizer.ggml.* for a llama2.c vocabulary: spaces back to `▁`, BOS/EOS their SentencePiece names. */
function vocabMetadata(tok: Llama2cTokenizer, meta: Map<string, GgufWriteValue>): void {
  const tokens = tok.vocab.map((piece, id) => {
    if (id === LLAMA2C_BOS) return '<s>';
    if (id === LLAMA2C_EOS) return '</s>';
    return piece.replaceAll(' ', '\u2581');
  });
  const types = tok.vocab.map((piece, id) => {
    if (id === 0) return TOKEN_TYPE.unknown;
    if (id === LLAMA2C_BOS || id === LLAMA2C_EOS) return TOKEN_TYPE.control;
    return /^<0x[0-9A-F]{2}>$/.test(piece) ? TOKEN_TYPE.byte : TOKEN_TYPE.normal;
  });
  meta.set('tokenizer.ggml.model', { type: 'string', value: 'llama' });
  meta.set('tokenizer.ggml.pre', { type: 'string', value: 'default' });
  meta.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens });
  meta.set('tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: tok.scores });
  meta.set('tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: types });
  meta.set('tokenizer.ggml.bos_token_id', { type: 'u32', value: LLAMA2C_BOS });
  meta.set('tokenizer.ggml.eos_token_id', { type: 'u32', value: LLAMA2C_EOS });
  meta.set('tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 });
  meta.set('tokenizer.ggml.add_bos_token', { type: 'bool', value: true });
  meta.set('tokenizer.ggml.add_eos_token', { type: 'bool', value: false });
}

/** The bytes of a GGUF file holding `model` (and its SentencePiece-style vocabulary, when given). */
export function llamaToGguf(
  model: Llama,
  options: { type?: GgufWeightType; tokenizer?: Llama2cTokenizer | null; name?: string } = {},
): Buffer {
  const c = model.config;
  if (c.qkvBias || c.oBias || c.mlpBias) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      'GGUF export of a Llama with linear biases',
      'only bias-free Llama-architecture models are written to GGUF',
    );
  }
  const type = options.type ?? 'f32';
  const u32 = (value: number): GgufWriteValue => ({ type: 'u32', value });
  const meta = new Map<string, GgufWriteValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: options.name ?? 'llmk-llama' }],
    // llama_ftype: 0 = ALL_F32, 7 = MOSTLY_Q8_0.
    ['general.file_type', u32(type === 'q8_0' ? 7 : 0)],
    ['llama.vocab_size', u32(c.vocabSize)],
    ['llama.context_length', u32(c.nCtx)],
    ['llama.embedding_length', u32(c.dim)],
    ['llama.block_count', u32(c.nLayer)],
    ['llama.feed_forward_length', u32(c.hiddenDim)],
    ['llama.rope.dimension_count', u32(c.headDim)],
    ['llama.attention.head_count', u32(c.nHead)],
    ['llama.attention.head_count_kv', u32(c.nKvHead)],
    ['llama.attention.key_length', u32(c.headDim)],
    ['llama.attention.value_length', u32(c.headDim)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: c.rmsNormEps }],
    ['llama.rope.freq_base', { type: 'f32', value: c.ropeTheta }],
  ]);
  if (type === 'q8_0') meta.set('general.quantization_version', u32(2));
  if (options.tokenizer) vocabMetadata(options.tokenizer, meta);
  const tensors: GgufWriteTensor[] = [];
  for (const [name, t] of model.namedParameters()) {
    let data: Float32Array = Float32Array.from(t.values());
    if (name.endsWith('q_proj.weight')) data = halfToInterleaved(data, c.nHead, c.dim);
    else if (name.endsWith('k_proj.weight')) data = halfToInterleaved(data, c.nKvHead, c.dim);
    const quantize = type === 'q8_0' && t.rank === 2 && t.shape[1] % 32 === 0;
    tensors.push({ name: ggufName(name), shape: t.shape, data, type: quantize ? 'Q8_0' : 'F32' });
  }
  return serializeGguf(meta, tensors);
}

/** The Llama config a GGUF file's `llama.*` metadata describes. */
export function llamaConfigFromGguf(file: GgufFile): LlamaConfig {
  const arch = ggufString(file, 'general.architecture');
  if (arch !== 'llama') {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${file.path}: GGUF architecture '${arch}'`,
      'llmk loads GGUF models of the llama architecture',
    );
  }
  const opt = (key: string, fallback: number): number =>
    file.metadata.has(key) ? ggufNumber(file, key) : fallback;
  const embd = file.tensors.find((t) => t.name === 'token_embd.weight');
  if (!embd) throw new LlmkError('LLMK_E_CHECKPOINT', `${file.path}: missing tensor 'token_embd.weight'`);
  const nHead = ggufNumber(file, 'llama.attention.head_count');
  const dim = ggufNumber(file, 'llama.embedding_length');
  const headDim = opt('llama.attention.key_length', dim / nHead);
  const ropeDim = opt('llama.rope.dimension_count', headDim);
  if (ropeDim !== headDim) {
    throw new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `${file.path}: llama.rope.dimension_count ${ropeDim} ≠ head size ${headDim} (partial rotary)`,
      "llmk's Llama rotates the whole head; a partial rotary dimension is not supported",
    );
  }
  return llamaConfig({
    vocabSize: embd.shape[1],
    nCtx: ggufNumber(file, 'llama.context_length'),
    nLayer: ggufNumber(file, 'llama.block_count'),
    nHead,
    nKvHead: opt('llama.attention.head_count_kv', nHead),
    dim,
    headDim,
    hiddenDim: ggufNumber(file, 'llama.feed_forward_length'),
    // Stored as f32: round to the f32 the file holds, as llama.cpp uses it.
    rmsNormEps: opt('llama.attention.layer_norm_rms_epsilon', 1e-5),
    ropeTheta: opt('llama.rope.freq_base', 10000),
    tieEmbeddings: !file.tensors.some((t) => t.name === 'output.weight'),
  });
}

/** A llama2.c-style tokenizer from a `llama` (SentencePiece) GGUF vocabulary with byte tokens at 3…258. */
export function llama2cTokenizerFromGguf(file: GgufFile): Llama2cTokenizer | null {
  const tokens = file.metadata.get('tokenizer.ggml.tokens');
  const scores = file.metadata.get('tokenizer.ggml.scores');
  if (file.metadata.get('tokenizer.ggml.model')?.type !== 'string') return null;
  if (ggufString(file, 'tokenizer.ggml.model') !== 'llama') return null;
  if (tokens?.type !== 'array' || tokens.itemType !== 'string') return null;
  if (scores?.type !== 'array' || scores.itemType !== 'f32') return null;
  const vocab = tokens.value as string[];
  if (vocab.length < 259 || vocab[3] !== '<0x00>' || vocab[258] !== '<0xFF>') return null;
  const pieces = vocab.map((t) => new Uint8Array(Buffer.from(t.replaceAll('\u2581', ' '), 'utf8')));
  const maxLen = pieces.reduce((m, p) => Math.max(m, p.length), 1);
  return new Llama2cTokenizer(pieces, scores.value as number[], maxLen);
}

/** Loads a llama-architecture GGUF into a Llama (Q8_0/F16 dequantized to f32). */
export function llamaFromGguf(engine: Engine, path: string): { model: Llama; file: GgufFile } {
  const file = readGguf(path);
  const config = llamaConfigFromGguf(file);
  const fileBytes = file.tensors.reduce((n, t) => n + 4 * t.shape.reduce((a, b) => a * b, 1), 0);
  const model = buildWithin(engine, fileBytes, path, () => new Llama(engine, config, { init: 'empty' }));
  const state = model.stateDict();
  const byGguf = new Map<string, string>();
  for (const name of state.keys()) byGguf.set(ggufName(name), name);
  const values = new Map<string, Float32Array>();
  for (const info of file.tensors) {
    const name = byGguf.get(info.name);
    if (name === undefined) {
      // rope_freqs.weight carries Llama 3.1 frequency factors: a model llmk would compute wrongly.
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${path}: unexpected tensor '${info.name}'`,
        'the file has weights a plain Llama does not',
      );
    }
    const want = state.get(name)!.shape;
    const shape = [...info.shape].reverse();
    if (shape.join(',') !== want.join(',')) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${path}: tensor '${info.name}' has shape [${shape.join(', ')}], the config implies [${want.join(', ')}]`,
        'the metadata and the tensors disagree',
      );
    }
    let data = readGgufTensor(file, info);
    if (info.name.endsWith('attn_q.weight')) data = interleavedToHalf(data, config.nHead, config.dim);
    else if (info.name.endsWith('attn_k.weight')) data = interleavedToHalf(data, config.nKvHead, config.dim);
    values.set(name, data);
  }
  for (const [name] of model.namedParameters()) {
    if (!values.has(name)) {
      throw new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${path}: missing tensor '${ggufName(name)}'`,
        'the file is incomplete for its llama.* metadata',
      );
    }
  }
  model.loadState(values);
  model.eval();
  return { model, file };
}
