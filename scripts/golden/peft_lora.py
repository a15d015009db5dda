#!/usr/bin/python3
"""Golden LoRA adapters in Hugging Face PEFT's on-disk layout, over the tiny HF models of hf_models.py.

Debian packages neither `transformers` nor `peft`, so PEFT's LoRA is written here in plain torch with
the semantics of peft src/peft/tuners/lora/layer.py (peft 0.17):
  lora_A.weight (r, in), lora_B.weight (out, r); scaling = lora_alpha / r, or / sqrt(r) with use_rslora;
  rank_pattern overrides r per module; unmerged forward  base(x) + lora_B(lora_A(dropout(x))) * scaling;
  merge  W += transpose(B @ A, fan_in_fan_out) * scaling  (GPT-2's Conv1D stores W as (in, out)).
Keys follow get_peft_model_state_dict (peft src/peft/utils/save_and_load.py): the adapter name removed,
every key prefixed `base_model.model.`; modules_to_save saved under the module's own name.
adapter_config.json is written as PEFT's PeftConfigMixin.save_pretrained does:
json.dumps(output_dict, indent=2, sort_keys=True), every LoraConfig field.

For each base (test/golden/fixtures/hf-tiny-{gpt2,llama}) this writes peft-lora-<name>/ with
adapter_config.json, adapter_model.safetensors (non-zero B, so the adapter changes the logits) and
golden.safetensors: input.idx (2, 8) I32, out.logits (the unmerged adapter forward, eval mode),
out.logits_merged (the base forward of hf_models.py on the merged weights, an independent code path)
and merged.<key> for every weight the merge changes.

Run with Debian's torch (CPU, float32):  /usr/bin/python3 scripts/golden/peft_lora.py
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_models  # noqa: E402  (same folder: base forwards and the safetensors writer)
from hf_models import GPT2, LLAMA, ROOT, write_safetensors  # noqa: E402

PEFT_LAYOUT_VERSION = '0.17.1'  # the LoraConfig field set written below (src/peft/config.ts has the same)


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32', (name, info['dtype'])
        b, e = info['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(info['shape']).clone()
    return out


def lora_config(**fields):
    """Every field PEFT 0.17's LoraConfig.to_dict() writes, with PEFT's defaults, then `fields`."""
    c = {
        'alora_invocation_tokens': None, 'alpha_pattern': {}, 'arrow_config': None, 'auto_mapping': None,
        'base_model_name_or_path': None, 'bias': 'none', 'corda_config': None, 'ensure_weight_tying': False,
        'eva_config': None, 'exclude_modules': None, 'fan_in_fan_out': False, 'inference_mode': True,
        'init_lora_weights': True, 'layer_replication': None, 'layers_pattern': None,
        'layers_to_transform': None, 'loftq_config': {}, 'lora_alpha': 8, 'lora_bias': False,
        'lora_dropout': 0.0, 'megatron_config': None, 'megatron_core': 'megatron.core',
        'modules_to_save': None, 'peft_type': 'LORA', 'peft_version': PEFT_LAYOUT_VERSION,
        'qalora_group_size': 16, 'r': 8, 'rank_pattern': {}, 'revision': None, 'target_modules': None,
        'target_parameters': None, 'task_type': None, 'trainable_token_indices': None, 'use_dora': False,
        'use_qalora': False, 'use_rslora': False,
    }
    c.update(fields)
    return c


def make_adapter(gen, params, modules, config, conv1d):
    """A/B per target module: A kaiming_uniform_(a=sqrt(5)) (bound 1/sqrt(in)), B normal(0, 0.2) (non-zero)."""
    lora = {}
    for m in modules:
        W = params[m + '.weight']
        in_f, out_f = (W.shape[0], W.shape[1]) if conv1d else (W.shape[1], W.shape[0])
        r = next((v for k, v in config['rank_pattern'].items() if m == k or m.endswith('.' + k)), config['r'])
        alpha = next((v for k, v in config['alpha_pattern'].items() if m == k or m.endswith('.' + k)),
                     config['lora_alpha'])
        bound = 1.0 / math.sqrt(in_f)
        A = ((torch.rand(r, in_f, generator=gen) * 2 - 1) * bound).float()  # (r, in)
        B = (0.2 * torch.randn(out_f, r, generator=gen)).float()  # (out, r)
        scaling = alpha / math.sqrt(r) if config['use_rslora'] else alpha / r
        lora[m] = (A, B, scaling)
    return lora


def delta(A, B, scaling, conv1d):
    d = (B @ A) * scaling  # (out, in)
    return d.t() if conv1d else d


def lora_out(x, name, lora):
    if name not in lora:
        return 0
    A, B, s = lora[name]
    return (F.dropout(x, 0.0) @ A.t()) @ B.t() * s  # eval mode: dropout is the identity


def gpt2_forward_lora(p, idx, lora):
    """hf_models.gpt2_forward with PEFT's unmerged LoRA added to every adapted Conv1D."""
    C, NH = GPT2['n_embd'], GPT2['n_head']
    Bn, Tn = idx.shape
    HS = C // NH

    def conv1d(x, name):
        return x @ p[name + '.weight'] + p[name + '.bias'] + lora_out(x, name, lora)

    x = p['transformer.wte.weight'][idx] + p['transformer.wpe.weight'][:Tn]
    causal = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    for i in range(GPT2['n_layer']):
        h = f'transformer.h.{i}.'
        a = F.layer_norm(x, (C,), p[h + 'ln_1.weight'], p[h + 'ln_1.bias'], 1e-5)
        q, k, v = conv1d(a, h + 'attn.c_attn').split(C, dim=2)
        q, k, v = (z.view(Bn, Tn, NH, HS).transpose(1, 2) for z in (q, k, v))
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(HS)).masked_fill(~causal, float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(Bn, Tn, C)
        x = x + conv1d(y, h + 'attn.c_proj')
        m = F.layer_norm(x, (C,), p[h + 'ln_2.weight'], p[h + 'ln_2.bias'], 1e-5)
        m = F.gelu(conv1d(m, h + 'mlp.c_fc'), approximate='tanh')
        x = x + conv1d(m, h + 'mlp.c_proj')
    x = F.layer_norm(x, (C,), p['transformer.ln_f.weight'], p['transformer.ln_f.bias'], 1e-5)
    return x @ p['transformer.wte.weight'].t()


def llama_forward_lora(p, idx, lora):
    """hf_models.llama_forward (untied head) with PEFT's unmerged LoRA added to every adapted Linear."""
    C, NH, NKV = LLAMA['hidden_size'], LLAMA['num_attention_heads'], LLAMA['num_key_value_heads']
    eps, theta = LLAMA['rms_norm_eps'], LLAMA['rope_theta']
    Bn, Tn = idx.shape
    HS = C // NH
    inv_freq = 1.0 / (theta ** (torch.arange(0, HS, 2).float() / HS))
    freqs = torch.outer(torch.arange(Tn).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    causal = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))

    def lin(x, name):
        return x @ p[name + '.weight'].t() + lora_out(x, name, lora)

    rms, rot = hf_models.rms_norm, hf_models.rotate_half
    x = p['model.embed_tokens.weight'][idx]
    for i in range(LLAMA['num_hidden_layers']):
        h = f'model.layers.{i}.'
        a = rms(x, p[h + 'input_layernorm.weight'], eps)
        q = lin(a, h + 'self_attn.q_proj').view(Bn, Tn, NH, HS).transpose(1, 2)
        k = lin(a, h + 'self_attn.k_proj').view(Bn, Tn, NKV, HS).transpose(1, 2)
        v = lin(a, h + 'self_attn.v_proj').view(Bn, Tn, NKV, HS).transpose(1, 2)
        q = q * cos + rot(q) * sin
        k = k * cos + rot(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(HS)).masked_fill(~causal, float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(Bn, Tn, NH * HS)
        x = x + lin(y, h + 'self_attn.o_proj')
        m = rms(x, p[h + 'post_attention_layernorm.weight'], eps)
        x = x + lin(F.silu(lin(m, h + 'mlp.gate_proj')) * lin(m, h + 'mlp.up_proj'), h + 'mlp.down_proj')
    x = rms(x, p['model.norm.weight'], eps)
    return x @ p['lm_head.weight'].t()


def write_adapter(name, config, lora, saved, idx, logits, merged_logits, merged):
    d = os.path.join(ROOT, f'peft-lora-{name}')
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'adapter_config.json'), 'w') as f:
        f.write(json.dumps(config, indent=2, sort_keys=True))  # PeftConfigMixin.save_pretrained
    tensors = {}
    for m, (A, B, _) in lora.items():
        tensors[f'base_model.model.{m}.lora_A.weight'] = A
        tensors[f'base_model.model.{m}.lora_B.weight'] = B
    for k, v in saved.items():
        tensors[f'base_model.model.{k}'] = v
    write_safetensors(os.path.join(d, 'adapter_model.safetensors'), tensors)
    golden = {'input.idx': idx.to(torch.int32), 'out.logits': logits, 'out.logits_merged': merged_logits}
    golden.update({f'merged.{k}': v for k, v in merged.items()})
    write_safetensors(os.path.join(d, 'golden.safetensors'), golden)
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f'wrote {os.path.normpath(d)} ({size} bytes, {len(tensors)} adapter tensors)', file=sys.stderr)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        # GPT-2: Conv1D targets c_attn and both c_proj (suffix match), fan_in_fan_out as PEFT forces it.
        base_dir = os.path.join(ROOT, 'hf-tiny-gpt2')
        p = read_safetensors(os.path.join(base_dir, 'model.safetensors'))
        idx = torch.randint(0, GPT2['vocab_size'], (2, 8), generator=gen, dtype=torch.int64)
        config = lora_config(r=4, lora_alpha=8, lora_dropout=0.05, target_modules=['c_attn', 'c_proj'],
                             fan_in_fan_out=True, base_model_name_or_path='hf-tiny-gpt2', task_type='CAUSAL_LM')
        modules = [k[:-len('.weight')] for k in p if k.endswith(('attn.c_attn.weight', 'c_proj.weight'))]
        lora = make_adapter(gen, p, sorted(modules), config, conv1d=True)
        logits = gpt2_forward_lora(p, idx, lora)
        merged = {m + '.weight': p[m + '.weight'] + delta(A, B, s, True) for m, (A, B, s) in lora.items()}
        pm = dict(p, **merged)
        write_adapter('gpt2', config, lora, {}, idx, logits, hf_models.gpt2_forward(pm, idx), merged)

        # Llama: rsLoRA, rank_pattern, layers_to_transform [1], and the LM head in modules_to_save.
        base_dir = os.path.join(ROOT, 'hf-tiny-llama')
        p = read_safetensors(os.path.join(base_dir, 'model.safetensors'))
        config = lora_config(r=2, lora_alpha=4, use_rslora=True, target_modules=['q_proj', 'v_proj', 'down_proj'],
                             rank_pattern={'down_proj': 4}, layers_to_transform=[1], modules_to_save=['lm_head'],
                             base_model_name_or_path='hf-tiny-llama', task_type='CAUSAL_LM')
        modules = [f'model.layers.1.{m}' for m in ('self_attn.q_proj', 'self_attn.v_proj', 'mlp.down_proj')]
        lora = make_adapter(gen, p, modules, config, conv1d=False)
        head = p['lm_head.weight'] + 0.1 * torch.randn(p['lm_head.weight'].shape, generator=gen)
        ph = dict(p, **{'lm_head.weight': head})
        logits = llama_forward_lora(ph, idx, lora)
        merged = {m + '.weight': p[m + '.weight'] + delta(A, B, s, False) for m, (A, B, s) in lora.items()}
        merged['lm_head.weight'] = head
        pm = dict(p, **merged)
        write_adapter('llama', config, lora, {'lm_head.weight': head}, idx, logits,
                      hf_models.llama_forward(pm, idx, False), merged)
    print(f'torch {torch.__version__}', file=sys.stderr)


if __name__ == '__main__':
    main()
