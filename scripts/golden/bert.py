#!/usr/bin/python3
"""Golden values for BERT: a tiny BertForPreTraining written in plain PyTorch with Hugging Face's
names and semantics (Debian packages no `transformers`; this follows
transformers/models/bert/modeling_bert.py): post-LN blocks, exact erf GELU, LayerNorm eps 1e-12,
additive attention mask (1 − mask)·finfo(float32).min, tanh pooler on [CLS], masked-LM head
`cls.predictions.transform.{dense,LayerNorm}` + decoder tied to the word embeddings +
`cls.predictions.bias`, next-sentence head `cls.seq_relationship`.

Writes test/golden/fixtures/bert_tiny_pretraining.safetensors with
  param.<hf name>        parameters (HF BertForPreTraining keys, tied decoder left out)
  input.input_ids        (B, T) I32 (the second row right-padded with [PAD] = 0)
  input.token_type_ids   (B, T) I32
  input.attention_mask   (B, T) I32
  input.mlm_labels       (B, T) I32, −100 where not masked
  input.nsp_labels       (B,) I32
  out.sequence           (B, T, C) last hidden states
  out.pooled             (B, C)
  out.mlm_logits         (B, T, V)
  out.nsp_logits         (B, 2)
  out.loss               () masked-LM cross-entropy + next-sentence cross-entropy (HF total_loss)

Run with Debian's torch (CPU, float32):  /usr/bin/python3 scripts/golden/bert.py
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_engine import write_safetensors  # noqa: E402  (same hand-written safetensors layout)

V, P, TYPES, L, NH, C, H = 40, 16, 2, 2, 4, 16, 32
B, T = 2, 10
EPS = 1e-12

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'fixtures',
                   'bert_tiny_pretraining.safetensors')


def init_params(gen):
    """Larger than BERT's std 0.02 so attention is far from uniform and every term shows."""
    def normal(shape, std, mean=0.0):
        return (mean + std * torch.randn(*shape, generator=gen)).float()

    p = {
        'bert.embeddings.word_embeddings.weight': normal((V, C), 0.5),
        'bert.embeddings.position_embeddings.weight': normal((P, C), 0.3),
        'bert.embeddings.token_type_embeddings.weight': normal((TYPES, C), 0.3),
        'bert.embeddings.LayerNorm.weight': normal((C,), 0.1, 1.0),
        'bert.embeddings.LayerNorm.bias': normal((C,), 0.1),
    }
    for i in range(L):
        h = f'bert.encoder.layer.{i}.'
        for name in ('query', 'key', 'value'):
            p[h + f'attention.self.{name}.weight'] = normal((C, C), 0.4)
            p[h + f'attention.self.{name}.bias'] = normal((C,), 0.1)
        p[h + 'attention.output.dense.weight'] = normal((C, C), 0.3)
        p[h + 'attention.output.dense.bias'] = normal((C,), 0.1)
        p[h + 'attention.output.LayerNorm.weight'] = normal((C,), 0.1, 1.0)
        p[h + 'attention.output.LayerNorm.bias'] = normal((C,), 0.1)
        p[h + 'intermediate.dense.weight'] = normal((H, C), 0.3)
        p[h + 'intermediate.dense.bias'] = normal((H,), 0.1)
        p[h + 'output.dense.weight'] = normal((C, H), 0.2)
        p[h + 'output.dense.bias'] = normal((C,), 0.1)
        p[h + 'output.LayerNorm.weight'] = normal((C,), 0.1, 1.0)
        p[h + 'output.LayerNorm.bias'] = normal((C,), 0.1)
    p['bert.pooler.dense.weight'] = normal((C, C), 0.3)
    p['bert.pooler.dense.bias'] = normal((C,), 0.1)
    p['cls.predictions.transform.dense.weight'] = normal((C, C), 0.3)
    p['cls.predictions.transform.dense.bias'] = normal((C,), 0.1)
    p['cls.predictions.transform.LayerNorm.weight'] = normal((C,), 0.1, 1.0)
    p['cls.predictions.transform.LayerNorm.bias'] = normal((C,), 0.1)
    p['cls.predictions.bias'] = normal((V,), 0.1)
    p['cls.seq_relationship.weight'] = normal((2, C), 0.3)
    p['cls.seq_relationship.bias'] = normal((2,), 0.1)
    return p


