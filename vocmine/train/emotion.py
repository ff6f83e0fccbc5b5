"""Training and dev figures of the affect heads: the emotion head on CEDR, the effort scorer against CES answers.

``train_emotion`` fits ``nlp.affect.EmotionHead`` on the frozen segment features of CEDR's train split (a
held-out fifth of it picks the regularisation and the threshold per emotion) and writes it, with its figures,
into the model's ``affect/`` folder. ``figures`` (suite ``emotion``) and ``effort_figures`` (suite ``effort``)
are the ``vocmine evaluate`` suites.

No labelled effort corpus exists (none in ../shared/data, none public that we know of in Russian): the effort
scorer is validated only against the CES answers of surveys that have both a score and a text (the bundled
sample data, whose generator writes effort wording from each respondent's own CES answer with noise).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from vocmine import settings
from vocmine.evaluate import Figure
from vocmine.nlp.affect import AFFECT, EMOTION_HEAD, EMOTIONS, AffectHeads, EmotionHead
from vocmine.nlp.encoder import encoder_fingerprint
from vocmine.train.embcache import cached_clauses, cached_encode

CEDR = "cedr"
C_GRID = (1.0, 3.0, 10.0)
THRESHOLD_GRID = np.round(np.linspace(0.05, 0.95, 91), 2)
SEED = 0

#: The baseline: a keyword lexicon (word stems, matched at a word's start). Russian first (CEDR is Russian),
#: English for the same emotions.
LEXICON: dict[str, tuple[str, ...]] = {
    "joy": (
        "рад",
        "радост",
        "счаст",
        "ура",
        "весел",
        "восторг",
        "люблю",
        "обожа",
        "прекрасн",
        "отличн",
        "супер",
        "класс",
        "здоров",
        "смеш",
        "смея",
        "улыб",
        "наслажд",
        "happy",
        "glad",
        "love",
        "great",
        "joy",
        "delight",
        "awesome",
        "wonderful",
    ),
    "sadness": (
        "груст",
        "печал",
        "жаль",
        "жалко",
        "плак",
        "слез",
        "тоск",
        "скуча",
        "одинок",
        "обидн",
        "горе",
        "умер",
        "смерт",
        "погиб",
        "потер",
        "sad",
        "sorry",
        "cry",
        "miss",
        "lonely",
        "upset",
        "disappoint",
    ),
    "surprise": (
        "удив",
        "неожидан",
        "внезапн",
        "вдруг",
        "ого",
        "ничего себе",
        "поразит",
        "шок",
        "невероятн",
        "странн",
        "surpris",
        "unexpected",
        "wow",
        "shock",
        "amazing",
        "weird",
    ),
    "fear": (
        "страх",
        "страш",
        "бою",
        "боя",
        "пуга",
        "испуг",
        "тревож",
        "тревог",
        "опас",
        "ужас",
        "паник",
        "жутк",
        "волну",
        "afraid",
        "fear",
        "scared",
        "scary",
        "worr",
        "anxious",
        "panic",
        "terrif",
    ),
    "anger": (
        "зл",
        "злит",
        "бесит",
        "бешен",
        "ненавиж",
        "раздраж",
        "возмущ",
        "достал",
        "надоел",
        "ярост",
        "гнев",
        "сволоч",
        "идиот",
        "angry",
        "anger",
        "furious",
        "hate",
        "annoy",
        "outrag",
        "mad",
        "pissed",
    ),
}


def load_cedr(root: Path, split: str) -> tuple[list[str], np.ndarray]:
    """CEDR texts and their multi-hot emotions ``[n, 5]`` (EMOTIONS order; ``no_emotion``: none)."""
    df = pd.read_csv(Path(root) / CEDR / f"{split}.csv", keep_default_na=False)
    labels = [set(str(v).split("|")) for v in df["label"]]
    return df["text"].astype(str).tolist(), np.array([[e in ls for e in EMOTIONS] for ls in labels], int)


def lexicon_predict(texts: list[str]) -> np.ndarray:
    """The baseline's multi-hot emotions: an emotion when one of its stems starts a word of the text."""
    pats = {e: re.compile(r"(?<!\w)(" + "|".join(map(re.escape, s)) + ")", re.I) for e, s in LEXICON.items()}
    return np.array([[bool(pats[e].search(t)) for e in EMOTIONS] for t in texts], int)


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    tp = int((y & p).sum())
    return 0.0 if tp == 0 else 2 * tp / (int(y.sum()) + int(p.sum()))


