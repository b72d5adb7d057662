#!/usr/bin/python3
"""Reference BLEU scores from NLTK's corpus_bleu (Debian python3-nltk) for Recur's Analysis/Bleu.cs: random corpora
over a small vocabulary (so n-grams repeat and clipping matters), one to four references per sentence of varied
lengths (so the brevity penalty and the closest-reference rule matter), and the scenes' own kind of captions.
Writes bleu/cases.json: [{"candidates": [...], "references": [[...], ...], "bleu": [b1, b2, b3, b4]}].

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_bleu_fixtures.py
"""

import json
import os
import random
import warnings

from nltk.translate.bleu_score import corpus_bleu

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = [(1,), (0.5, 0.5), (1 / 3, 1 / 3, 1 / 3), (0.25, 0.25, 0.25, 0.25)]


def sentence(rng, words, lo, hi):
    return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))


def main():
    rng = random.Random(13)
    words = ["a", "two", "shirt", "shirts", "bag", "and", "above", "coat", "to", "the", "left", "of"]
    cases = []
    for n_sent, lo, hi in [(1, 4, 8), (5, 2, 9), (30, 3, 12), (60, 1, 6), (200, 4, 11)]:
        cands, refs = [], []
        for _ in range(n_sent):
            cands.append(sentence(rng, words, max(lo, 4), max(hi, 4)))  # NLTK counts 1 n-gram in a shorter one
            refs.append([sentence(rng, words, lo, hi) for _ in range(rng.randint(1, 4))])
        cases.append((cands, refs))
    cands = ["two shirts and a coat", "a sneaker above a bag", "a dress and a coat", "a bag to the left of a coat"]
    refs = [["two shirts and a coat", "a coat and two shirts"], ["a sneaker above a bag", "a bag below a sneaker"],
            ["a dress and a bag"], ["a coat to the right of a bag", "a bag to the left of a coat"]]
    cases.append((cands, refs))
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NLTK warns when an n-gram order has no match (the score is 0)
        for cands, refs in cases:
            c = [s.split() for s in cands]
            r = [[x.split() for x in rs] for rs in refs]
            bleu = [float(corpus_bleu(r, c, weights=w)) for w in WEIGHTS]
            out.append({"candidates": cands, "references": refs, "bleu": bleu})
    with open(os.path.join(HERE, "bleu", "cases.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
