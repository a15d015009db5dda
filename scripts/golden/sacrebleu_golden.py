#!/usr/bin/python3
"""Expected BLEU/chrF/TER values from the real sacrebleu, for test/golden/sacrebleuCorpus.test.ts.

Debian has no python3-sacrebleu package and PyPI is not reachable from our machines, so this runs
sacrebleu from a source checkout of github.com/mjpost/sacrebleu (we used commit f615c72, the one
the test vectors in ../shared/data/metric-vectors/sacrebleu come from) with Debian's Python and
its python3-regex, python3-portalocker, python3-tabulate, python3-lxml and python3-colorama:

    apt-get install python3-regex python3-portalocker python3-tabulate python3-lxml python3-colorama
    git clone https://github.com/mjpost/sacrebleu /tmp/sacrebleu-src   # or unpack an archive
    /usr/bin/python3 scripts/golden/sacrebleu_golden.py --sacrebleu-src /tmp/sacrebleu-src

The fixture holds only numbers, hashes and text written here: the Multi30k and Tatoeba lines are
read from ../shared/data and never copied into the repository.
"""
import argparse
import hashlib
import json
import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, '..', 'shared', 'data')

# Strings written for this test: every rule of the 13a/intl/zh/char tokenizers and Python's
# whitespace set (U+001C..U+001F, U+0085 are whitespace to Python; U+FEFF is not).
STRESS = [
    'Hello, world! It costs $1,000.50 (approx.) -- or 3-4 euros.',
    'a&amp;b &lt;tag&gt; &quot;quoted&quot; <skipped> end-\nof line\nnext',
    'Mr. Smith\'s co-worker said: "x/y=z?" [ok] {fine} ~tilde~ `tick` ^caret^ |pipe| @at #hash%',
    'Numbers 1.5, 2,000 and 3.14. End 1999.',
    '«Guillemets» „Anführung“ — em dash – en dash … ellipsis ¿Qué? ¡Sí!',
    'Symbols: © ® ™ € £ ¥ ± × ÷ → ← ∞ ≤ ≥ ° § ¶ • ☺ ♥ ✓',
    '中文测试，标点符号。“引号”（括号）【方括号】《书名号》！？',
    '日本語のテキスト、カタカナ・ひらがな。한국어 텍스트입니다.',
    'Fullwidth ＡＢＣ１２３ and halfwidth ｶﾀｶﾅ and ideographic　space',
    'Astral 𠀀𠀁 (CJK Ext B) 😀👍 emoji and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    'Combining: e\u0301 n\u0303 and precomposed é ñ; zero\u200bwidth; nbsp\u00a0here',
    'Python spaces:\x1cA\x1dB\x1eC\x1fD\x85E\u2028F\u3000G\ufeffH\u202fI',
    'Tabs\tand  multiple   spaces\t\tand trailing   ',
    '  leading spaces and 1,2,3 and 4.5.6 and .5 and 5. and ,x',
    'Arabic: مرحبا، كيف حالك؟ Hebrew: שלום! Greek: Καλημέρα; Russian: «Привет», мир!',
    'Hindi: नमस्ते। Thai: สวัสดีครับ ๆ',
    'Math ∑∫√ and arrows ⇒⇔ and box ─┼ and misc ☀☁☂ and dingbats ✂✈',
    "Apostrophes: don't won't it's O'Neil's rock'n'roll",
    'URL http://example.com/a?b=c&d=e and email foo@bar.com',
    'Dash 10-20 and a-b and -5 and 5- and --',
    '',
    '.',
    '...',
    '!?!',
    '$',
]


def load_sacrebleu(src):
    sys.path.insert(0, src)
    # A source tree lacks the version module that packaging generates.
    version = types.ModuleType('sacrebleu.version')
    version.__version__ = 'source'
    sys.modules['sacrebleu.version'] = version
    import sacrebleu  # noqa: F401
    from sacrebleu.metrics import BLEU, CHRF, TER
    return BLEU, CHRF, TER


def read_lines(path):
    # As sacrebleu's CLI: newline='\n', then rstrip().
    with open(path, encoding='utf-8', newline='\n') as f:
        return [line.rstrip() for line in f]


def sha256(lines):
    return hashlib.sha256('\n'.join(lines).encode('utf-8')).hexdigest()


