#!/usr/bin/python3
"""Expected Porter stems from NLTK, for test/golden/porterNltk.test.ts.

rouge-score's `use_stemmer=True` calls `nltk.stem.porter.PorterStemmer()` (default mode
NLTK_EXTENSIONS) on tokens longer than 3 characters. Debian packages that stemmer
(python3-nltk); no rouge-score package exists in Debian, so the stemmer is the part we can check
against the real thing:

    apt-get install python3-nltk
    /usr/bin/python3 scripts/golden/porter_golden.py

Words: every distinct rouge-score token (lowercase [a-z0-9]+, longer than 3 characters) of
TinyShakespeare (public domain) and of the English side of Multi30k train. To keep the fixture
small it stores SHA-256 digests of the word and stem lists, plus verbatim the words where NLTK's
extensions change the stem relative to Martin Porter's own version (the cases an npm Porter
stemmer gets wrong). Multi30k (non-commercial licence) words are never stored verbatim.
"""
import hashlib
import json
import os
import re

import nltk
from nltk.stem import porter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, '..', 'shared', 'data')


def vocabulary(path):
    with open(path, encoding='utf-8') as f:
        text = f.read().lower()
    return sorted({w for w in re.split(r'[^a-z0-9]+', text) if len(w) > 3})


def main():
    stemmer = porter.PorterStemmer()
    shakespeare = vocabulary(os.path.join(DATA, 'tinyshakespeare', 'input.txt'))
    multi30k = vocabulary(os.path.join(DATA, 'multi30k-en-de', 'train.en'))
    martin = porter.PorterStemmer(porter.PorterStemmer.MARTIN_EXTENSIONS)

    def digest(lines):
        return hashlib.sha256('\n'.join(lines).encode()).hexdigest()

    def summary(words):
        return {
            'words': len(words),
            'words_sha256': digest(words),
            'stems_sha256': digest([stemmer.stem(w) for w in words]),
        }

    out = {
        'generator': 'scripts/golden/porter_golden.py',
        'nltk': nltk.__version__,
        'mode': stemmer.mode,
        'tinyshakespeare': summary(shakespeare),
        'multi30k_train_en': summary(multi30k),
        'nltk_differs_from_martin': {
            w: stemmer.stem(w) for w in shakespeare if stemmer.stem(w) != martin.stem(w)
        },
    }
    path = os.path.join(ROOT, 'test', 'golden', 'fixtures', 'porter-nltk.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(f'wrote {path}: {len(shakespeare)} + {len(multi30k)} words')


if __name__ == '__main__':
    main()