def per_label_f1(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {e: round(_f1(y[:, j], p[:, j]), 4) for j, e in enumerate(EMOTIONS)}


def fit_emotion_head(x: np.ndarray, y: np.ndarray, seed: int = SEED) -> EmotionHead:
    """One-vs-rest logistic regression on 4/5 of (x, y); the other fifth picks C (macro-F1) and the thresholds."""
    from sklearn.linear_model import LogisticRegression

    idx = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.8 * len(idx))
    fit, held = idx[:cut], idx[cut:]
    best = None
    for c in C_GRID:
        w, b, th, f1 = [], [], [], []
        for j in range(y.shape[1]):
            lr = LogisticRegression(C=c, max_iter=3000).fit(x[fit], y[fit, j])
            p = lr.predict_proba(x[held])[:, 1]
            scores = [_f1(y[held, j], (p >= t).astype(int)) for t in THRESHOLD_GRID]
            k = int(np.argmax(scores))
            w.append(lr.coef_[0])
            b.append(lr.intercept_[0])
            th.append(THRESHOLD_GRID[k])
            f1.append(scores[k])
        if best is None or np.mean(f1) > best[0]:
            best = (float(np.mean(f1)), c, w, b, th, f1)
    macro, c, w, b, th, f1 = best
    report = {
        "C": c,
        "held_out_macro_f1": round(macro, 4),
        "held_out_f1": {e: round(v, 4) for e, v in zip(EMOTIONS, f1, strict=True)},
        "thresholds": {e: float(t) for e, t in zip(EMOTIONS, th, strict=True)},
        "n_fit": len(fit),
        "n_held_out": len(held),
        "seed": seed,
    }
    return EmotionHead(
        np.stack(w, axis=1).astype(np.float32),
        np.array(b, np.float32),
        np.array(th, np.float32),
        list(EMOTIONS),
        report,
    )


def train_emotion(
    model_dir: Path = settings.DEFAULT_MODEL_DIR,
    data: Path = settings.SHARED_DATA_DIR,
    out: Path | None = None,
) -> EmotionHead:
    """Fit the emotion head on CEDR train with the model's encoder and write it into ``out`` (default: the
    model folder)'s ``affect/emotion/``, with its dev figures on CEDR test beside the lexicon baseline, and
    ``affect/README.md`` (the affect heads' card)."""
    from vocmine.nlp.model import VocModel

    model = VocModel.from_pretrained(model_dir)
    texts, y = load_cedr(data, "train")
    head = fit_emotion_head(cached_encode(model.encoder, texts, "cedr-train", features=True), y)
    test_texts, y_test = load_cedr(data, "test")
    x_test = cached_encode(model.encoder, test_texts, "cedr-test", features=True)
    pred = (head.proba(x_test) >= head.thresholds).astype(int)
    base = lexicon_predict(test_texts)
    head_f1, base_f1 = per_label_f1(y_test, pred), per_label_f1(y_test, base)
    head.report.update(
        {
            "trained_on": "CEDR train (../shared/data/cedr, Apache-2.0), Russian sentences",
            "features": f"segment features of {model.encoder_id} (width {x_test.shape[1]})",
            # the head reads these weights' features: another adapter or base encoder makes it meaningless
            "encoder_fingerprint": encoder_fingerprint(model.encoder.name),
            "n_train": len(texts),
            "test": {
                "n": len(test_texts),
                "macro_f1": round(float(np.mean(list(head_f1.values()))), 4),
                "f1": head_f1,
                "lexicon_macro_f1": round(float(np.mean(list(base_f1.values()))), 4),
                "lexicon_f1": base_f1,
            },
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        }
    )
    target = Path(out or model_dir) / AFFECT
    head.save_pretrained(target / EMOTION_HEAD)
    affect = AffectHeads.from_pretrained(target, model.encoder)
    (target / "README.md").write_text(model_card(head, affect), encoding="utf-8")
    return head


def model_card(head: EmotionHead, affect: AffectHeads | None) -> str:
    """The affect heads' card, generated from the training report."""
    r, t = head.report, head.report["test"]
    rows = "\n".join(
        f"| {e} | {t['f1'][e]:.3f} | {t['lexicon_f1'][e]:.3f} | {r['thresholds'][e]:.2f} |" for e in EMOTIONS
    )
    return f"""# Affect heads (effort and emotion per clause)

Generated by `vocmine train-emotion` ({r["created_at"]}); affect version `{affect.version if affect else "-"}`
(stored in `segment_affect.affect_version`; the model's own version does not include these heads).

## Emotion (`emotion/`)

One-vs-rest logistic regression per emotion (joy, sadness, surprise, fear, anger; multi-label) over the frozen
{r["features"]}. Trained on {r["n_fit"]} of the {r["n_train"]} CEDR train sentences; the other
{r["n_held_out"]} chose C = {r["C"]} and the threshold per emotion. Data: CEDR (Sboev et al., 2021;
`../shared/data/cedr`, **Apache-2.0**), Russian sentences from LiveJournal, Lenta.ru and Twitter.

CEDR test ({t["n"]} sentences): macro-F1 **{t["macro_f1"]:.3f}** over the five emotions, keyword lexicon
baseline {t["lexicon_macro_f1"]:.3f}.

| emotion | F1 | lexicon F1 | threshold |
|---|---:|---:|---:|
{rows}

English: there is no English emotion corpus in the shared data. English clauses get the head trained on Russian
through the multilingual encoder (cross-lingual transfer), unmeasured beyond a handful of test sentences
(tests/test_affect.py); treat English emotions as indicative.

## Effort (`effort.yaml`)

Prototype phrases (hard / easy / none, Russian and English) written for vocmine; a clause's mean top-3 cosine
to each class, softmax with a temperature fitted on the phrases alone (leave-one-out); effort score =
p(hard) - p(easy) in [-1, 1], labelled hard from 0.2, easy from -0.2, else neutral. No labelled effort corpus
exists: the score is validated against CES answers (`vocmine evaluate --suite effort`, models/EVAL.md).
"""


