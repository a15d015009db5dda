"""nanoGPT's CPU "baby" Shakespeare recipe in plain PyTorch, to see what PyTorch itself reaches.

nanoGPT's README reports val loss ~1.88 for `train.py config/train_shakespeare_char.py --device=cpu
--compile=False --eval_iters=20 --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128
--max_iters=2000 --lr_decay_iters=2000 --dropout=0.0`. This script is that recipe written out (model:
no biases, exact GELU, tied head, init std 0.02 with c_proj scaled by 1/sqrt(2*n_layer); AdamW
betas (0.9, 0.99), weight decay 0.1 on >=2-D tensors, lr 1e-3, 100 warmup iterations, cosine to
1e-4, clip 1.0; val loss = mean over 20 random batches after 2000 iterations) on the bundled
TinyShakespeare, split 90/10 by characters. It prints one JSON line per seed.

Run with Debian's torch:  /usr/bin/python3 scripts/reference/nanogpt_baby.py --seeds 1337,1,2
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = os.path.join(HERE, '..', '..', 'fixtures', 'tinyshakespeare', 'input.txt')
N_LAYER, N_HEAD, N_EMBD, T, B = 4, 4, 128, 64, 12
ITERS, WARMUP, LR, MIN_LR, EVAL_ITERS = 2000, 100, 1e-3, 1e-4, 20


class LayerNorm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, None, 1e-5)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = LayerNorm(N_EMBD), LayerNorm(N_EMBD)
        self.c_attn = nn.Linear(N_EMBD, 3 * N_EMBD, bias=False)
        self.attn_proj = nn.Linear(N_EMBD, N_EMBD, bias=False)
        self.c_fc = nn.Linear(N_EMBD, 4 * N_EMBD, bias=False)
        self.mlp_proj = nn.Linear(4 * N_EMBD, N_EMBD, bias=False)
        self.register_buffer('mask', torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, N_HEAD, c // N_HEAD).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // N_HEAD)
        att = att.masked_fill(~self.mask[:t, :t], float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.attn_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, N_EMBD), nn.Embedding(T, N_EMBD)
        self.h = nn.ModuleList(Block() for _ in range(N_LAYER))
        self.ln_f = LayerNorm(N_EMBD)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * N_LAYER) if name.endswith('_proj.weight') else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # tied head
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def lr_at(it):
    if it < WARMUP:
        return LR * (it + 1) / (WARMUP + 1)
    ratio = (it - WARMUP) / (ITERS - WARMUP)
    return MIN_LR + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (LR - MIN_LR)


def run(seed, data, vocab):
    torch.manual_seed(seed)
    n = int(0.9 * len(data))
    train, val = data[:n], data[n:]

    def batch(split):
        ix = torch.randint(len(split) - T, (B,))
        x = torch.stack([split[i:i + T] for i in ix])
        y = torch.stack([split[i + 1:i + 1 + T] for i in ix])
        return x, y

    model = GPT(vocab)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=LR, betas=(0.9, 0.99))
    t0 = time.time()
    for it in range(ITERS):
        for g in opt.param_groups:
            g['lr'] = lr_at(it)
        loss = model(*batch(train))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    wall = time.time() - t0
    with torch.no_grad():
        val_loss = sum(model(*batch(val)).item() for _ in range(EVAL_ITERS)) / EVAL_ITERS
    return {'seed': seed, 'val_loss': val_loss, 'wall_s': wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seeds', default='1337')
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    text = open(TEXT, encoding='utf-8').read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    for seed in (int(s) for s in args.seeds.split(',')):
        print(json.dumps(run(seed, data, len(chars))), flush=True)


if __name__ == '__main__':
    main()
