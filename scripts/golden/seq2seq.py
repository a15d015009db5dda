#!/usr/bin/python3
"""Golden encoder-decoder checkpoints: tiny random BART and Marian in plain PyTorch, with generation.

Debian packages no `transformers`, so the models and the generation loop are written here in plain
torch with the semantics of transformers' sources (read, not copied):
  models/bart/modeling_bart.py     BartLearnedPositionalEmbedding (table max_pos + 2, lookup pos + 2),
                                   layernorm_embedding, post-LN encoder/decoder layers (self_attn,
                                   encoder_attn, fc1 -> act -> fc2), q/k/v/out_proj with biases, scaling
                                   head_dim**-0.5, masks filled with finfo(float32).min, shared
                                   embeddings tied to lm_head, logits + final_logits_bias.
  models/marian/modeling_marian.py the same layers; MarianSinusoidalPositionalEmbedding (sin in the
                                   first half, cos in the second, positions from 0), embeddings scaled
                                   by sqrt(d_model), no layernorm_embedding, swish activation.
  generation/utils.py, generation/beam_search.py (BeamSearchScorer, BeamHypotheses),
  generation/logits_process.py     greedy and beam search with NoRepeatNGram, MinNewTokensLength,
                                   ForcedBOSToken and ForcedEOSToken processors (in that order),
                                   decoder_prompt_len = 1 (the decoder start token).

Each model becomes test/golden/fixtures/hf-tiny-<name>/ with config.json (as transformers writes it),
model.safetensors (HF tensor names, tied aliases and Marian position tables left out as HF saves
them), golden.safetensors (inputs, encoder output, decoder logits full and step by step with a
cache, the loss and its gradient for a few parameters) and generation.json (greedy and beam outputs).

Run with Debian's torch (CPU, float32):  /usr/bin/python3 scripts/golden/seq2seq.py
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_models import DTYPE_RANK  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'fixtures')
NEG = torch.finfo(torch.float32).min
# Added to final_logits_bias[eos] so that beams end at different lengths within ~10 tokens.
EOS_BOOST = {'bart': 2.2, 'marian': 0.4}

BASE = dict(vocab_size=64, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
            decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=24, max_position_embeddings=32)


def write_safetensors(path, tensors, metadata=None):
    """huggingface/safetensors layout byte for byte (as hf_models.py), with `__metadata__` first as
    save_pretrained writes it ({"format": "pt"})."""
    import struct
    items = []
    for name, t in tensors.items():
        t = t.contiguous()
        dtype = {torch.float32: ('F32', '<f4'), torch.int32: ('I32', '<i4')}[t.dtype]
        items.append((name, dtype[0], t.numpy().astype(dtype[1]).tobytes(), list(t.shape)))
    items.sort(key=lambda it: it[0])
    items.sort(key=lambda it: DTYPE_RANK[it[1]], reverse=True)
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
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


def bart_config():
    return dict(BASE, model_type='bart', architectures=['BartForConditionalGeneration'],
                activation_function='gelu', scale_embedding=False, pad_token_id=1, bos_token_id=0,
                eos_token_id=2, decoder_start_token_id=2, forced_bos_token_id=0, forced_eos_token_id=2,
                activation_dropout=0.0, attention_dropout=0.0, classifier_dropout=0.0, dropout=0.1,
                encoder_layerdrop=0.0, decoder_layerdrop=0.0, init_std=0.02, is_encoder_decoder=True,
                num_hidden_layers=2, use_cache=True, torch_dtype='float32', transformers_version='4.46.0')


def marian_config():
    return dict(BASE, model_type='marian', architectures=['MarianMTModel'], activation_function='swish',
                scale_embedding=True, pad_token_id=63, bos_token_id=0, eos_token_id=0,
                decoder_start_token_id=63, forced_eos_token_id=0, decoder_vocab_size=64,
                share_encoder_decoder_embeddings=True, activation_dropout=0.0, attention_dropout=0.0,
                dropout=0.1, encoder_layerdrop=0.0, decoder_layerdrop=0.0, init_std=0.02,
                is_encoder_decoder=True, num_hidden_layers=2, use_cache=True, torch_dtype='float32',
                transformers_version='4.46.0')


def normal(gen, shape, std, mean=0.0):
    return (mean + std * torch.randn(*shape, generator=gen)).float()


def make_params(gen, cfg):
    V, C = cfg['vocab_size'], cfg['d_model']
    bart = cfg['model_type'] == 'bart'
    p = {'model.shared.weight': normal(gen, (V, C), 0.5),
         'final_logits_bias': normal(gen, (1, V), 0.2)}
    # Make EOS likely enough that beams end at different lengths.
    p['final_logits_bias'][0, cfg['eos_token_id']] += EOS_BOOST[cfg['model_type']]

    def lin(name, fin, fout):
        p[name + '.weight'] = normal(gen, (fout, fin), 0.5)
        p[name + '.bias'] = normal(gen, (fout,), 0.1)

    def ln(name):
        p[name + '.weight'] = normal(gen, (C,), 0.1, 1.0)
        p[name + '.bias'] = normal(gen, (C,), 0.1)

    for stack in ('encoder', 'decoder'):
        s = f'model.{stack}.'
        if bart:
            p[s + 'embed_positions.weight'] = normal(gen, (cfg['max_position_embeddings'] + 2, C), 0.3)
            ln(s + 'layernorm_embedding')
        ffn = cfg[f'{stack}_ffn_dim']
        for i in range(cfg[f'{stack}_layers']):
            l = f'{s}layers.{i}.'
            for proj in ('q_proj', 'k_proj', 'v_proj', 'out_proj'):
                lin(l + 'self_attn.' + proj, C, C)
            ln(l + 'self_attn_layer_norm')
            if stack == 'decoder':
                for proj in ('q_proj', 'k_proj', 'v_proj', 'out_proj'):
                    lin(l + 'encoder_attn.' + proj, C, C)
                ln(l + 'encoder_attn_layer_norm')
            lin(l + 'fc1', C, ffn)
            lin(l + 'fc2', ffn, C)
            ln(l + 'final_layer_norm')
    return p


def sinusoidal(n_pos, dim):
    """MarianSinusoidalPositionalEmbedding._init_weight: float64 angles, sin | cos halves, float32."""
    import numpy as np
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out = torch.empty(n_pos, dim)
    half = dim // 2
    out[:, :half] = torch.FloatTensor(np.sin(enc[:, 0::2]))
    out[:, half:] = torch.FloatTensor(np.cos(enc[:, 1::2]))
    return out


def act(cfg, x):
    return {'gelu': F.gelu, 'swish': F.silu, 'relu': F.relu}[cfg['activation_function']](x)


def embed(p, cfg, stack, ids, past):
    C = cfg['d_model']
    scale = math.sqrt(C) if cfg['scale_embedding'] else 1.0
    x = F.embedding(ids, p['model.shared.weight']) * scale
    T = ids.shape[1]
    if cfg['model_type'] == 'bart':
        pos = torch.arange(past, past + T) + 2
        x = x + F.embedding(pos, p[f'model.{stack}.embed_positions.weight'])
        x = F.layer_norm(x, (C,), p[f'model.{stack}.layernorm_embedding.weight'],
                         p[f'model.{stack}.layernorm_embedding.bias'], 1e-5)
    else:
        x = x + sinusoidal(cfg['max_position_embeddings'], C)[past:past + T]
    return x


def attn(p, name, x, kv, heads, mask, past_kv=None, cache_out=None, cross=False):
    """BartAttention (eager): out_proj(softmax(q·kᵀ·scaling + mask)·v); cross reads k, v from past_kv once filled."""
    B, T, C = x.shape
    hs = C // heads
    lin = lambda n, t: F.linear(t, p[f'{name}.{n}.weight'], p[f'{name}.{n}.bias'])
    shape = lambda t: t.view(B, -1, heads, hs).transpose(1, 2)
    q = shape(lin('q_proj', x))
    if cross and past_kv is not None:  # cross-attention from the cache
        k, v = past_kv
    else:
        src = x if kv is None else kv
        k, v = shape(lin('k_proj', src)), shape(lin('v_proj', src))
        if past_kv is not None:  # self-attention: append to the cache
            k, v = torch.cat([past_kv[0], k], 2), torch.cat([past_kv[1], v], 2)
    if cache_out is not None:
        cache_out.append((k, v))
    w = torch.matmul(q, k.transpose(2, 3)) * hs ** -0.5
    if mask is not None:
        w = w + mask
    w = F.softmax(w, dim=-1)
    y = torch.matmul(w, v).transpose(1, 2).reshape(B, T, C)
    return lin('out_proj', y)


def padding_mask(attention_mask, T):
    """(B, S) 1/0 → additive (B, 1, T, S) with finfo.min, as _prepare_4d_attention_mask."""
    m = attention_mask[:, None, None, :].float().expand(-1, 1, T, -1)
    return (1.0 - m) * NEG


def encode(p, cfg, ids, attention_mask):
    C = cfg['d_model']
    x = embed(p, cfg, 'encoder', ids, 0)
    mask = padding_mask(attention_mask, ids.shape[1])
    for i in range(cfg['encoder_layers']):
        l = f'model.encoder.layers.{i}.'
        ln = lambda n, t: F.layer_norm(t, (C,), p[l + n + '.weight'], p[l + n + '.bias'], 1e-5)
        x = ln('self_attn_layer_norm', x + attn(p, l + 'self_attn', x, None, cfg['encoder_attention_heads'], mask))
        h = act(cfg, F.linear(x, p[l + 'fc1.weight'], p[l + 'fc1.bias']))
        x = ln('final_layer_norm', x + F.linear(h, p[l + 'fc2.weight'], p[l + 'fc2.bias']))
    return x


def decode(p, cfg, ids, enc, enc_mask, past=None):
    """Logits (B, T, V); `past` is a list of per-layer ((k, v) self, (k, v) cross) or None; returns the new past."""
    C = cfg['d_model']
    B, T = ids.shape
    past_len = 0 if past is None else past[0][0][0].shape[2]
    x = embed(p, cfg, 'decoder', ids, past_len)
    causal = torch.full((T, past_len + T), NEG).triu(past_len + 1)[None, None]
    cross_mask = padding_mask(enc_mask, T)
    new_past = []
    for i in range(cfg['decoder_layers']):
        l = f'model.decoder.layers.{i}.'
        ln = lambda n, t: F.layer_norm(t, (C,), p[l + n + '.weight'], p[l + n + '.bias'], 1e-5)
        heads = cfg['decoder_attention_heads']
        self_out, cross_out = [], []
        sp = None if past is None else past[i][0]
        cp = None if past is None else past[i][1]
        x = ln('self_attn_layer_norm', x + attn(p, l + 'self_attn', x, None, heads, causal, sp, self_out))
        x = ln('encoder_attn_layer_norm',
               x + attn(p, l + 'encoder_attn', x, enc, heads, cross_mask, cp, cross_out, cross=True))
        h = act(cfg, F.linear(x, p[l + 'fc1.weight'], p[l + 'fc1.bias']))
        x = ln('final_layer_norm', x + F.linear(h, p[l + 'fc2.weight'], p[l + 'fc2.bias']))
        new_past.append((self_out[0], cross_out[0]))
    logits = F.linear(x, p['model.shared.weight']) + p['final_logits_bias']
    return logits, new_past


def shift_tokens_right(labels, pad, start):
    out = labels.new_zeros(labels.shape)
    out[:, 1:] = labels[:, :-1].clone()
    out[:, 0] = start
    out.masked_fill_(out == -100, pad)
    return out


# ---------------------------------------------------------------- generation (transformers semantics)

def process(cfg, o, input_ids, scores):
    """NoRepeatNGram, MinNewTokensLength, ForcedBOS, ForcedEOS (transformers' order) on (N, V) scores."""
    cur_len = input_ids.shape[1]
    n = o.get('no_repeat_ngram_size', 0)
    if n > 0 and cur_len + 1 >= n:
        for h in range(input_ids.shape[0]):
            toks = input_ids[h].tolist()
            grams = {}
            for g in zip(*[toks[i:] for i in range(n)]):
                grams.setdefault(tuple(g[:-1]), []).append(g[-1])
            for t in grams.get(tuple(toks[cur_len + 1 - n:cur_len]), []):
                scores[h, t] = -math.inf
    eos = cfg['eos_token_id']
    if cur_len - 1 < o.get('min_new_tokens', 0):
        scores[:, eos] = -math.inf
    fb = cfg.get('forced_bos_token_id')
    if fb is not None and cur_len == 1:
        scores[:, :] = -math.inf
        scores[:, fb] = 0
    fe = cfg.get('forced_eos_token_id')
    if fe is not None and cur_len == o['max_new_tokens']:  # cur_len == max_length - 1
        scores[:, :] = -math.inf
        scores[:, fe] = 0
    return scores


def greedy(p, cfg, src, mask, o):
    enc = encode(p, cfg, src, mask)
    B = src.shape[0]
    ids = torch.full((B, 1), cfg['decoder_start_token_id'])
    done = torch.zeros(B, dtype=torch.bool)
    past = None
    while True:
        logits, past = decode(p, cfg, ids[:, -1:], enc, mask, past)
        scores = process(cfg, o, ids, logits[:, -1, :].clone())
        nxt = scores.argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, cfg['pad_token_id']), nxt)
        ids = torch.cat([ids, nxt[:, None]], 1)
        done = done | (nxt == cfg['eos_token_id'])
        if done.all() or ids.shape[1] >= 1 + o['max_new_tokens']:
            break
    out = []
    for b in range(B):
        row = ids[b, 1:].tolist()
        if cfg['eos_token_id'] in row:
            row = row[:row.index(cfg['eos_token_id']) + 1]
        out.append([{'tokens': row}])
    return out


