"""Would effort or anger in the pain-point priority rank the sample key's planted pain points higher?

For each planted pain point and week of data/samples/planted.yaml: its rank by the report's priority, and by the
priority times (1 + its share of hard-effort clauses / angry complaints / both that week). Usage, over a database
the nightly flow wrote from the sample data::

    python bench/affect_priority.py var/vocmine.duckdb
"""

import sys
from datetime import date

import yaml

from vocmine import settings
from vocmine.report import queries as q
from vocmine.report.affect import build_affect
from vocmine.report.model import build_report
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

key = yaml.safe_load((settings.SAMPLES_DIR / "planted.yaml").read_text(encoding="utf-8"))
store = Store(sys.argv[1])
tax = Taxonomy.load()
for pp in key["pain_points"]:
    for wk in pp["weeks"]:
        r = build_report(store, tax, week=wk if isinstance(wk, date) else date.fromisoformat(str(wk)))
        with store.connect(read_only=True) as con:
            q.set_variables(con, r.period)
            a = {x.touchpoint: x for x in build_affect(con, r.period, tax, "en").rows}
        base = [p.touchpoint for p in r.pain_points]
        out = {}
        for name, f in (
            ("hard", lambda x: x.share_hard),
            ("angry", lambda x: x.share_angry),
            ("both", lambda x: x.share_hard + x.share_angry),
        ):
            aug = sorted(
                r.pain_points,
                key=lambda p: -p.priority * (1 + (f(a[p.touchpoint]) if p.touchpoint in a else 0)),
            )
            out[name] = [p.touchpoint for p in aug].index(pp["touchpoint"]) + 1
        print(pp["id"], wk, "rank now", base.index(pp["touchpoint"]) + 1, "with", out, "top3", base[:3])
