"""Scaled-up sample data for the end-to-end benchmark: N documents, mixed kinds and languages, mostly unique texts.

    python bench/gen_scale.py --docs 10000                # writes var/bench/scale-10000/ (git-ignored)

Built on ``vocmine.sampledata`` (its ``scale`` gives fresh ids and the usual mix of reviews, chats and surveys in
Russian, English and mixed language). That generator assembles texts from a bounded set of clause templates, so
at scale most clauses repeat, and the encoder — which embeds each distinct text once — would have little to do.
Real feedback rarely repeats, so every customer clause here gets, with high probability, a concrete detail (an
order or item number, a pick-up point, a count of minutes or days), as real texts carry; the clause ratio this
prints (distinct / all, clauses split on punctuation and conjunctions) says how close to "all unique" it is.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import shutil
from pathlib import Path

from vocmine import settings
from vocmine.sampledata import generate_with_stats

#: documents written per unit of ``sampledata`` scale (2,294 records at scale 1, seed 7)
DOCS_PER_SCALE = 2294
_CYR = re.compile(r"[а-яё]", re.I)
# a clause ends before punctuation or a coordinating conjunction (what the segmenter splits on, roughly)
_CLAUSE_END = re.compile(r"(?=[,.!?;:…]|\s(?:а|но|и|зато|однако|but|and|though|however)\s)", re.I)
_RU = (
    "(заказ {n})",
    "— заказ №{n}",
    "в пункте выдачи {s}",
    "уже {k}-й раз",
    "артикул {n}",
    "за {k} минут",
    "на {k} дня",
    "в {c}",
    "(обращение {n})",
)
_EN = (
    "(order {n})",
    "— order #{n}",
    "at pick-up point {s}",
    "for the {o}th time",
    "item {n}",
    "in {k} minutes",
    "for {k} days",
    "in {c}",
    "(ticket {n})",
)
_CITIES_RU = ("Москве", "Казани", "Самаре", "Твери", "Перми", "Сочи", "Омске", "Туле", "Уфе", "Рязани")
_CITIES_EN = ("London", "Leeds", "Bristol", "Kazan", "Moscow", "York", "Bath", "Derby", "Hull", "Oxford")


def vary(text: str, rng: random.Random, p: float = 0.9) -> str:
    """Add a concrete detail to (almost) every clause of ``text`` so that clauses stop repeating."""
    if not text:
        return text
    ru = bool(_CYR.search(text))
    out, pos = [], 0
    for m in _CLAUSE_END.finditer(text):
        piece = text[pos : m.start()]
        out.append(piece)
        if len(piece.split()) >= 2 and rng.random() < p:
            out.append(" " + _detail(rng, ru))
        pos = m.start()
        # the next piece starts after the punctuation or conjunction itself
        step = re.match(r"[,.!?;:…]+|\s\S+", text[pos:])
        if step:
            out.append(step.group())
            pos += step.end()
    out.append(text[pos:])
    return "".join(out)


def _detail(rng: random.Random, ru: bool) -> str:
    tpl = rng.choice(_RU if ru else _EN)
    return tpl.format(
        n=rng.randrange(10_000, 999_999),
        s=rng.randrange(100, 9_999),
        k=rng.randrange(2, 60),
        o=rng.randrange(4, 20),
        c=rng.choice(_CITIES_RU if ru else _CITIES_EN),
    )


def _rewrite_csv(
    path: Path, column: str, rng: random.Random, id_column: str, id_prefix: str, p: float
) -> None:
    tmp = path.with_suffix(".tmp")
    with path.open(encoding="utf-8", newline="") as f, tmp.open("w", encoding="utf-8", newline="") as g:
        reader = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=reader.fieldnames)
        w.writeheader()
        for row in reader:
            row[column] = vary(row[column], rng, p)
            row[id_column] = id_prefix + row[id_column]
            w.writerow(row)
    tmp.replace(path)


def _rewrite_chats(path: Path, rng: random.Random, id_prefix: str, p: float) -> None:
    tmp = path.with_suffix(".tmp")
    with path.open(encoding="utf-8") as f, tmp.open("w", encoding="utf-8") as g:
        for line in f:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:  # the sample's deliberately broken lines stay as they are
                g.write(line)
                continue
            for t in obj.get("turns", []):
                if t.get("role") == "customer" and t.get("text"):
                    t["text"] = vary(t["text"], rng, p)
            if isinstance(obj.get("conversation_id"), str):
                obj["conversation_id"] = id_prefix + obj["conversation_id"]
            g.write(json.dumps(obj, ensure_ascii=False) + "\n")
    tmp.replace(path)


def clause_stats(out: Path) -> dict[str, float]:
    """Distinct/all ratio of customer texts and of their clauses (split as in ``vary``), by hash."""

    def clauses(t: str) -> list[str]:
        return [c.strip(" ,.!?;:…").lower() for c in _CLAUSE_END.split(t) if len(c.split()) >= 2]

    seen_t, seen_c, n_t, n_c = set(), set(), 0, 0
    for t in _customer_texts(out):
        n_t += 1
        seen_t.add(hashlib.blake2b(t.encode(), digest_size=8).digest())
        for c in clauses(t):
            n_c += 1
            seen_c.add(hashlib.blake2b(c.encode(), digest_size=8).digest())
    return {
        "texts": n_t,
        "unique_text_ratio": round(len(seen_t) / max(n_t, 1), 4),
        "clauses": n_c,
        "unique_clause_ratio": round(len(seen_c) / max(n_c, 1), 4),
    }


def _customer_texts(out: Path):
    for name, col in (("reviews.csv", "text"), ("surveys.csv", "answer")):
        with (out / name).open(encoding="utf-8", newline="") as f:
            yield from (r[col] for r in csv.DictReader(f) if r.get(col))
    with (out / "chats.jsonl").open(encoding="utf-8") as f:
        for line in f:
            try:
                turns = json.loads(line).get("turns", [])
            except json.JSONDecodeError:
                continue
            yield from (t["text"] for t in turns if t.get("role") == "customer" and t.get("text"))


def generate(docs: int, out: Path, seed: int = 11, variation: bool = True, id_prefix: str = "") -> dict:
    """``id_prefix`` keeps the ids of several generated parts apart (the generator numbers from 1 each time)."""
    if out.exists():
        shutil.rmtree(out)
    stats = generate_with_stats(out, scale=docs / DOCS_PER_SCALE, seed=seed)
    if variation or id_prefix:
        rng = random.Random(seed)
        p = 0.9 if variation else 0.0
        _rewrite_csv(out / "reviews.csv", "text", rng, "review_id", id_prefix, p)
        _rewrite_csv(out / "surveys.csv", "answer", rng, "respondent_id", id_prefix, p)
        _rewrite_chats(out / "chats.jsonl", rng, id_prefix, p)
    shutil.copy(settings.SAMPLES_DIR / "sources.yaml", out / "sources.yaml")
    return {"records": dict(stats.files), **clause_stats(out)}


def generate_pieces(docs: int, pieces: int, out: Path, seed: int = 11) -> list[dict]:
    """``docs`` documents as ``pieces`` parts of equal size, ``out/piece-00`` …, each with its own seed, ids
    (``P00-R000001`` …) and ``sources.yaml``: the batches of new feedback that successive nightly runs find."""
    return [
        {"piece": k, **generate(docs // pieces, out / f"piece-{k:02d}", seed + k, id_prefix=f"P{k:02d}-")}
        for k in range(pieces)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=None, help="default: var/bench/scale-<docs>")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-variation", action="store_true", help="the generator's texts as they are")
    ap.add_argument(
        "--pieces", type=int, default=0, help="write the documents as this many parts (piece-NN/)"
    )
    args = ap.parse_args()
    out = args.out or settings.PROJECT_DIR / "var" / "bench" / f"scale-{args.docs}"
    if args.pieces:
        print(
            json.dumps({"out": str(out), "pieces": generate_pieces(args.docs, args.pieces, out, args.seed)})
        )
    else:
        print(json.dumps({"out": str(out), **generate(args.docs, out, args.seed, not args.no_variation)}))


if __name__ == "__main__":
    main()