class BeamHypotheses:
    def __init__(self, num_beams, length_penalty, early_stopping, max_length):
        self.num_beams, self.length_penalty = num_beams, length_penalty
        self.early_stopping, self.max_length = early_stopping, max_length
        self.beams, self.worst_score = [], 1e9

    def add(self, hyp, sum_logprobs, generated_len, eos):
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp, eos))
            if len(self.beams) > self.num_beams:
                ranked = sorted([(s, i) for i, (s, _, _) in enumerate(self.beams)])
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs, cur_len, prompt_len=1):
        if len(self.beams) < self.num_beams:
            return False
        if self.early_stopping is True:
            return True
        if self.early_stopping is False or self.length_penalty <= 0:
            best = best_sum_logprobs / (cur_len - prompt_len) ** self.length_penalty
        else:  # "never" with a positive length penalty: the longest reachable length
            best = best_sum_logprobs / (self.max_length - prompt_len) ** self.length_penalty
        return self.worst_score >= best


def beam_search(p, cfg, src, mask, o):
    nb, V = o['num_beams'], cfg['vocab_size']
    B = src.shape[0]
    max_length = 1 + o['max_new_tokens']
    eos, pad = cfg['eos_token_id'], cfg['pad_token_id']
    enc = encode(p, cfg, src, mask).repeat_interleave(nb, 0)
    emask = mask.repeat_interleave(nb, 0)
    hyps = [BeamHypotheses(nb, o.get('length_penalty', 1.0), o.get('early_stopping', False), max_length)
            for _ in range(B)]
    done = [False] * B
    beam_scores = torch.zeros(B, nb, dtype=torch.float32)
    beam_scores[:, 1:] = -1e9
    beam_scores = beam_scores.view(-1)
    ids = torch.full((B * nb, 1), cfg['decoder_start_token_id'])
    past = None
    while True:
        logits, past = decode(p, cfg, ids[:, -1:], enc, emask, past)
        scores = F.log_softmax(logits[:, -1, :], dim=-1)
        scores = process(cfg, o, ids, scores)
        scores = (scores + beam_scores[:, None]).view(B, nb * V)
        top_scores, top = torch.topk(scores, 2 * nb, dim=1, largest=True, sorted=True)
        top_beam, top_tok = top // V, top % V
        cur_len = ids.shape[1] + 1
        nscores = torch.zeros(B, nb)
        ntok = torch.full((B, nb), pad)
        nidx = torch.zeros(B, nb, dtype=torch.long)
        for b in range(B):
            if done[b]:
                nidx[b, :] = torch.arange(b * nb, (b + 1) * nb)  # kept in place (HF writes 0; unused)
                continue
            k = 0
            for rank in range(2 * nb):
                tok, sc, beam = top_tok[b, rank].item(), top_scores[b, rank].item(), top_beam[b, rank].item()
                row = b * nb + beam
                if tok == eos:
                    if rank >= nb:
                        continue
                    hyps[b].add(ids[row, 1:].tolist(), sc, cur_len - 1, True)
                else:
                    nscores[b, k], ntok[b, k], nidx[b, k] = sc, tok, row
                    k += 1
                if k == nb:
                    break
            done[b] = done[b] or hyps[b].is_done(top_scores[b].max().item(), cur_len)
        beam_scores = nscores.view(-1)
        rows = nidx.view(-1)
        ids = torch.cat([ids[rows], ntok.view(-1, 1)], 1)
        past = [((s[0][rows], s[1][rows]), (c[0][rows], c[1][rows])) for s, c in past]
        if all(done) or ids.shape[1] >= max_length:
            break
    out = []
    for b in range(B):
        if not done[b]:
            for beam in range(nb):
                row = b * nb + beam
                hyps[b].add(ids[row, 1:].tolist(), beam_scores[row].item(), ids.shape[1] - 1, False)
        ranked = sorted(hyps[b].beams, key=lambda x: x[0])
        best = []
        for _ in range(o.get('num_return_sequences', 1)):
            score, hyp, ended = ranked.pop()
            best.append({'tokens': hyp + ([eos] if ended else []), 'score': score})
        out.append(best)
    return out


