"""``vocmine taxonomy promote``: a stored theme becomes a touchpoint stub in a taxonomy file.

The stub takes the theme's names (per language) as name and description, its representative segments as
examples and the lemmas of its distinctive words as keywords, leaving out what another touchpoint already
has (the loader would refuse it). The file is edited round-trip with ruamel.yaml, so its comments, order and
quoting stay; the result is validated by ``Taxonomy`` before it replaces the file (atomically).
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from vocmine.errors import InputError, UsageError
from vocmine.report.tracking import normalise_id
from vocmine.store.db import Store
from vocmine.taxonomy import _ID_RE, Taxonomy, TaxonomyError, Touchpoint
from vocmine.text import lemma

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_ASCII_WORD = re.compile(r"[a-z][a-z0-9]*")
ID_WORDS = 4  # words of the English name in a derived touchpoint id


@dataclass(frozen=True)
class StoredTheme:
    """A row of the themes table, as promote uses it."""

    theme_id: str
    label: str
    labels: dict[str, str]
    words: list[str]
    examples: dict[str, list[str]]
    size: int
    first_week: date
    last_week: date


@dataclass(frozen=True)
class Promoted:
    touchpoint: Touchpoint
    theme: StoredTheme
    path: Path


def load_theme(store: Store, theme: str) -> StoredTheme:
    """The stored theme ``theme`` (``T0007``, ``T7`` or ``7``) from the published snapshot."""
    theme_id = normalise_id(theme)
    sql = "SELECT theme_id, label, labels, words, examples, size, first_week, last_week FROM themes"
    try:
        rows = store.query(f"{sql} WHERE theme_id = ?", [theme_id])
        if rows.empty:
            recent = store.query(f"{sql} ORDER BY last_week DESC, theme_id DESC LIMIT 8")
    except duckdb.CatalogException:  # a database from before schema v7
        rows = recent = None
    if rows is None or (rows.empty and recent.empty):
        raise InputError(
            f"no themes are recorded in {store.path} yet",
            "themes get their ids in a nightly run (`vocmine run`); the report then shows them",
        )
    if rows.empty:
        known = ", ".join(f"{r.theme_id} ({r.label})" for r in recent.itertuples())
        raise UsageError(f"no theme {theme!r} in {store.path}", f"the latest themes: {known}")
    r = rows.iloc[0]
    return StoredTheme(
        theme_id=r["theme_id"],
        label=r["label"],
        labels=json.loads(r["labels"]),
        words=list(r["words"]),
        examples=json.loads(r["examples"]),
        size=int(r["size"]),
        first_week=r["first_week"].date() if hasattr(r["first_week"], "date") else r["first_week"],
        last_week=r["last_week"].date() if hasattr(r["last_week"], "date") else r["last_week"],
    )


def touchpoint_id(theme: StoredTheme) -> str:
    """A snake_case id from the theme's English name (or its Latin-letter words), else ``theme_0007``."""
    source = theme.labels.get("en") or " ".join(w for w in theme.words if not _CYRILLIC.search(w))
    from spacy.lang.en.stop_words import STOP_WORDS

    words = [w for w in _ASCII_WORD.findall(source.lower()) if w not in STOP_WORDS][:ID_WORDS]
    return "_".join(words) if words else f"theme_{theme.theme_id.lower().lstrip('t')}"


def stub(theme: StoredTheme, taxonomy: Taxonomy, tp_id: str, stage: str) -> dict:
    """The touchpoint entry for ``theme``: what no other touchpoint of ``taxonomy`` already has."""
    langs = taxonomy.languages
    names = {k: v for k, v in theme.labels.items() if k in langs} or {langs[0]: theme.label}
    taken_kw = {(k, w) for tp in taxonomy.touchpoints for k, ws in tp.keywords.items() for w in ws}
    taken_ex = {(k, x.casefold()) for tp in taxonomy.touchpoints for k, xs in tp.examples.items() for x in xs}
    keywords: dict[str, list[str]] = {}
    for w in theme.words:
        lang = "ru" if _CYRILLIC.search(w) else "en"
        kw = lemma(w, lang)
        if lang in langs and (lang, kw) not in taken_kw and kw not in keywords.get(lang, []):
            keywords.setdefault(lang, []).append(kw)
    examples = {
        k: [x for x in xs if (k, x.casefold()) not in taken_ex]
        for k, xs in theme.examples.items()
        if k in langs
    }
    entry = {
        "id": tp_id,
        "stage": stage,
        "name": names,
        "description": dict(names),  # embedded with the examples: a reviewer writes what the touchpoint is
        "keywords": keywords,
        "examples": {k: v for k, v in examples.items() if v},
    }
    return {k: v for k, v in entry.items() if v}


