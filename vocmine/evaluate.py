"""Dev figures of a model on the public corpora in ``../shared/data`` — the numbers the model card quotes.

Each suite is a function ``figures(model, root) -> list[Figure]`` named in ``SUITES`` by import path, so a suite's
heavy imports load only when it runs. ``evaluate`` runs the suites and writes ``EVAL.md`` and its JSON twin
``eval.json``, each figure beside its target, the frozen-encoder + logistic-regression baseline and the value the
previous model had.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import json
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vocmine.nlp.model import VocModel


@dataclass
class Figure:
    """One dev figure: a metric of a model on one dataset, beside its target and the baseline."""

    suite: str  # sentiment | touchpoints | aspects | domains | loco | emotion | effort
    dataset: str  # e.g. "SentiRuEval-2015 test (banks+telecom)"
    metric: str  # e.g. "macro-F1"
    value: float
    target: float | None = None
    baseline: float | None = None  # frozen encoder + logistic regression, measured the same way
    setting: str = ""  # e.g. "zero-shot", "trained"
    n: int | None = None  # evaluated items
    note: str = ""

    @property
    def reached(self) -> bool | None:
        return None if self.target is None else self.value >= self.target

    @property
    def key(self) -> str:
        """Identity of a figure across runs (the previous model's value is looked up by it)."""
        return f"{self.suite}|{self.dataset}|{self.metric}|{self.setting}"


#: suite name -> "module:function" returning ``list[Figure]`` for (model, shared-data root).
SUITES: dict[str, str] = {
    "sentiment": "vocmine.train.sentiment:figures",
    "touchpoints": "vocmine.train.touchpoints:figures",
    "touchpoints-transfer": "vocmine.train.matcher:figures",
    "aspects": "vocmine.train.aspects:figures",
    "domains": "vocmine.train.sentiment:domain_figures",
    "loco": "vocmine.train.sentiment:loco_figures",
    "emotion": "vocmine.train.emotion:figures",
    "effort": "vocmine.train.emotion:effort_figures",
}

#: suite -> the ``VocModel`` attribute that fingerprints everything its figures depend on (default ``version``):
#: a suite not re-run keeps its earlier figures while that key is unchanged, so shipping a new touchpoint matcher
#: does not cost a re-run of the sentiment suites (their encoder and heads are the same).
SUITE_INPUTS: dict[str, str] = {
    "sentiment": "sentiment_version",
    "domains": "sentiment_version",
    "loco": "sentiment_version",
    "emotion": "affect_version",  # the affect heads are not part of the model version
    "effort": "affect_version",
}

Suite = Callable[..., "list[Figure] | SuiteOutput"]


def suite_inputs(model: VocModel, suites: Sequence[str]) -> dict[str, str]:
    """Per suite, the fingerprint of what its figures depend on (``SUITE_INPUTS``)."""
    return {s: getattr(model, SUITE_INPUTS.get(s, "version")) for s in suites}


@dataclass
class SuiteOutput:
    """What a suite that can explain itself returns: its figures and, when asked (``errors``), its most
    confident mistakes (rows with set, gold, predicted, confidence, text)."""

    figures: list[Figure]
    mistakes: list[dict] = field(default_factory=list)


@dataclass
class SuiteResult:
    """What one suite gave: its figures, or the error that stopped it, and how long it ran."""

    suite: str
    figures: list[Figure] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    mistakes: list[dict] = field(default_factory=list)


@dataclass
class EvalReport:
    """One evaluation run: the model's figures, the suites that failed, and the previous model's values."""

    model_version: str
    model_dir: str
    data_dir: str
    created_at: str
    figures: list[Figure]
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    previous_model: str | None = None
    previous: dict[str, float] = field(default_factory=dict)  # Figure.key -> value of previous_model
    runtime: str = ""  # the encoder runtime the figures were measured on (``"auto"`` picks one per CPU)
    inputs: dict[str, str] = field(
        default_factory=dict
    )  # suite -> ``suite_inputs`` key its figures were made with
    measured: dict[str, str] = field(default_factory=dict)  # suite -> when its figures were made (ISO time)
    runtimes: dict[str, str] = field(default_factory=dict)  # suite -> the encoder runtime they were made on

    def to_json(self) -> dict:
        d = asdict(self)
        for f, fd in zip(self.figures, d["figures"], strict=True):
            fd["reached"] = f.reached
        return d

    @classmethod
    def from_json(cls, d: dict) -> EvalReport:
        names = {f.name for f in fields(Figure)}
        figs = [Figure(**{k: v for k, v in f.items() if k in names}) for f in d.get("figures", [])]
        return cls(**{**d, "figures": figs})


def load_suite(name: str) -> Suite:
    """Import a suite's function (``SUITES[name]`` or a literal ``module:function``)."""
    target = SUITES.get(name, name)
    if ":" not in target:
        raise ValueError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    module, func = target.split(":", 1)
    return getattr(importlib.import_module(module), func)


def run_suite(name: str, model: VocModel, root: Path, errors: int = 0) -> SuiteResult:
    """Run one suite; a missing module or a failure becomes an error line in the report, not a crash.

    ``errors``: ask the suites that take it for their ``errors`` most confident mistakes per set and class.
    """
    t0 = time.perf_counter()
    try:
        fn = load_suite(name)
        takes = "errors" in inspect.signature(fn).parameters
        out = fn(model, root, errors=errors) if errors and takes else fn(model, root)
        if not isinstance(out, SuiteOutput):
            out = SuiteOutput(list(out))
    except Exception as e:  # noqa: BLE001 - one broken suite must not hide the others' figures
        last = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
        where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
        took = round(time.perf_counter() - t0, 1)
        return SuiteResult(name, error=f"{type(e).__name__}: {e}{where}", seconds=took)
    return SuiteResult(name, out.figures, seconds=round(time.perf_counter() - t0, 1), mistakes=out.mistakes)


def read_report(path: Path) -> EvalReport | None:
    """The JSON twin of an earlier run, or None when there is none (or it is unreadable)."""
    try:
        return EvalReport.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def assemble(
    results: Sequence[SuiteResult],
    model_version: str,
    model_dir: str,
    data_dir: str,
    old: EvalReport | None,
    runtime: str = "",
    inputs: dict[str, str] | None = None,
) -> EvalReport:
    """Combine suite results with the earlier report.

    "Previous" is the last *other* model version's figures: re-evaluating the same model keeps the comparison
    instead of comparing the model with itself. A suite not run this time keeps its figures from the earlier
    report when what they depend on is unchanged: its ``inputs`` key (``suite_inputs``) is the recorded one, or,
    for a report that recorded none, the model version is the same.
    """
    inputs = inputs or {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    ran = {r.suite for r in results}
    figures = [f for r in results for f in r.figures]
    errors = {r.suite: r.error for r in results if r.error}
    seconds = {r.suite: r.seconds for r in results}
    kept_inputs = {s: k for s, k in inputs.items() if s in ran}
    measured = dict.fromkeys(ran, now)
    runtimes = dict.fromkeys(ran, runtime)
    previous_model, previous = None, {}
    if old is not None:
        if old.model_version != model_version:
            previous_model = old.model_version
            previous = {f.key: f.value for f in old.figures}
        else:
            previous_model, previous = old.previous_model, dict(old.previous)
        same_model = old.model_version == model_version
        carried: set[str] = set()
        for suite in dict.fromkeys(f.suite for f in old.figures) | dict.fromkeys(old.errors):
            recorded = old.inputs.get(suite)
            unchanged = recorded == inputs.get(suite) if recorded is not None else same_model
            if suite in ran or not unchanged:
                continue
            carried.add(suite)
            if suite in old.errors:
                errors[suite] = old.errors[suite]
            if suite in old.seconds:
                seconds[suite] = old.seconds[suite]
            if recorded is not None:
                kept_inputs[suite] = recorded
            measured[suite] = old.measured.get(suite, old.created_at)
            runtimes[suite] = old.runtimes.get(suite, old.runtime)
        figures = _merge([f for f in old.figures if f.suite in carried | ran], figures, ran)
    return EvalReport(
        model_version=model_version,
        model_dir=_short(model_dir),
        data_dir=_short(data_dir),
        created_at=now,
        figures=figures,
        errors=errors,
        seconds=seconds,
        previous_model=previous_model,
        previous=previous,
        runtime=runtime,
        inputs=kept_inputs,
        measured=measured,
        runtimes=runtimes,
    )


def _merge(old: Sequence[Figure], new: Sequence[Figure], ran: set[str]) -> list[Figure]:
    """The earlier report's figures with the suites run again replaced where they stood; new suites last."""
    out: list[Figure] = []
    placed: set[str] = set()
    for f in old:
        if f.suite not in ran:
            out.append(f)
        elif f.suite not in placed:
            out += [g for g in new if g.suite == f.suite]
            placed.add(f.suite)
    return out + [g for g in new if g.suite not in placed]


def _short(path: str) -> str:
    """A path inside the project as written in the repository (reports are committed); others as given."""
    from vocmine import settings

    p = Path(path).resolve()
    return str(p.relative_to(settings.PROJECT_DIR)) if p.is_relative_to(settings.PROJECT_DIR) else path


def fmt(v: float | None) -> str:
    """A figure for tables: three decimals, or a dash when absent."""
    return "—" if v is None else f"{v:.3f}"


def render_markdown(r: EvalReport) -> str:
    """EVAL.md: one table row per figure, then the suites that failed and the notes."""
    mark = {True: "yes", False: "**no**", None: "—"}
    lines = [
        "# Evaluation (generated by `vocmine evaluate`)",
        "",
        f"Model `{r.model_version}` (`{r.model_dir}`), data `{r.data_dir}`, {r.created_at}"
        + (f"; encoder run in {r.runtime}." if r.runtime else "."),
        f"Previous model: `{r.previous_model}`." if r.previous_model else "Previous model: none recorded.",
        "Baseline: the frozen encoder + logistic regression (C = 1, no class weights) trained on the same data and "
        "measured the same way.",
        "",
        "| suite | dataset | metric | setting | value | target | reached? | baseline | previous | n |",
        "|---|---|---|---|---:|---:|:---:|---:|---:|---:|",
    ]
    for f in r.figures:
        lines.append(
            f"| {f.suite} | {f.dataset} | {f.metric} | {f.setting} | {fmt(f.value)} | {fmt(f.target)} "
            f"| {mark[f.reached]} | {fmt(f.baseline)} | {fmt(r.previous.get(f.key))} "
            f"| {'' if f.n is None else f'{f.n:,}'} |"
        )
    if r.errors:
        lines += ["", "## Suites that did not run", ""]
        lines += [f"- `{s}`: {e}" for s, e in sorted(r.errors.items())]
    notes = [f for f in r.figures if f.note]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {f.suite} / {f.dataset} ({f.setting or f.metric}): {f.note}" for f in notes]
    carried = sorted({s for s, t in r.measured.items() if t != r.created_at})
    if carried:
        lines += [
            "",
            "Carried from an earlier run (what their figures depend on is unchanged): "
            + ", ".join(
                f"{s} ({r.measured[s][:10]}" + (f", {r.runtimes[s]})" if r.runtimes.get(s) else ")")
                for s in carried
            )
            + ".",
        ]
    if r.seconds:
        took = ", ".join(f"{s} {t:.0f} s" for s, t in r.seconds.items())
        lines += ["", f"Run time per suite: {took}."]
    lines += ["", "Reproduce: `vocmine evaluate` (JSON twin: `eval.json` beside this file).", ""]
    return "\n".join(lines)


def write_report(r: EvalReport, out: Path) -> Path:
    """Write ``out`` (Markdown) and ``eval.json`` beside it; returns the JSON path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    js = json_twin(out)
    js.write_text(json.dumps(r.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out.write_text(render_markdown(r), encoding="utf-8")
    return js


def json_twin(out: Path) -> Path:
    return out.with_name("eval.json")


MISTAKE_FIELDS = ("suite", "set", "gold", "predicted", "confidence", "text")


def write_mistakes(results: Sequence[SuiteResult], path: Path) -> int:
    """``--errors``: every suite's most confident mistakes in one CSV (a row per text); returns the rows."""
    rows = [{"suite": r.suite, **m} for r in results for m in r.mistakes]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=MISTAKE_FIELDS)
        w.writeheader()
        w.writerows(rows)
    return len(rows)