CASES = [
    {'name': 'greedy', 'max_new_tokens': 10},
    {'name': 'greedy-min-ngram', 'max_new_tokens': 10, 'min_new_tokens': 4, 'no_repeat_ngram_size': 2},
    {'name': 'beam4', 'num_beams': 4, 'max_new_tokens': 10, 'num_return_sequences': 2},
    {'name': 'beam3-early-lp2-ngram', 'num_beams': 3, 'max_new_tokens': 12, 'early_stopping': True,
     'length_penalty': 2.0, 'no_repeat_ngram_size': 2, 'min_new_tokens': 3},
    {'name': 'beam5-never-lp0.5', 'num_beams': 5, 'max_new_tokens': 9, 'early_stopping': 'never',
     'length_penalty': 0.5, 'num_return_sequences': 3},
    {'name': 'beam2-short', 'num_beams': 2, 'max_new_tokens': 3},
]


def write_model(name, cfg, gen):
    d = os.path.join(ROOT, f'hf-tiny-{name}')
    os.makedirs(d, exist_ok=True)
    p = make_params(gen, cfg)
    V = cfg['vocab_size']
    pad, eos = cfg['pad_token_id'], cfg['eos_token_id']
    # Sources (B=2, S=7): row 1 is right-padded by two; every row ends with </s> as tokenizers add it.
    src = torch.randint(3, V - 1, (2, 7), generator=gen)
    src[0, 6] = eos
    src[1, 4] = eos
    src[1, 5:] = pad
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, 5:] = 0
    labels = torch.randint(3, V - 1, (2, 6), generator=gen)
    labels[0, 5] = eos
    labels[1, 4] = eos
    labels[1, 5] = -100
    dec_in = shift_tokens_right(labels, pad, cfg['decoder_start_token_id'])

    leaf = {k: v.clone().requires_grad_(k != 'final_logits_bias') for k, v in p.items()}
    enc = encode(leaf, cfg, src, mask)
    logits, _ = decode(leaf, cfg, dec_in, enc, mask)
    loss = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
    loss.backward()
    loss_ls = F.cross_entropy(logits.detach().reshape(-1, V), labels.reshape(-1), ignore_index=-100,
                              label_smoothing=0.1)
    with torch.no_grad():
        past, steps = None, []
        for t in range(dec_in.shape[1]):
            lt, past = decode(p, cfg, dec_in[:, t:t + 1], enc.detach(), mask, past)
            steps.append(lt)
        step_logits = torch.cat(steps, 1)
        drift = (step_logits - logits.detach()).abs().max().item()
        assert drift < 1e-5, drift
        generation = {'source': src.tolist(), 'attention_mask': mask.tolist(), 'cases': []}
        for case in CASES:
            o = dict(case)
            fn = beam_search if o.get('num_beams', 1) > 1 else greedy
            generation['cases'].append({'options': case, 'outputs': fn(p, cfg, src, mask, o)})

    grads = ['model.shared.weight', 'model.encoder.layers.0.self_attn.q_proj.weight',
             'model.encoder.layers.1.fc1.weight', 'model.decoder.layers.0.encoder_attn.k_proj.weight',
             'model.decoder.layers.1.self_attn.v_proj.bias', 'model.decoder.layers.1.final_layer_norm.weight']
    if cfg['model_type'] == 'bart':
        grads += ['model.encoder.embed_positions.weight', 'model.decoder.layernorm_embedding.weight']
    golden = {
        'input.input_ids': src.to(torch.int32), 'input.attention_mask': mask.to(torch.int32),
        'input.labels': labels.to(torch.int32), 'input.decoder_input_ids': dec_in.to(torch.int32),
        'out.encoder': enc.detach().clone(), 'out.logits': logits.detach().clone(),
        'out.step_logits': step_logits.clone(), 'out.loss': loss.detach().reshape(1).clone(),
        'out.loss_label_smoothing_0.1': loss_ls.reshape(1).clone(),
    }
    for g in grads:
        golden['grad.' + g] = leaf[g].grad.clone()
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write('\n')
    write_safetensors(os.path.join(d, 'model.safetensors'), p, {'format': 'pt'})
    write_safetensors(os.path.join(d, 'golden.safetensors'), golden)
    with open(os.path.join(d, 'generation.json'), 'w') as f:
        json.dump(generation, f, indent=1)
        f.write('\n')
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f'wrote {os.path.normpath(d)} ({size} bytes); step/full drift {drift:.2e}', file=sys.stderr)
    for case in generation['cases']:
        print(f"  {case['options']['name']}: {[[h['tokens'] for h in r] for r in case['outputs']]}", file=sys.stderr)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(21)
    write_model('bart', bart_config(), gen)
    write_model('marian', marian_config(), gen)
    print(f'torch {torch.__version__}', file=sys.stderr)


if __name__ == '__main__':
    main()