def promote(
    db: str | Path,
    theme: str,
    taxonomy_path: str | Path,
    tp_id: str | None = None,
    stage: str | None = None,
) -> Promoted:
    """Append ``theme`` to the taxonomy file as touchpoint ``tp_id`` of ``stage``; refuses duplicates."""
    path = Path(taxonomy_path)
    try:
        taxonomy = Taxonomy.load(path)  # a broken file is not edited further
    except TaxonomyError as e:
        raise InputError(
            e.message.splitlines()[0], "fix the taxonomy file first (`vocmine` names every problem)"
        ) from e
    found = load_theme(Store(db).reader(), theme)
    stages = [s.id for s in taxonomy.stages]
    if stage is None or stage not in stages:
        raise UsageError(
            f"--stage {stage!r} is not a stage of {path}"
            if stage
            else "--stage is needed: where in the journey",
            f"one of: {', '.join(stages)}",
        )
    tp_id = tp_id or touchpoint_id(found)
    if not _ID_RE.match(tp_id):
        raise UsageError(f"--id {tp_id!r} is not a touchpoint id", "lowercase snake_case, e.g. hidden_fees")
    if tp_id in taxonomy.touchpoint_ids:
        raise UsageError(f"touchpoint {tp_id!r} is already in {path}", "give the new one another --id")
    for tp in taxonomy.touchpoints:
        mine = {(k, x.casefold()) for k, xs in found.examples.items() for x in xs}
        if mine & {(k, x.casefold()) for k, xs in tp.examples.items() for x in xs}:
            raise UsageError(
                f"theme {found.theme_id} is already in {path}: its examples are touchpoint {tp.id!r}'s",
                "edit that touchpoint instead",
            )
    entry = stub(found, taxonomy, tp_id, stage)
    if not entry.get("examples"):
        raise UsageError(
            f"theme {found.theme_id} has no example in the taxonomy's languages ({taxonomy.languages})"
        )

    text = path.read_text(encoding="utf-8")
    note = (
        f"{tp_id}: promoted from theme {found.theme_id} ({found.label!r}, {found.size} remarks, weeks "
        f"{found.first_week:%Y-%m-%d} to {found.last_week:%Y-%m-%d}) by `vocmine taxonomy promote`.",
        "Review the name, description, keywords and examples, and bump `version`.",
    )
    text = _append_touchpoint(text, entry, note)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        try:
            new = Taxonomy.load(tmp)
        except TaxonomyError as e:  # e.g. a word that is a keyword elsewhere in another form
            raise UsageError(f"the stub for theme {found.theme_id} would not load: {e.problems[0]}") from e
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Promoted(new.touchpoint(tp_id), found, path)


def _append_touchpoint(text: str, entry: dict, note: tuple[str, ...]) -> str:
    """``text`` with ``entry`` added as the last item of its ``touchpoints`` list, at the list's own indent,
    and every other byte as it was (a re-dump would re-wrap the file's hand-wrapped keyword lists)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = next(v for k, v in root.value if k.value == "touchpoints")
    if node.flow_style or not node.value:
        raise UsageError(
            "touchpoints in this file are not a block list ('- id: ...' items): add the stub by hand"
        )
    dash = node.value[0].start_mark.column - 2  # an item's mapping starts two columns after its dash
    out = io.StringIO()
    dumper = YAML()
    dumper.width = 4096  # a long example stays on its line
    dumper.indent(
        mapping=2, sequence=4, offset=2
    )  # "  - id: x" / "    examples:" / "      en:" / "        - …"
    dumper.dump([_flow_style(entry)], out)
    lines = [" " * dash + f"# {n}" for n in note]
    lines += [
        (" " * (dash - 2) + line) if dash >= 2 else line[2 - dash :] for line in out.getvalue().splitlines()
    ]
    at = node.end_mark.index  # where the list ends: the next top-level key, or the end of the file
    head = text[:at] if text[:at].endswith("\n") else text[:at] + "\n"
    return head + "\n".join(lines) + "\n" + text[at:]


def _flow_style(entry: dict) -> CommentedMap:
    """Short per-language maps in flow style ({en: ..., ru: ...}) like the file's own names; lists in block
    style."""
    out = CommentedMap()
    for k, v in entry.items():
        if isinstance(v, dict):
            m = CommentedMap()
            for lang, x in v.items():
                if isinstance(x, list):
                    seq = CommentedSeq(x)
                    m[lang] = seq
                else:
                    m[lang] = x
            if k == "name":
                m.fa.set_flow_style()
            out[k] = m
        else:
            out[k] = v
    return out