def forward(p, ids, types, mask):
    ln = lambda x, k: F.layer_norm(x, (C,), p[k + '.weight'], p[k + '.bias'], EPS)  # noqa: E731
    lin = lambda x, k: F.linear(x, p[k + '.weight'], p[k + '.bias'])  # noqa: E731
    pos = torch.arange(T).unsqueeze(0).expand(B, T)
    e = 'bert.embeddings.'
    x = (p[e + 'word_embeddings.weight'][ids] + p[e + 'position_embeddings.weight'][pos]
         + p[e + 'token_type_embeddings.weight'][types])
    x = ln(x, e + 'LayerNorm')
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min  # (B, 1, 1, T)
    hs = C // NH
    for i in range(L):
        h = f'bert.encoder.layer.{i}.'
        heads = lambda t: t.view(B, T, NH, hs).transpose(1, 2)  # noqa: E731
        q = heads(lin(x, h + 'attention.self.query'))
        k = heads(lin(x, h + 'attention.self.key'))
        v = heads(lin(x, h + 'attention.self.value'))
        s = q @ k.transpose(-1, -2) / math.sqrt(hs) + ext
        y = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, C)
        a = ln(lin(y, h + 'attention.output.dense') + x, h + 'attention.output.LayerNorm')
        m = F.gelu(lin(a, h + 'intermediate.dense'))  # exact erf GELU (HF hidden_act "gelu")
        x = ln(lin(m, h + 'output.dense') + a, h + 'output.LayerNorm')
    pooled = torch.tanh(lin(x[:, 0], 'bert.pooler.dense'))
    t = F.gelu(lin(x, 'cls.predictions.transform.dense'))
    t = ln(t, 'cls.predictions.transform.LayerNorm')
    mlm = F.linear(t, p['bert.embeddings.word_embeddings.weight'], p['cls.predictions.bias'])
    nsp = lin(pooled, 'cls.seq_relationship')
    return x, pooled, mlm, nsp


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    p = init_params(gen)
    ids = torch.randint(5, V, (B, T), generator=gen)
    ids[:, 0] = 2  # [CLS]
    types = torch.zeros(B, T, dtype=torch.int64)
    types[:, 6:] = 1
    mask = torch.ones(B, T, dtype=torch.int64)
    ids[1, 7:] = 0  # [PAD]
    mask[1, 7:] = 0
    types[1, 7:] = 0
    mlm_labels = torch.full((B, T), -100, dtype=torch.int64)
    mlm_labels[0, 2], mlm_labels[0, 7], mlm_labels[1, 3] = 11, 23, 7
    nsp_labels = torch.tensor([0, 1])
    seq, pooled, mlm, nsp = forward(p, ids, types, mask)
    loss = F.cross_entropy(mlm.view(-1, V), mlm_labels.view(-1)) + F.cross_entropy(nsp, nsp_labels)
    out = {f'param.{k}': v.clone() for k, v in p.items()}
    out['input.input_ids'] = ids.to(torch.int32)
    out['input.token_type_ids'] = types.to(torch.int32)
    out['input.attention_mask'] = mask.to(torch.int32)
    out['input.mlm_labels'] = mlm_labels.to(torch.int32)
    out['input.nsp_labels'] = nsp_labels.to(torch.int32)
    out['out.sequence'] = seq.detach()
    out['out.pooled'] = pooled.detach()
    out['out.mlm_logits'] = mlm.detach()
    out['out.nsp_logits'] = nsp.detach()
    out['out.loss'] = loss.detach().reshape(())
    write_safetensors(OUT, out)
    print(f'wrote {OUT}: loss {loss.item():.6f}')


if __name__ == '__main__':
    main()
