#!/usr/bin/python3
"""Golden values for the tensor engine: a tiny 2-layer GPT-2 written in plain PyTorch.

Writes test/golden/fixtures/gpt2_tiny_engine.safetensors with
  param.<hf name>      initial parameters (Hugging Face GPT-2 keys, Conv1D (in, out) layout)
  input.idx            (B, T) I32 token ids
  input.targets        (B, T) I32 next-token targets
  out.logits           (B, T, V) logits of the forward pass
  out.loss             () mean cross-entropy
  grad.<hf name>       d loss / d param at the initial parameters
  adamw3.<hf name>     parameters after 3 torch.optim.AdamW steps on the same batch
  adamw3.loss.{0,1,2}  () loss before each of those steps

Run with Debian's torch (CPU, float32):  /usr/bin/python3 scripts/golden/gpt_engine.py
The file is written by hand in the safetensors layout (python3-safetensors is not packaged by
Debian): 8-byte little-endian header length, compact JSON header padded with spaces to 8 bytes,
tensors sorted by descending dtype then name, exactly as huggingface/safetensors `prepare` does.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

# Config: GPT-2 architecture at toy size.
V, N_CTX, N_LAYER, N_HEAD, C = 64, 16, 2, 4, 32
B, T = 2, 8
LR, BETAS, EPS, WD, STEPS = 1e-2, (0.9, 0.999), 1e-8, 0.1, 3

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'fixtures',
                   'gpt2_tiny_engine.safetensors')


def init_params(gen):
    """Parameters larger than GPT-2's std 0.02 so attention is far from uniform and every
    bias / LayerNorm affine term matters (a dropped term then shows in the outputs)."""
    def normal(shape, std, mean=0.0):
        return (mean + std * torch.randn(*shape, generator=gen)).float()

    p = {
        'transformer.wte.weight': normal((V, C), 0.3),
        'transformer.wpe.weight': normal((N_CTX, C), 0.1),
    }
    for i in range(N_LAYER):
        h = f'transformer.h.{i}.'
        p[h + 'ln_1.weight'] = normal((C,), 0.1, 1.0)
        p[h + 'ln_1.bias'] = normal((C,), 0.1)
        p[h + 'attn.c_attn.weight'] = normal((C, 3 * C), 0.3)
        p[h + 'attn.c_attn.bias'] = normal((3 * C,), 0.1)
        p[h + 'attn.c_proj.weight'] = normal((C, C), 0.1)
        p[h + 'attn.c_proj.bias'] = normal((C,), 0.1)
        p[h + 'ln_2.weight'] = normal((C,), 0.1, 1.0)
        p[h + 'ln_2.bias'] = normal((C,), 0.1)
        p[h + 'mlp.c_fc.weight'] = normal((C, 4 * C), 0.2)
        p[h + 'mlp.c_fc.bias'] = normal((4 * C,), 0.1)
        p[h + 'mlp.c_proj.weight'] = normal((4 * C, C), 0.1)
        p[h + 'mlp.c_proj.bias'] = normal((C,), 0.1)
    p['transformer.ln_f.weight'] = normal((C,), 0.1, 1.0)
    p['transformer.ln_f.bias'] = normal((C,), 0.1)
    return p


def gpt2_forward(p, idx):
    """GPT-2 (Radford et al. 2019; HF modeling_gpt2): learned positions, pre-LN blocks,
    fused c_attn, GELU (tanh), final ln_f, lm_head tied to wte."""
    Bn, Tn = idx.shape
    HS = C // N_HEAD
    x = p['transformer.wte.weight'][idx] + p['transformer.wpe.weight'][:Tn]  # (B, T, C)
    causal = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    for i in range(N_LAYER):
        h = f'transformer.h.{i}.'
        a = F.layer_norm(x, (C,), p[h + 'ln_1.weight'], p[h + 'ln_1.bias'], 1e-5)
        qkv = a @ p[h + 'attn.c_attn.weight'] + p[h + 'attn.c_attn.bias']  # (B, T, 3C)
        q, k, v = qkv.split(C, dim=2)
        q = q.view(Bn, Tn, N_HEAD, HS).transpose(1, 2)  # (B, NH, T, HS)
        k = k.view(Bn, Tn, N_HEAD, HS).transpose(1, 2)
        v = v.view(Bn, Tn, N_HEAD, HS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HS)  # (B, NH, T, T)
        att = att.masked_fill(~causal, float('-inf')).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(Bn, Tn, C)  # (B, T, C)
        x = x + (y @ p[h + 'attn.c_proj.weight'] + p[h + 'attn.c_proj.bias'])
        m = F.layer_norm(x, (C,), p[h + 'ln_2.weight'], p[h + 'ln_2.bias'], 1e-5)
        m = F.gelu(m @ p[h + 'mlp.c_fc.weight'] + p[h + 'mlp.c_fc.bias'], approximate='tanh')  # (B, T, 4C)
        x = x + (m @ p[h + 'mlp.c_proj.weight'] + p[h + 'mlp.c_proj.bias'])
    x = F.layer_norm(x, (C,), p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], 1e-5)
    return x @ p['transformer.wte.weight'].t()  # (B, T, V)


# ---- safetensors writer (huggingface/safetensors layout, byte for byte) ----

# Rank in the Rust `Dtype` enum (declared in increasing alignment); the writer sorts descending.
DTYPE_RANK = {'U8': 1, 'I8': 2, 'I32': 9, 'F32': 11}
TORCH_DTYPE = {torch.float32: 'F32', torch.int32: 'I32'}


def write_safetensors(path, tensors):
    items = [(name, TORCH_DTYPE[t.dtype], t.contiguous()) for name, t in tensors.items()]
    items.sort(key=lambda it: it[0])
    items.sort(key=lambda it: DTYPE_RANK[it[1]], reverse=True)  # stable: name order within a dtype
    header, blobs, offset = {}, [], 0
    for name, dtype, t in items:
        data = t.numpy().astype('<f4' if dtype == 'F32' else '<i4').tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    hb = json.dumps(header, separators=(',', ':')).encode('utf-8')
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    tmp = path + f'.tmp-{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(hb)))
        f.write(hb)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    params = init_params(gen)
    idx = torch.randint(0, V, (B, T), generator=gen, dtype=torch.int64)
    targets = torch.randint(0, V, (B, T), generator=gen, dtype=torch.int64)

    out = {f'param.{k}': v.clone() for k, v in params.items()}
    out['input.idx'] = idx.to(torch.int32)
    out['input.targets'] = targets.to(torch.int32)

    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    logits = gpt2_forward(leaves, idx)
    loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
    loss.backward()
    out['out.logits'] = logits.detach().clone()
    out['out.loss'] = loss.detach().clone().reshape(())
    for k, v in leaves.items():
        out[f'grad.{k}'] = v.grad.detach().clone()

    # Three AdamW steps, all parameters in one group, loss recomputed each step.
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    opt = torch.optim.AdamW(list(leaves.values()), lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)
    for step in range(STEPS):
        opt.zero_grad()
        step_loss = F.cross_entropy(gpt2_forward(leaves, idx).view(-1, V), targets.view(-1))
        step_loss.backward()
        opt.step()
        out[f'adamw3.loss.{step}'] = step_loss.detach().clone().reshape(())
    for k, v in leaves.items():
        out[f'adamw3.{k}'] = v.detach().clone()

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_safetensors(OUT, out)
    losses = ', '.join(f'{out[f"adamw3.loss.{s}"].item():.6f}' for s in range(STEPS))
    print(f'wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes, {len(out)} tensors); '
          f'torch {torch.__version__}; loss {loss.item():.6f}; adamw losses {losses}', file=sys.stderr)


if __name__ == '__main__':
    main()
