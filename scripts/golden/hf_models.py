#!/usr/bin/python3
"""Golden Hugging Face model directories: tiny random GPT-2, Llama and Qwen2 in plain PyTorch.

Debian packages no `transformers`, so the models are written here in plain torch with the
semantics of transformers' modeling_gpt2.py / modeling_llama.py / modeling_qwen2.py:
  GPT-2  learned positions, pre-LN, fused c_attn (Conv1D (in, out) layout), GELU tanh, tied lm_head.
  Llama  RMSNorm (x · rsqrt(mean(x²) + eps) · w), rotary embeddings with rotate_half
         (pairs i, i + d/2; inv_freq = 1 / θ^(2i/d)), grouped-query attention (repeat_kv),
         SwiGLU MLP down(silu(gate(x)) · up(x)), untied lm_head.
  Qwen2  Llama plus biases on q/k/v, tied embeddings; weights stored as BF16 (the forward runs in
         f32 on the bf16-rounded values, so a loader that widens BF16 to f32 must match).

Each model becomes test/golden/fixtures/hf-tiny-<name>/ with config.json (as transformers writes
it, bookkeeping fields included), model.safetensors (HF tensor names) and golden.safetensors
(input.idx (B, T) I32 and out.logits (B, T, V) F32).

Run with Debian's torch (CPU, float32):  /usr/bin/python3 scripts/golden/hf_models.py
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'fixtures')
B, T = 2, 8

# Rank in the Rust safetensors `Dtype` enum; files sort tensors by descending rank, then name.
DTYPE_RANK = {'BF16': 8, 'I32': 9, 'F32': 11}


def write_safetensors(path, tensors):
    """huggingface/safetensors layout, byte for byte (see gpt_engine.py)."""
    items = []
    for name, t in tensors.items():
        t = t.contiguous()
        if t.dtype == torch.float32:
            items.append((name, 'F32', t.numpy().astype('<f4').tobytes(), list(t.shape)))
        elif t.dtype == torch.int32:
            items.append((name, 'I32', t.numpy().astype('<i4').tobytes(), list(t.shape)))
        elif t.dtype == torch.bfloat16:
            items.append((name, 'BF16', t.view(torch.int16).numpy().astype('<i2').tobytes(), list(t.shape)))
        else:
            raise ValueError(t.dtype)
    items.sort(key=lambda it: it[0])
    items.sort(key=lambda it: DTYPE_RANK[it[1]], reverse=True)
    header, blobs, offset = {}, [], 0
    for name, dtype, data, shape in items:
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    hb = json.dumps(header, separators=(',', ':')).encode('utf-8')
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(hb)))
        f.write(hb)
        for blob in blobs:
            f.write(blob)


def normal(gen, shape, std, mean=0.0):
    return (mean + std * torch.randn(*shape, generator=gen)).float()


# ---------------------------------------------------------------- GPT-2

GPT2 = dict(vocab_size=48, n_positions=16, n_embd=16, n_layer=2, n_head=4)


def gpt2_params(gen):
    V, C, L = GPT2['vocab_size'], GPT2['n_embd'], GPT2['n_layer']
    p = {'transformer.wte.weight': normal(gen, (V, C), 0.3),
         'transformer.wpe.weight': normal(gen, (GPT2['n_positions'], C), 0.1)}
    for i in range(L):
        h = f'transformer.h.{i}.'
        p[h + 'ln_1.weight'] = normal(gen, (C,), 0.1, 1.0)
        p[h + 'ln_1.bias'] = normal(gen, (C,), 0.1)
        p[h + 'attn.c_attn.weight'] = normal(gen, (C, 3 * C), 0.3)
        p[h + 'attn.c_attn.bias'] = normal(gen, (3 * C,), 0.1)
        p[h + 'attn.c_proj.weight'] = normal(gen, (C, C), 0.2)
        p[h + 'attn.c_proj.bias'] = normal(gen, (C,), 0.1)
        p[h + 'ln_2.weight'] = normal(gen, (C,), 0.1, 1.0)
        p[h + 'ln_2.bias'] = normal(gen, (C,), 0.1)
        p[h + 'mlp.c_fc.weight'] = normal(gen, (C, 4 * C), 0.2)
        p[h + 'mlp.c_fc.bias'] = normal(gen, (4 * C,), 0.1)
        p[h + 'mlp.c_proj.weight'] = normal(gen, (4 * C, C), 0.1)
        p[h + 'mlp.c_proj.bias'] = normal(gen, (C,), 0.1)
    p['transformer.ln_f.weight'] = normal(gen, (C,), 0.1, 1.0)
    p['transformer.ln_f.bias'] = normal(gen, (C,), 0.1)
    return p


def gpt2_forward(p, idx):
    C, NH = GPT2['n_embd'], GPT2['n_head']
    Bn, Tn = idx.shape
    HS = C // NH
    x = p['transformer.wte.weight'][idx] + p['transformer.wpe.weight'][:Tn]  # (B, T, C)
    causal = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    for i in range(GPT2['n_layer']):
        h = f'transformer.h.{i}.'
        a = F.layer_norm(x, (C,), p[h + 'ln_1.weight'], p[h + 'ln_1.bias'], 1e-5)
        q, k, v = (a @ p[h + 'attn.c_attn.weight'] + p[h + 'attn.c_attn.bias']).split(C, dim=2)
        q, k, v = (z.view(Bn, Tn, NH, HS).transpose(1, 2) for z in (q, k, v))  # (B, NH, T, HS)
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(HS)).masked_fill(~causal, float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(Bn, Tn, C)
        x = x + (y @ p[h + 'attn.c_proj.weight'] + p[h + 'attn.c_proj.bias'])
        m = F.layer_norm(x, (C,), p[h + 'ln_2.weight'], p[h + 'ln_2.bias'], 1e-5)
        m = F.gelu(m @ p[h + 'mlp.c_fc.weight'] + p[h + 'mlp.c_fc.bias'], approximate='tanh')
        x = x + (m @ p[h + 'mlp.c_proj.weight'] + p[h + 'mlp.c_proj.bias'])
    x = F.layer_norm(x, (C,), p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], 1e-5)
    return x @ p['transformer.wte.weight'].t()  # (B, T, V)


def gpt2_config():
    return {
        'activation_function': 'gelu_new', 'architectures': ['GPT2LMHeadModel'], 'attn_pdrop': 0.1,
        'bos_token_id': 0, 'embd_pdrop': 0.1, 'eos_token_id': 0, 'initializer_range': 0.02,
        'layer_norm_epsilon': 1e-05, 'model_type': 'gpt2', 'n_embd': GPT2['n_embd'], 'n_head': GPT2['n_head'],
        'n_inner': None, 'n_layer': GPT2['n_layer'], 'n_positions': GPT2['n_positions'],
        'reorder_and_upcast_attn': False, 'resid_pdrop': 0.1, 'scale_attn_by_inverse_layer_idx': False,
        'scale_attn_weights': True, 'summary_activation': None, 'summary_first_dropout': 0.1,
        'summary_proj_to_labels': True, 'summary_type': 'cls_index', 'summary_use_proj': True,
        'torch_dtype': 'float32', 'transformers_version': '4.46.0', 'use_cache': True,
        'vocab_size': GPT2['vocab_size'],
    }


# ---------------------------------------------------------------- Llama family

LLAMA = dict(vocab_size=48, hidden_size=16, intermediate_size=40, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
             rms_norm_eps=1e-6, rope_theta=500000.0)


def llama_params(gen, qkv_bias, tied):
    V, C, H, L = LLAMA['vocab_size'], LLAMA['hidden_size'], LLAMA['intermediate_size'], LLAMA['num_hidden_layers']
    NH, NKV = LLAMA['num_attention_heads'], LLAMA['num_key_value_heads']
    HS = C // NH
    p = {'model.embed_tokens.weight': normal(gen, (V, C), 0.5)}
    for i in range(L):
        h = f'model.layers.{i}.'
        p[h + 'input_layernorm.weight'] = normal(gen, (C,), 0.1, 1.0)
        p[h + 'self_attn.q_proj.weight'] = normal(gen, (NH * HS, C), 0.4)
        p[h + 'self_attn.k_proj.weight'] = normal(gen, (NKV * HS, C), 0.4)
        p[h + 'self_attn.v_proj.weight'] = normal(gen, (NKV * HS, C), 0.3)
        if qkv_bias:
            p[h + 'self_attn.q_proj.bias'] = normal(gen, (NH * HS,), 0.2)
            p[h + 'self_attn.k_proj.bias'] = normal(gen, (NKV * HS,), 0.2)
            p[h + 'self_attn.v_proj.bias'] = normal(gen, (NKV * HS,), 0.2)
        p[h + 'self_attn.o_proj.weight'] = normal(gen, (C, NH * HS), 0.2)
        p[h + 'post_attention_layernorm.weight'] = normal(gen, (C,), 0.1, 1.0)
        p[h + 'mlp.gate_proj.weight'] = normal(gen, (H, C), 0.3)
        p[h + 'mlp.up_proj.weight'] = normal(gen, (H, C), 0.3)
        p[h + 'mlp.down_proj.weight'] = normal(gen, (C, H), 0.2)
    p['model.norm.weight'] = normal(gen, (C,), 0.1, 1.0)
    if not tied:
        p['lm_head.weight'] = normal(gen, (V, C), 0.3)
    return p


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama_forward(p, idx, tied):
    C, NH, NKV = LLAMA['hidden_size'], LLAMA['num_attention_heads'], LLAMA['num_key_value_heads']
    eps, theta = LLAMA['rms_norm_eps'], LLAMA['rope_theta']
    Bn, Tn = idx.shape
    HS = C // NH
    inv_freq = 1.0 / (theta ** (torch.arange(0, HS, 2).float() / HS))
    freqs = torch.outer(torch.arange(Tn).float(), inv_freq)  # (T, HS/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()  # (T, HS)
    causal = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))

    def lin(x, name):
        y = x @ p[name + '.weight'].t()
        return y + p[name + '.bias'] if name + '.bias' in p else y

    x = p['model.embed_tokens.weight'][idx]  # (B, T, C)
    for i in range(LLAMA['num_hidden_layers']):
        h = f'model.layers.{i}.'
        a = rms_norm(x, p[h + 'input_layernorm.weight'], eps)
        q = lin(a, h + 'self_attn.q_proj').view(Bn, Tn, NH, HS).transpose(1, 2)  # (B, NH, T, HS)
        k = lin(a, h + 'self_attn.k_proj').view(Bn, Tn, NKV, HS).transpose(1, 2)  # (B, NKV, T, HS)
        v = lin(a, h + 'self_attn.v_proj').view(Bn, Tn, NKV, HS).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=1)  # repeat_kv: (B, NH, T, HS)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(HS)).masked_fill(~causal, float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(Bn, Tn, NH * HS)
        x = x + lin(y, h + 'self_attn.o_proj')
        m = rms_norm(x, p[h + 'post_attention_layernorm.weight'], eps)
        x = x + lin(F.silu(lin(m, h + 'mlp.gate_proj')) * lin(m, h + 'mlp.up_proj'), h + 'mlp.down_proj')
    x = rms_norm(x, p['model.norm.weight'], eps)
    head = p['model.embed_tokens.weight'] if tied else p['lm_head.weight']
    return x @ head.t()  # (B, T, V)


def llama_config(model_type, tied):
    arch = {'llama': 'LlamaForCausalLM', 'qwen2': 'Qwen2ForCausalLM'}[model_type]
    c = {
        'architectures': [arch], 'attention_dropout': 0.0, 'bos_token_id': 1, 'eos_token_id': 2,
        'hidden_act': 'silu', 'hidden_size': LLAMA['hidden_size'], 'initializer_range': 0.02,
        'intermediate_size': LLAMA['intermediate_size'], 'max_position_embeddings': LLAMA['max_position_embeddings'],
        'model_type': model_type, 'num_attention_heads': LLAMA['num_attention_heads'],
        'num_hidden_layers': LLAMA['num_hidden_layers'], 'num_key_value_heads': LLAMA['num_key_value_heads'],
        'rms_norm_eps': LLAMA['rms_norm_eps'], 'rope_scaling': None, 'rope_theta': LLAMA['rope_theta'],
        'tie_word_embeddings': tied, 'torch_dtype': 'float32', 'transformers_version': '4.46.0',
        'use_cache': True, 'vocab_size': LLAMA['vocab_size'],
    }
    if model_type == 'llama':
        c.update({'attention_bias': False, 'mlp_bias': False, 'pretraining_tp': 1})
    else:
        c.update({'max_window_layers': 2, 'sliding_window': 32, 'use_sliding_window': False,
                  'torch_dtype': 'bfloat16'})
    return c


def write_model(name, config, params, stored, idx, logits):
    d = os.path.join(ROOT, f'hf-tiny-{name}')
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write('\n')
    write_safetensors(os.path.join(d, 'model.safetensors'), stored)
    write_safetensors(os.path.join(d, 'golden.safetensors'),
                      {'input.idx': idx.to(torch.int32), 'out.logits': logits.detach().clone()})
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f'wrote {os.path.normpath(d)} ({size} bytes, {len(params)} parameters tensors)', file=sys.stderr)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        idx = torch.randint(0, GPT2['vocab_size'], (B, T), generator=gen, dtype=torch.int64)
        p = gpt2_params(gen)
        write_model('gpt2', gpt2_config(), p, p, idx, gpt2_forward(p, idx))

        p = llama_params(gen, qkv_bias=False, tied=False)
        write_model('llama', llama_config('llama', False), p, p, idx, llama_forward(p, idx, False))

        p = llama_params(gen, qkv_bias=True, tied=True)
        stored = {k: v.to(torch.bfloat16) for k, v in p.items()}
        rounded = {k: v.float() for k, v in stored.items()}
        write_model('qwen2', llama_config('qwen2', True), p, stored, idx, llama_forward(rounded, idx, True))
    print(f'torch {torch.__version__}', file=sys.stderr)


if __name__ == '__main__':
    main()