def bleu_entry(score):
    return {
        'score': score.score,
        'counts': list(score.counts),
        'totals': list(score.totals),
        'sys_len': score.sys_len,
        'ref_len': score.ref_len,
        'formatted2': f'{score.score:.2f}',
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sacrebleu-src', required=True)
    ap.add_argument('--out', default=os.path.join(ROOT, 'test', 'golden', 'fixtures', 'sacrebleu-golden.json'))
    args = ap.parse_args()
    BLEU, CHRF, TER = load_sacrebleu(args.sacrebleu_src)
    from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer
    from sacrebleu.metrics.bleu import _get_tokenizer

    m30k = os.path.join(DATA, 'multi30k-en-de')
    hyp = read_lines(os.path.join(m30k, 'val.en'))  # the trivial system: copy the source
    ref = read_lines(os.path.join(m30k, 'val.de'))
    with open(os.path.join(DATA, 'tatoeba-cmn-eng', 'cmn.train.txt'), encoding='utf-8') as f:
        zh = [line.rstrip('\n').split('\t')[1] for _, line in zip(range(3001), f)]
    zh_hyp, zh_ref = zh[:3000], zh[1:3001]  # each sentence scored against the next one

    out = {
        'generator': 'scripts/golden/sacrebleu_golden.py',
        'sacrebleu': 'mjpost/sacrebleu@f615c7286d4d813370efb824d94fc2bfcd3a6b94 (run from source)',
        'python': sys.version.split()[0],
        'multi30k': {'hyp': 'multi30k-en-de/val.en', 'ref': 'multi30k-en-de/val.de', 'bleu': [], 'chrf': []},
        'tatoeba_zh': {'hyp': 'tatoeba-cmn-eng/cmn.train.txt col 2 lines 0-2999',
                       'ref': 'same, lines 1-3000', 'bleu': []},
        'tokenizers': {},
        'stress': {'lines': STRESS, 'bleu_tokenized': {}},
    }

    configs = []
    for tok in ['13a', 'intl', 'zh', 'char', 'none']:
        for lc in [False, True]:
            configs.append({'tokenize': tok, 'lowercase': lc})
    for sm, sv in [('none', None), ('floor', None), ('floor', 0.5), ('add-k', None), ('add-k', 2)]:
        configs.append({'smooth_method': sm, 'smooth_value': sv})
    configs.append({'max_ngram_order': 2})
    configs.append({'max_ngram_order': 6})
    configs.append({'effective_order': True})
    for cfg in configs:
        score = BLEU(**cfg).corpus_score(hyp, [ref])
        out['multi30k']['bleu'].append({'options': cfg, 'refs': 1, **bleu_entry(score)})
    # Two references: German plus the lowercased English (a second, different stream).
    ref2 = [x.lower() for x in hyp]
    out['multi30k']['bleu'].append({'options': {}, 'refs': 2, **bleu_entry(BLEU().corpus_score(hyp, [ref, ref2]))})

    for cfg in [{}, {'word_order': 2}, {'whitespace': True}, {'eps_smoothing': True}, {'lowercase': True},
                {'beta': 3}, {'char_order': 4, 'word_order': 1}]:
        s = CHRF(**cfg).corpus_score(hyp, [ref])
        out['multi30k']['chrf'].append({'options': cfg, 'score': s.score})

    sb = BLEU(effective_order=True)
    out['multi30k']['sentence_bleu'] = [sb.sentence_score(h, [r]).score for h, r in zip(hyp, ref)]
    sc = CHRF()
    out['multi30k']['sentence_chrf'] = [sc.sentence_score(h, [r]).score for h, r in zip(hyp, ref)]

    ter_configs = [{}, {'normalized': True}, {'no_punct': True}, {'case_sensitive': True},
                   {'normalized': True, 'no_punct': True, 'asian_support': True}]
    out['multi30k']['ter'] = []
    for cfg in ter_configs:
        s = TER(**cfg).corpus_score(hyp, [ref])
        out['multi30k']['ter'].append({'options': cfg, 'score': s.score, 'num_edits': s.num_edits,
                                       'ref_length': s.ref_length})
    out['tatoeba_zh']['ter'] = []
    for cfg in [{'normalized': True, 'asian_support': True}, {'normalized': True},
                {'no_punct': True, 'asian_support': True}]:
        s = TER(**cfg).corpus_score(zh_hyp[:1000], [zh_ref[:1000]])
        out['tatoeba_zh']['ter'].append({'options': cfg, 'score': s.score, 'num_edits': s.num_edits,
                                         'ref_length': s.ref_length})
    out['stress']['tercom_tokenized'] = {}
    for cfg in ter_configs:
        t = TercomTokenizer(**cfg)
        out['stress']['tercom_tokenized'][json.dumps(cfg, sort_keys=True)] = [t(x) for x in STRESS]

    for tok in ['zh', 'intl', 'char', '13a']:
        score = BLEU(tokenize=tok).corpus_score(zh_hyp, [zh_ref])
        out['tatoeba_zh']['bleu'].append({'options': {'tokenize': tok}, 'refs': 1, **bleu_entry(score)})

    for tok in ['13a', 'intl', 'zh', 'char', 'none']:
        t = _get_tokenizer(tok)()
        out['tokenizers'][tok] = {
            'multi30k_val_en_de_sha256': sha256([t(x) for x in hyp + ref]),
            'tatoeba_zh_sha256': sha256([t(x) for x in zh]),
        }
        out['stress']['bleu_tokenized'][tok] = [t(x) for x in STRESS]

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
