"""The pain-point summary: what hurts most, where in the journey, what is new, in customers' own words.

Every figure comes from the analyst views (``v_pain_points``, ``v_documents``, ``v_survey_scores``), so an
analyst can reproduce it in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    hi = max(values, default=0)
    if hi <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(v / hi * (len(SPARK) - 1) + 0.5))] for v in values)


def nps(scores: pd.Series) -> float | None:
    s = scores.dropna()
    if s.empty:
        return None
    return round(100 * ((s >= 9).mean() - (s <= 6).mean()), 1)


class NoData(ValueError):
    """Nothing stored to summarise yet (a first run whose records were all quarantined, say)."""


@dataclass
class Summary:
    week: date  # the reported week (Monday)
    weeks: list[date]  # history window, oldest first, ending with ``week``
    headline: dict
    top: pd.DataFrame  # one row per touchpoint, ranked
    emerging: pd.DataFrame
    verbatims: dict[str, list[str]]


def build_summary(store: Store, taxonomy: Taxonomy, week: date | None = None, history: int = 8) -> Summary:
    """Summarise the week (default: the latest week with data) against the ``history`` weeks before it."""
    last = store.query("SELECT max(week) AS w FROM v_documents")["w"].iloc[0]
    if pd.isna(last):
        raise NoData("the database holds no documents yet: nothing to summarise")
    week = week or pd.Timestamp(last).date()
    weeks = [week - timedelta(weeks=k) for k in range(history, -1, -1)]
    start = weeks[0]
    docs = store.query(
        "SELECT week, sentiment, nps, csat, ces FROM v_documents WHERE week >= ? AND week <= ?", [start, week]
    )
    cur, prev = docs[docs["week"] == pd.Timestamp(week)], docs[docs["week"] < pd.Timestamp(week)]
    headline = {
        "documents": len(cur),
        "documents_prev_avg": round(len(prev) / history, 1),
        "share_negative": round((cur["sentiment"] == "negative").mean(), 3) if len(cur) else None,
        "share_negative_prev": round((prev["sentiment"] == "negative").mean(), 3) if len(prev) else None,
        "nps": nps(cur["nps"]),
        "nps_prev": nps(prev["nps"]),
        "csat": round(cur["csat"].dropna().mean(), 2) if cur["csat"].notna().any() else None,
        "ces": round(cur["ces"].dropna().mean(), 2) if cur["ces"].notna().any() else None,
    }
    weekly = store.query(
        "SELECT touchpoint, stage, week, pain_points FROM v_pain_points_weekly WHERE week >= ? AND week <= ?",
        [start, week],
    )
    grid = (
        weekly.pivot_table(index=["touchpoint", "stage"], columns="week", values="pain_points", aggfunc="sum")
        .reindex(columns=[pd.Timestamp(w) for w in weeks])
        .fillna(0)
    )
    rows = []
    for (tp, stage), counts in grid.iterrows():
        hist = counts.iloc[:-1]
        now_n = float(counts.iloc[-1])
        mean, sd = float(hist.mean()), float(hist.std(ddof=0))
        rows.append(
            {
                "touchpoint": tp,
                "name": taxonomy.label(tp, "en"),
                "stage": stage,
                "pain_points": int(counts.sum()),
                "this_week": int(now_n),
                "weekly_avg_before": round(mean, 1),
                # Poisson-style z: robust for small counts where the history's sd is ~0
                "z": round((now_n - mean) / max(sd, (mean + 1) ** 0.5), 2),
                "trend": sparkline(counts.tolist()),
            }
        )
    top = pd.DataFrame(
        rows,
        columns=[
            "touchpoint",
            "name",
            "stage",
            "pain_points",
            "this_week",
            "weekly_avg_before",
            "z",
            "trend",
        ],
    )
    top = top.sort_values(["pain_points", "this_week"], ascending=False).reset_index(drop=True)
    # Emerging: this week's count is ≥ 5 and more than 3 standard deviations above its own history.
    emerging = top[(top["this_week"] >= 5) & (top["z"] >= 3.0)].sort_values("z", ascending=False)
    verb = store.query(
        """SELECT touchpoint, evidence FROM (
               SELECT touchpoint, evidence, row_number() OVER (PARTITION BY touchpoint ORDER BY sev DESC) AS r
               FROM (SELECT touchpoint, evidence, max(severity) AS sev FROM v_pain_points
                     WHERE week >= ? AND week <= ? GROUP BY ALL))
           WHERE r <= 3 ORDER BY touchpoint, r""",
        [start, week],
    )
    verbatims = verb.groupby("touchpoint")["evidence"].apply(list).to_dict()
    return Summary(week, weeks, headline, top, emerging.reset_index(drop=True), verbatims)


def _fmt(v, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    return f"{v:.1%}" if pct else f"{v}"


def render_markdown(s: Summary, top_n: int = 8) -> str:
    h = s.headline
    lines = [
        f"# Pain-point summary — week of {s.week:%Y-%m-%d}",
        "",
        f"Compared with the {len(s.weeks) - 1} weeks before ({s.weeks[0]:%Y-%m-%d} – "
        f"{s.weeks[-2]:%Y-%m-%d}).",
        "",
        "| | this week | before |",
        "|---|---:|---:|",
        f"| Feedback documents | {h['documents']} | {h['documents_prev_avg']} / week |",
        f"| Share negative | {_fmt(h['share_negative'], True)} | {_fmt(h['share_negative_prev'], True)} |",
        f"| NPS | {_fmt(h['nps'])} | {_fmt(h['nps_prev'])} |",
        f"| CSAT (1–5) | {_fmt(h['csat'])} | |",
        f"| CES (1–7) | {_fmt(h['ces'])} | |",
        "",
    ]
    if len(s.emerging):
        lines += ["## ⚠ Emerging this week", ""]
        for r in s.emerging.itertuples():
            lines.append(
                f"- **{r.name}** ({r.stage}): {r.this_week} complaints vs {r.weekly_avg_before}/week before "
                f"(z = {r.z})"
            )
        lines.append("")
    lines += [
        "## Top pain points",
        "",
        "| # | Touchpoint | Stage | Complaints | This week | Avg/week before | Trend |",
        "|---:|---|---|---:|---:|---:|---|",
    ]
    for i, r in enumerate(s.top.head(top_n).itertuples(), 1):
        lines.append(
            f"| {i} | {r.name} | {r.stage} | {r.pain_points} | {r.this_week} | {r.weekly_avg_before} | `{r.trend}` |"
        )
    lines += ["", "## What customers said", ""]
    for r in s.top.head(top_n).itertuples():
        quotes = s.verbatims.get(r.touchpoint, [])
        if quotes:
            lines.append(f"**{r.name}**")
            lines += [f"> {q}" for q in quotes]
            lines.append("")
    return "\n".join(lines)
