"""The command line as analysts use it: classify an export, query read-only."""

import json

import pandas as pd
from typer.testing import CliRunner

from vocmine.cli import app

runner = CliRunner()


def test_classify_scores_a_csv(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3],
            "body": [
                "Быстрая доставка, но приложение вылетает при оплате.",
                "Great prices and the courier was on time!",
                "",
            ],
        }
    ).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["classify", str(src), str(out), "--text-column", "body"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df["id"]) == [1, 2, 3]
    assert list(df["language"][:2]) == ["ru", "en"]
    assert df["sentiment"][1] == "positive"
    segs = json.loads(df["segments"][0])
    assert len(segs) == 2 and segs[0]["sentiment"] == "positive" and segs[1]["sentiment"] == "negative"
    pains = json.loads(df["pain_points"][0])
    assert {p["touchpoint"] for p in pains} & {"website_app", "payment"}
    assert df["primary_touchpoint"][0] in {p["touchpoint"] for p in pains}
    assert list(df["primary_touchpoint"][1:]) == ["", ""]  # no complaint, no cause
    assert "delivery" in df["touchpoints"][1]


def test_classify_reports_a_missing_column(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("a,b\n1,2\n")
    res = runner.invoke(app, ["classify", str(src), str(tmp_path / "o.csv")])
    assert res.exit_code == 2 and "no column 'text'" in res.output


def test_query_refuses_writes(tmp_path):
    from vocmine.store.db import Store

    db = tmp_path / "v.duckdb"
    Store(db).migrate()
    ok = runner.invoke(
        app, ["query", "SELECT count(*) AS n FROM documents", "--db", str(db), "--format", "json"]
    )
    assert ok.exit_code == 0 and json.loads(ok.output) == [{"n": 0}]
    bad = runner.invoke(app, ["query", "DROP TABLE documents", "--db", str(db)])
    assert bad.exit_code == 2 and "read-only" in bad.output.lower()
