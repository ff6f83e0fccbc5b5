"""Few-shot curve (issue #25 part 4): `train-touchpoints`' head with k labelled texts per touchpoint, on two label
sets the matcher did not train on, with and without the matcher's logits among its inputs.

    .venv/bin/python bench/fewshot_curve.py [K ...]    # prints one JSON line per (set, k); default 0 8 16 32 all

For each left-out set the matcher is trained on the other sets (as in the leave-one-set-out figures); k texts
per touchpoint are drawn from the set's training split (fixed seed; texts with no touchpoint in the same share as
the split has), a head is fitted on them (`fit_head`) and scored on the evaluation split.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vocmine import settings  # noqa: E402
from vocmine.nlp.model import VocModel  # noqa: E402
from vocmine.nlp.touchpoints import TouchpointClassifier  # noqa: E402
from vocmine.taxonomy import Taxonomy  # noqa: E402
from vocmine.train import matcher as M  # noqa: E402
from vocmine.train.embcache import cached_encode  # noqa: E402
from vocmine.train.labelsets import mams, semeval_ru  # noqa: E402
from vocmine.train.touchpoints import EVAL_TAXONOMIES, fit_head, micro_f1, text_lemmas  # noqa: E402


def k_shot(labels: list[list[str]], ids: list[str], k: int | None, seed: int = 13) -> list[int]:
    """Indices of at most k texts per touchpoint (all for None), plus texts with none in the split's share."""
    if k is None:
        return list(range(len(labels)))
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for t in ids:
        have = [i for i, labs in enumerate(labels) if t in labs]
        chosen.update(rng.permutation(have)[:k].tolist())
    none = [i for i, labs in enumerate(labels) if not labs]
    share = len(none) / len(labels)
    chosen.update(rng.permutation(none)[: int(round(len(chosen) * share / (1 - share)))].tolist())
    return sorted(chosen)


def main() -> None:
    ks = [None if a == "all" else int(a) for a in sys.argv[1:]] or [0, 8, 16, 32, None]
    root = settings.SHARED_DATA_DIR
    model = VocModel.from_pretrained(matcher=False)
    train_sets, _ = M.load_pairs(model, root)
    cfg = M.MatcherConfig()
    for key, tax_name, tr, te in (
        ("semeval_ru", "semeval2016_ru_restaurants", semeval_ru(root, "train"), semeval_ru(root, "dev")),
        ("mams", "mams", mams(root, "train"), mams(root, "test")),
    ):
        group = next(s.source.left_out_with for s in train_sets if s.source.key == key)
        rest = [s for s in train_sets if s.source.left_out_with != group]
        exclude = set(te.texts)
        matcher = M.fit_matcher(rest, cfg, exclude)
        tax = Taxonomy.load(EVAL_TAXONOMIES / f"{tax_name}.yaml")
        tr_emb = cached_encode(model.encoder, tr.texts, "touchpoints", progress=False)
        te_emb = cached_encode(model.encoder, te.texts, "touchpoints", progress=False)
        tr_lem = [text_lemmas(t, tr.lang) for t in tr.texts]
        te_lem = [text_lemmas(t, te.lang) for t in te.texts]
        for k in ks:
            row = {"set": key, "k": "all" if k is None else k}
            for name, m in (("matcher", matcher), ("no matcher", None)):
                clf = TouchpointClassifier(tax, model.encoder, matcher=m)
                if k == 0:
                    pred = clf.predict(te_emb, te_lem)
                else:
                    idx = k_shot(tr.labels, clf.ids, k)
                    clf.attach(
                        fit_head(clf, tr_emb[idx], [tr_lem[i] for i in idx], [tr.labels[i] for i in idx])
                    )
                    row["n_labeled"] = len(idx)
                    pred = clf.predict(te_emb, te_lem)
                row[name] = round(micro_f1(te.labels, [[h.touchpoint for h in hs] for hs in pred]), 4)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
