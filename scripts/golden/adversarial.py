#!/usr/bin/python3
"""Golden gradients for adversarial training (src/robust/adversarial.ts), in plain PyTorch.

A tiny BertForSequenceClassification (the BERT of scripts/golden/bert.py plus HF's classifier on
the pooled [CLS]) is trained one step on a fixed batch with each recipe, the perturbation added to
the word-embedding output (FreeLB's `inputs_embeds = word_embeddings(ids) + delta` form), per-example
L2 norms over (T, C), and the parameter gradients the recipe leaves for the optimizer are saved:
  FGM    (zhuanlan.zhihu.com/p/91269728): clean backward; r = eps * g / ||g||; adversarial backward
         (gradients of both passes summed).
  PGD    (same source, K steps): clean backward; backup grads; for t in K: r = proj_eps(r + alpha *
         g / ||g||); intermediate passes give only g (their parameter grads are dropped: restore_grad);
         the last pass's grads are added to the clean ones.
  FreeLB (zhuchen03/FreeLB run_glue_freelb.py, init magnitude 0): K passes each backpropagating
         loss / K; between passes delta += alpha * g / ||g|| and is clipped to ||delta|| <= eps.

Writes test/golden/fixtures/adversarial_tiny_bert.safetensors:
  param.<hf name>          BertForSequenceClassification parameters
  input.input_ids / input.token_type_ids / input.attention_mask  (B, T) I32; input.labels (B,) I32
  grad.<method>.<hf name>  parameter gradients after one step of <method> (fgm, pgd, freelb)
  loss.<method>            () the last pass's loss
  norm.<method>            (B,) per-example L2 norm of the final perturbation

Run with Debian's torch (CPU, float32):  /usr/bin/python3 scripts/golden/adversarial.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert  # noqa: E402  (the tiny BERT: init_params, sizes, HF semantics)
from gpt_engine import write_safetensors  # noqa: E402

NL = 3
EPS_ADV, ALPHA, K = 0.5, 0.3, 3
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'fixtures',
                   'adversarial_tiny_bert.safetensors')


def logits(p, ids, types, mask, delta):
    """bert.forward with `delta` added to the word-embedding output, then HF's classifier head."""
    B, T, C = delta.shape
    ln = lambda x, k: F.layer_norm(x, (C,), p[k + '.weight'], p[k + '.bias'], bert.EPS)  # noqa: E731
    lin = lambda x, k: F.linear(x, p[k + '.weight'], p[k + '.bias'])  # noqa: E731
    pos = torch.arange(T).unsqueeze(0).expand(B, T)
    e = 'bert.embeddings.'
    x = (p[e + 'word_embeddings.weight'][ids] + delta + p[e + 'position_embeddings.weight'][pos]
         + p[e + 'token_type_embeddings.weight'][types])
    x = ln(x, e + 'LayerNorm')
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    NH = bert.NH
    hs = C // NH
    for i in range(bert.L):
        h = f'bert.encoder.layer.{i}.'
        heads = lambda t: t.view(B, T, NH, hs).transpose(1, 2)  # noqa: E731
        q = heads(lin(x, h + 'attention.self.query'))
        k = heads(lin(x, h + 'attention.self.key'))
        v = heads(lin(x, h + 'attention.self.value'))
        s = q @ k.transpose(-1, -2) / (hs ** 0.5) + ext
        y = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(B, T, C)
        a = ln(lin(y, h + 'attention.output.dense') + x, h + 'attention.output.LayerNorm')
        m = F.gelu(lin(a, h + 'intermediate.dense'))
        x = ln(lin(m, h + 'output.dense') + a, h + 'output.LayerNorm')
    pooled = torch.tanh(lin(x[:, 0], 'bert.pooler.dense'))
    return lin(pooled, 'classifier')


def norms(t):
    return t.flatten(1).norm(dim=1)


def ascend(r, g, step, radius):
    """r + step * g / ||g|| per example (skipping zero norms), then onto the ball ||r|| <= radius."""
    gn = norms(g)
    k = torch.where(gn > 0, step / gn.clamp_min(1e-30), torch.zeros_like(gn))
    r = r + k[:, None, None] * g
    if radius is not None:
        rn = norms(r)
        s = torch.where(rn > radius, radius / rn.clamp_min(1e-30), torch.ones_like(rn))
        r = r * s[:, None, None]
    return r


def run(method, p, batch):
    ids, types, mask, labels = batch
    for t in p.values():
        t.grad = None
    shape = (ids.shape[0], ids.shape[1], bert.C)
    loss_of = lambda d: F.cross_entropy(logits(p, ids, types, mask, d), labels)  # noqa: E731
    if method == 'freelb':
        delta = torch.zeros(shape, requires_grad=True)
        for t in range(K):
            loss = loss_of(delta)
            (loss / K).backward()
            if t == K - 1:
                break
            g = delta.grad.detach()
            delta = ascend(delta.detach(), g, ALPHA, EPS_ADV).requires_grad_(True)
        return loss.detach(), norms(delta.detach())
    delta = torch.zeros(shape, requires_grad=True)
    loss_of(delta).backward()
    g = delta.grad.detach()
    r = torch.zeros(shape)
    if method == 'fgm':
        r = ascend(r, g, EPS_ADV, None)
    else:
        backup = {k: v.grad.clone() for k, v in p.items()}
        for t in range(K):
            r = ascend(r, g, ALPHA, EPS_ADV)
            if t == K - 1:
                break
            d = r.clone().requires_grad_(True)
            loss_of(d).backward()
            g = d.grad.detach()
            for k, v in p.items():
                v.grad.copy_(backup[k])
    d = r.clone().requires_grad_(True)
    loss = loss_of(d)
    loss.backward()
    return loss.detach(), norms(r)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1)
    p = {k: v for k, v in bert.init_params(gen).items() if not k.startswith('cls.')}
    # Word embeddings at BERT's own scale next to ε = 0.5, so the perturbation matters but does not swamp.
    p['classifier.weight'] = (0.3 * torch.randn(NL, bert.C, generator=gen)).float()
    p['classifier.bias'] = (0.1 * torch.randn(NL, generator=gen)).float()
    for v in p.values():
        v.requires_grad_(True)
    B, T = bert.B, bert.T
    ids = torch.randint(5, bert.V, (B, T), generator=gen)
    ids[:, 0] = 2
    types = torch.zeros(B, T, dtype=torch.int64)
    mask = torch.ones(B, T, dtype=torch.int64)
    ids[1, 7:] = 0
    mask[1, 7:] = 0
    labels = torch.tensor([2, 0])
    batch = (ids, types, mask, labels)
    out = {f'param.{k}': v.detach().clone() for k, v in p.items()}
    out['input.input_ids'] = ids.to(torch.int32)
    out['input.token_type_ids'] = types.to(torch.int32)
    out['input.attention_mask'] = mask.to(torch.int32)
    out['input.labels'] = labels.to(torch.int32)
    for method in ('fgm', 'pgd', 'freelb'):
        loss, n = run(method, p, batch)
        for k, v in p.items():
            out[f'grad.{method}.{k}'] = v.grad.detach().clone()
        out[f'loss.{method}'] = loss.reshape(())
        out[f'norm.{method}'] = n
        print(f'{method}: loss {loss.item():.6f}, norms {n.tolist()}')
    write_safetensors(OUT, out)
    print(f'wrote {OUT}')


if __name__ == '__main__':
    main()