def figures(model, root: Path) -> list[Figure]:
    """Suite ``emotion``: the model's emotion head on CEDR test, beside the keyword lexicon."""
    affect = getattr(model, "affect", None)
    if affect is None or affect.emotion is None:
        raise RuntimeError("the model has no emotion head: run `vocmine train-emotion`")
    texts, y = load_cedr(root, "test")
    x = cached_encode(model.encoder, texts, "cedr-test", progress=False, features=True)
    pred = (affect.emotion.proba(x) >= affect.emotion.thresholds).astype(int)
    head, base = per_label_f1(y, pred), per_label_f1(y, lexicon_predict(texts))
    ds = "CEDR test (ru)"
    out = [
        Figure(
            "emotion",
            ds,
            "macro-F1 (5 emotions)",
            round(float(np.mean(list(head.values()))), 4),
            baseline=round(float(np.mean(list(base.values()))), 4),
            setting="trained",
            n=len(texts),
            note="baseline: keyword lexicon; thresholds from held-out train",
        )
    ]
    out += [
        Figure("emotion", ds, f"F1 {e}", head[e], baseline=base[e], setting="trained", n=int(y[:, j].sum()))
        for j, e in enumerate(EMOTIONS)
    ]
    return out


def ces_answers(samples: Path = settings.SAMPLES_DIR) -> pd.DataFrame:
    """Survey answers with both a CES score and a text (the bundled sample data by default)."""
    df = pd.read_csv(samples / "surveys.csv", keep_default_na=False, dtype=str)
    df = df[(df["ces"] != "") & (df["answer"].str.strip() != "")]
    return pd.DataFrame({"text": df["answer"].tolist(), "ces": df["ces"].astype(int).tolist()})


def effort_by_document(model, texts: list[str]) -> np.ndarray:
    """A document's effort: the clause score furthest from 0 (its sign kept), as a run scores its clauses."""
    clauses = cached_clauses(model.encoder, texts, "effort-ces", features=True)
    emb = clauses.seg_emb[:, : model.encoder.dim]
    s = model.affect.effort.score(emb) if len(emb) else np.zeros(0, np.float32)
    out = np.zeros(len(texts), np.float32)
    for i, v in zip(clauses.owner, s, strict=True):
        if abs(v) > abs(out[i]):
            out[i] = v
    return out


def effort_figures(model, root: Path) -> list[Figure]:
    """Suite ``effort``: Spearman correlation of the document effort score with the CES answer (7 = very easy;
    a working score correlates negatively) on the sample surveys; sentiment's p(negative) as the baseline."""
    from scipy.stats import spearmanr

    affect = getattr(model, "affect", None)
    if affect is None or affect.effort is None:
        raise RuntimeError("the model has no effort prototypes (affect/effort.yaml)")
    df = ces_answers()
    score = effort_by_document(model, df["text"].tolist())
    clauses = cached_clauses(model.encoder, df["text"].tolist(), "effort-ces", features=True)
    p_neg = clauses.proba(model)[:, model.sentiment.labels.index("negative")]
    rho = float(spearmanr(score, df["ces"]).statistic)
    base = float(spearmanr(p_neg, df["ces"]).statistic)
    hard = score >= 0.2
    return [
        Figure(
            "effort",
            "sample surveys with CES and text (data/samples)",
            "Spearman(effort score, CES)",
            round(rho, 4),
            baseline=round(base, 4),
            setting="zero-shot prototypes",
            n=len(df),
            note="negative is right (CES 7 = very easy); baseline: document p(negative); no labelled effort corpus",
        ),
        Figure(
            "effort",
            "sample surveys with CES and text (data/samples)",
            "mean CES, clauses labelled hard vs not",
            round(float(df["ces"][hard].mean() - df["ces"][~hard].mean()), 4) if hard.any() else 0.0,
            setting="zero-shot prototypes",
            n=int(hard.sum()),
            note="difference of the mean CES answer (hard minus the rest); n = documents with a hard clause",
        ),
    ]
