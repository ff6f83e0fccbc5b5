"""Alerts: the YAML, the rules, the words, and the messages arriving for real (a local SMTP server and an HTTP
receiver the tests start) once per week, touchpoint and recipient, however often the run repeats."""

from __future__ import annotations

import email
import json
import shutil
import socket
import threading
from datetime import date
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
import yaml
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from vocmine.alerts.channels import sender
from vocmine.alerts.config import AlertsConfig, ThresholdRule, load_alerts
from vocmine.alerts.deliver import plan
from vocmine.alerts.message import Message, render
from vocmine.alerts.rules import FIGURES, Finding, TouchpointAlert
from vocmine.cli import app
from vocmine.errors import UsageError
from vocmine.report import queries as q
from vocmine.report.model import Verbatim
from vocmine.store.db import Store
from vocmine.taxonomy import Taxonomy

SPIKE_WEEK = date(2026, 10, 12)  # the planted delivery spike (data/samples/planted.yaml)
LAST_WEEK = date(2026, 11, 2)


# -- the local servers --------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email_policy))
        return "250 OK"


def _text(mail: email.message.EmailMessage) -> str:
    return mail.get_content().replace("\r\n", "\n")  # SMTP sends CRLF line ends


@pytest.fixture
def smtp():
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


class _Receiver(ThreadingHTTPServer):
    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answers to give, in order (then 200)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(h):  # noqa: N802 (http.server's name)
                body = h.rfile.read(int(h.headers.get("Content-Length", 0)))
                status = self.statuses.pop(0) if self.statuses else 200
                self.requests.append(
                    {"path": h.path, "headers": dict(h.headers), "json": json.loads(body), "status": status}
                )
                h.send_response(status)
                h.end_headers()
                h.wfile.write(b"{}")

            def log_message(h, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def delivered(self) -> list[dict]:
        return [r for r in self.requests if r["status"] < 300]


@pytest.fixture
def hook():
    server = _Receiver()
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


def _config(tmp_path: Path, smtp, hook, **extra) -> Path:
    doc = {
        "report_url": "https://voc.example.com/nightly/report.html",
        "channels": {
            "mail": {"kind": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                     "sender": "voc@example.com"},
            "hook": {"kind": "webhook", "url": f"{hook.url}/alerts"},
        },
        "emerging": {"recipients": ["mail:cx@example.com", "hook"]},
        **extra,
    }  # fmt: skip
    doc = {k: v for k, v in doc.items() if v is not None}  # report_url=None: the default link
    path = tmp_path / "alerts.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


# -- the YAML --------------------------------------------------------------------------------------------------
def _load(tmp_path: Path, doc: dict) -> AlertsConfig:
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_alerts(path)


MAIL = {"kind": "email", "host": "smtp.example.com", "sender": "voc@example.com"}


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"channels": {"m": {**MAIL, "password": "hunter2"}}, "emerging": {"recipients": ["m:a@b.co"]}},
         "secrets never go in the alerts file"),
        ({"channels": {"m": MAIL}, "emerging": {"recipients": ["slack"]}}, "no channel 'slack' (channels: m)"),
        ({"channels": {"m": MAIL}, "emerging": {"recipients": ["m"]}}, "say to whom"),
        ({"channels": {"s": {"kind": "slack", "url": "https://hooks.slack.com/services/T/B/C"}},
          "emerging": {"recipients": ["s"]}}, "channels.s.slack.url"),
        ({"channels": {"m": MAIL}, "rules": [{"name": "r", "metric": "nps_score", "threshold": 1,
                                              "recipients": ["m:a@b.co"]}]}, "rules[0].metric"),
        ({"channels": {"m": MAIL}}, "nothing to alert on"),
        ({"channels": {"m": MAIL}, "emerging": {"recipients": ["m:a@b.co"]}, "lang": "de"}, "lang"),
    ],
)  # fmt: skip
def test_a_bad_alerts_file_is_one_clear_error(tmp_path, doc, says):
    with pytest.raises(UsageError) as e:
        _load(tmp_path, doc)
    assert says in str(e.value)
    assert "hunter2" not in str(e.value)


def test_missing_and_malformed_files_say_so(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_alerts(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("channels: [\n")
    with pytest.raises(UsageError, match="not valid YAML at line"):
        load_alerts(tmp_path / "bad.yaml")


def test_a_secret_is_read_from_the_environment_only_when_sending(tmp_path, monkeypatch):
    cfg = _load(
        tmp_path,
        {
            "channels": {"s": {"kind": "slack", "url": {"env": "VOCMINE_TEST_SLACK"}}},
            "emerging": {"recipients": ["s"]},
        },
    )
    monkeypatch.delenv("VOCMINE_TEST_SLACK", raising=False)
    with pytest.raises(UsageError, match="environment variable VOCMINE_TEST_SLACK is not set"):
        sender(cfg, "s")


@pytest.mark.parametrize(
    ("comparison", "value", "holds"),
    [
        (">=", 30, True),
        (">=", 29, False),
        (">", 30, False),
        ("<", -1, True),
        ("<=", 0, True),
        ("<", 0, False),
    ],
)
def test_threshold_comparisons(comparison, value, holds):
    threshold = 0 if comparison.startswith("<") else 30
    rule = ThresholdRule(name="r", metric="nps", comparison=comparison, threshold=threshold, recipients=["x"])
    assert rule.holds(value) is holds


# -- the words -------------------------------------------------------------------------------------------------
def _alert() -> TouchpointAlert:
    quotes = [
        Verbatim(f"reviews:{i}", "", text, "", "reviews", "en", date(2026, 10, 13 + i))
        for i, text in enumerate(
            ["Courier was three hours late", "Order stuck at [ADDRESS]", "Nobody called"]
        )
    ]
    return TouchpointAlert(
        week=SPIKE_WEEK,
        touchpoint="delivery",
        name="Delivery",
        stage_name="Receive",
        findings=[
            (Finding("emerging", "complaints", 52, 12, baseline_mean=9.42, history_weeks=6, z=4.31), ("a",)),
            (Finding("nps-floor", "nps", -35.0, -5.0, basis=24, comparison="<", threshold=0), ("a", "b")),
        ],
        verbatims=quotes,
    )


def test_the_message_puts_the_figures_in_plain_words():
    a = _alert()
    m = render(a, a.findings_for("a"), "https://voc.example.com/r.html", "en")
    assert m.subject == "vocmine alert: Delivery, week of 2026-10-12"
    assert m.body.splitlines()[0] == "Delivery (Receive): week of 2026-10-12 to 2026-10-18."
    assert (
        "- Emerging issue: 52 complaints this week against 12 the week before, and 9.4 a week on average "
        "over the 6 weeks before (4.3 standard deviations above its usual level)." in m.body
    )
    assert (
        '- Rule "nps-floor" (NPS below 0): NPS of the customers who mentioned it -35 this week (24 answers), '
        "against -5 the week before." in m.body
    )
    assert "1. «Courier was three hours late» (reviews, 2026-10-13)" in m.body
    assert "3. «Nobody called» (reviews, 2026-10-15)" in m.body
    assert m.body.rstrip().endswith("Report: https://voc.example.com/r.html")
    # a recipient hears only of the rules that name it
    only_b = render(a, a.findings_for("b"), None, "en").body
    assert "nps-floor" in only_b and "Emerging" not in only_b and "Report:" not in only_b


def test_the_message_in_russian():
    a = _alert()
    m = render(a, a.findings_for("a"), "file:///srv/report.html", "ru")
    assert m.subject == "vocmine: Delivery, неделя с 2026-10-12"
    assert "Нарастающая проблема: жалоб за неделю: 52, неделей раньше: 12; в среднем 9,4 в неделю" in m.body
    assert "NPS упомянувших за неделю: -35 (ответов: 24), неделей раньше: -5" in m.body
    assert "Что пишут клиенты (персональные данные скрыты):" in m.body
    assert "Отчёт: file:///srv/report.html" in m.body


# -- every channel, against the local servers ------------------------------------------------------------------
def test_every_channel_delivers_for_real(tmp_path, smtp, hook, monkeypatch):
    monkeypatch.setenv("VOCMINE_TEST_SLACK", f"{hook.url}/services/T0/B0/secret-token")
    monkeypatch.setenv("VOCMINE_TEST_TG", "123:bot-secret")
    monkeypatch.setenv("VOCMINE_TEST_HOOK_TOKEN", "hook-secret")
    cfg = _load(
        tmp_path,
        {
            "channels": {
                "mail": {"kind": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                         "sender": "voc@example.com", "to": ["cx@example.com", "ops@example.com"]},
                "slack": {"kind": "slack", "url": {"env": "VOCMINE_TEST_SLACK"}},
                "tg": {"kind": "telegram", "token": {"env": "VOCMINE_TEST_TG"}, "chat_id": -100123,
                       "api_url": hook.url},
                "hook": {"kind": "webhook", "url": f"{hook.url}/in", "token": {"env": "VOCMINE_TEST_HOOK_TOKEN"}},
            },
            "emerging": {"recipients": ["mail", "mail:lead@example.com", "slack", "tg", "hook"]},
        },
    )  # fmt: skip
    m = Message("vocmine: Доставка, неделя с 2026-10-12", "Жалоб: 52 <b>&\n1. «Курьер опоздал»\n")
    for recipient in ["mail", "mail:lead@example.com", "slack", "tg", "hook"]:
        sender(cfg, recipient)(m)

    assert [rcpt for _, rcpt in smtp.envelopes] == [
        ["cx@example.com", "ops@example.com"],
        ["lead@example.com"],
    ]
    mail = smtp.messages[0]
    assert mail["Subject"] == m.subject and mail["From"] == "voc@example.com"
    assert _text(mail) == m.body  # UTF-8 text, Russian intact

    slack, tg, generic = hook.requests
    assert slack["path"] == "/services/T0/B0/secret-token"
    assert slack["json"] == {"text": f"*{m.subject}*\nЖалоб: 52 &lt;b&gt;&amp;\n1. «Курьер опоздал»\n"}
    assert tg["path"] == "/bot123:bot-secret/sendMessage"
    assert tg["json"] == {
        "chat_id": "-100123",
        "text": f"{m.subject}\n\n{m.body}",
        "disable_web_page_preview": True,
    }
    assert generic["path"] == "/in" and generic["headers"]["Authorization"] == "Bearer hook-secret"
    assert generic["json"] == {"subject": m.subject, "text": m.body}


def test_a_failing_webhook_raises_without_its_secret(tmp_path, hook, monkeypatch):
    monkeypatch.setenv("VOCMINE_TEST_SLACK", f"{hook.url}/services/T0/B0/secret-token")
    cfg = _load(
        tmp_path,
        {
            "channels": {"s": {"kind": "slack", "url": {"env": "VOCMINE_TEST_SLACK"}}},
            "emerging": {"recipients": ["s"]},
        },
    )
    hook.statuses = [500]
    with pytest.raises(RuntimeError) as e:
        sender(cfg, "s")(Message("s", "b"))
    assert "HTTP 500" in str(e.value) and "secret-token" not in str(e.value)


# -- on the real sample run ------------------------------------------------------------------------------------
@pytest.fixture
def db(sample_run, tmp_path) -> Path:
    """A writable copy of the sample run's database, with its readers' snapshot."""
    path = tmp_path / "v.duckdb"
    shutil.copy2(sample_run.db, path)
    Store(path).migrate()
    Store(path).publish_snapshot()
    return path


def _log(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT touchpoint, recipient, rules, status, attempts, error IS NULL FROM alerts_sent ORDER BY 1, 2"
        ).fetchall()


def test_the_emerging_delivery_spike_arrives_once_by_mail_and_webhook(
    prefect_harness, db, tmp_path, smtp, hook
):
    from vocmine.flows.alerts import alerts

    config = _config(tmp_path, smtp, hook)
    first = alerts(config=str(config), db=str(db), week=f"{SPIKE_WEEK}")
    second = alerts(
        config=str(config), db=str(db), week=f"{SPIKE_WEEK}"
    )  # the nightly re-running: nothing new

    assert first["sent"] >= 2 and first["failed"] == 0
    assert second["sent"] == 0 and second["already_sent"] == first["sent"]
    mails = [m for m in smtp.messages if "Delivery" in m["Subject"]]
    posts = [r for r in hook.delivered if "Delivery" in r["json"]["subject"]]
    assert len(mails) == 1 and len(posts) == 1, "once, however often the run repeats"
    assert len(smtp.messages) == len(hook.delivered) == first["sent"] / 2  # every alert once per recipient

    body = _text(mails[0])
    assert posts[0]["json"]["text"] == body
    assert mails[0]["Subject"] == "vocmine alert: Delivery, week of 2026-10-12"
    assert "- Emerging issue: " in body and " complaints this week against " in body
    assert " a week on average over the 6 weeks before " in body  # the sample starts 2026-08-31
    assert body.rstrip().endswith("Report: https://voc.example.com/nightly/report.html")
    quotes = [
        line.split("«", 1)[1].rsplit("»", 1)[0]
        for line in body.splitlines()
        if line[:3] in ("1. ", "2. ", "3. ")
    ]
    assert len(quotes) == 3
    with duckdb.connect(str(db), read_only=True) as con:  # the verbatims are the stored (masked) evidence
        for quote in quotes:
            assert con.execute(
                "SELECT count(*) FROM v_pain_points WHERE touchpoint = 'delivery' AND week = ? AND evidence = ?",
                [SPIKE_WEEK, quote],
            ).fetchone()[0] == 1  # fmt: skip
    assert ("delivery", "hook", ["emerging"], "sent", 1, True) in _log(db)
    assert ("delivery", "mail:cx@example.com", ["emerging"], "sent", 1, True) in _log(db)


def _a_theme_emerges(monkeypatch):
    """The sample plants no new issue outside the taxonomy: flag the report's first theme as emerging (its real
    clusters, names and examples), as the z-rule would on a week when it spikes."""
    import dataclasses

    from vocmine.alerts import deliver

    build = deliver.build_report
    flagged = {}

    def report(*args, **kwargs):
        r = build(*args, **kwargs)
        theme = dataclasses.replace(r.themes[0], emerging=True, z=4.2)
        flagged["theme"] = theme
        return dataclasses.replace(r, themes=[theme, *r.themes[1:]])

    monkeypatch.setattr(deliver, "build_report", report)
    return flagged


def test_an_emerging_new_theme_alerts_once_with_its_examples(
    prefect_harness, db, tmp_path, smtp, hook, monkeypatch
):
    from vocmine.flows.alerts import alerts

    flagged = _a_theme_emerges(monkeypatch)
    config = _config(tmp_path, smtp, hook)  # the emerging rule for every touchpoint: new themes too
    first = alerts(config=str(config), db=str(db))
    second = alerts(config=str(config), db=str(db))
    theme = flagged["theme"]
    assert theme.id and theme.id.startswith("T")
    mails = [m for m in smtp.messages if m["Subject"].startswith("vocmine alert: new theme")]
    posts = [r for r in hook.delivered if r["json"]["subject"].startswith("vocmine alert: new theme")]
    assert len(mails) == len(posts) == 1 and second["sent"] == 0
    assert mails[0]["Subject"] == f"vocmine alert: new theme “{theme.label}”, week of {LAST_WEEK}"
    body = _text(mails[0])
    assert f"New theme “{theme.label}”: week of {LAST_WEEK}" in body
    assert (
        "complaints that fit no touchpoint" in body and f"vocmine taxonomy promote {theme.id} --stage" in body
    )
    assert f"- Emerging issue: {theme.complaints} complaints this week against {theme.weekly[-2]}" in body
    quotes = [
        line.split("«", 1)[1].rsplit("»", 1)[0] for line in body.splitlines() if line[:3] in ("1. ", "2. ")
    ]
    assert quotes == [" ".join(v.evidence.split()) for v in theme.examples[:3]][: len(quotes)] and quotes
    assert (f"theme:{theme.id}", "hook", ["emerging"], "sent", 1, True) in _log(db)
    assert first["failed"] == 0


def test_new_themes_go_only_to_an_emerging_rule_for_every_touchpoint(db, tmp_path, smtp, hook, monkeypatch):
    _a_theme_emerges(monkeypatch)
    taxonomy = Taxonomy.load()

    def themed(emerging: dict) -> list[str]:
        config = load_alerts(_config(tmp_path, smtp, hook, emerging=emerging))
        return [
            d.touchpoint
            for d in plan(Store(db), taxonomy, config).deliveries
            if d.touchpoint.startswith("theme:")
        ]

    assert themed({"recipients": ["hook"]})
    assert not themed({"recipients": ["hook"], "themes": False})
    assert not themed({"touchpoint": "delivery", "recipients": ["hook"]})
    assert themed({"touchpoint": "delivery", "recipients": ["hook"], "themes": True})


def test_a_failed_send_is_logged_and_tried_again_next_run(prefect_harness, db, tmp_path, smtp, hook):
    from vocmine.flows.alerts import alerts

    config = _config(tmp_path, smtp, hook)
    hook.statuses = [503] * 20  # the webhook is down for the first run
    first = alerts(config=str(config), db=str(db), week=f"{SPIKE_WEEK}")
    assert first["failed"] == first["sent"] > 0 and not hook.delivered
    assert ("delivery", "hook", ["emerging"], "failed", 1, False) in _log(db)
    hook.statuses = []
    second = alerts(config=str(config), db=str(db), week=f"{SPIKE_WEEK}")
    assert second["sent"] == first["failed"] and second["failed"] == 0
    assert len([r for r in hook.delivered if "Delivery" in r["json"]["subject"]]) == 1
    assert ("delivery", "hook", ["emerging"], "sent", 2, True) in _log(db)
    assert (
        len([m for m in smtp.messages if "Delivery" in m["Subject"]]) == 1
    )  # the mail went out the first time


def test_a_threshold_rule_fires_at_its_threshold_and_not_above(db, tmp_path, smtp, hook):
    with duckdb.connect(str(db), read_only=True) as con:
        q.set_variables(con, q.Period(LAST_WEEK))
        rows = con.execute(FIGURES).df()
    app_now = rows[(rows.touchpoint == "website_app") & (rows.period == "current")].iloc[0]
    n = int(app_now.complaints)
    assert n >= 10  # the planted checkout crash of app 5.2

    def found(threshold, metric="complaints", comparison=">=", min_answers=5):
        rule = {"name": "app-crash", "touchpoint": "website_app", "metric": metric, "comparison": comparison,
                "threshold": threshold, "min_answers": min_answers, "recipients": ["hook"]}  # fmt: skip
        cfg = load_alerts(_config(tmp_path, smtp, hook, rules=[rule]))
        p = plan(Store(db), Taxonomy.load(), cfg, LAST_WEEK)
        return [d for d in p.deliveries if d.touchpoint == "website_app" and "app-crash" in d.rules]

    fired = found(n)
    assert len(fired) == 1 and fired[0].recipient == "hook"
    assert (
        f'Rule "app-crash" (complaints at or above {n}): {n} complaints this week against '
        in fired[0].message.body
    )
    assert not found(n + 1)
    share = float(app_now.share_negative)
    assert found(share, "share_negative") and not found(share + 0.01, "share_negative")
    # too few mentions: no alert on a noisy share
    assert not found(share, "share_negative", min_answers=int(app_now.mentions) + 1)


def test_an_unknown_touchpoint_in_a_rule_is_an_error(db, tmp_path, smtp, hook):
    rule = {
        "name": "r",
        "touchpoint": "teleport",
        "metric": "complaints",
        "threshold": 1,
        "recipients": ["hook"],
    }
    cfg = load_alerts(_config(tmp_path, smtp, hook, rules=[rule]))
    with pytest.raises(UsageError, match="no touchpoint 'teleport'"):
        plan(Store(db), Taxonomy.load(), cfg)


def test_cli_check_shows_the_messages_and_sends_nothing(db, tmp_path, smtp, hook):
    config = _config(tmp_path, smtp, hook)
    r = CliRunner().invoke(
        app, ["alerts", "check", "--config", str(config), "--db", str(db), "--week", "2026-W42"]
    )
    assert r.exit_code == 0, r.output
    assert "== delivery to hook [emerging]: would be sent" in r.output
    assert "Subject: vocmine alert: Delivery, week of 2026-10-12" in r.output
    assert not smtp.messages and not hook.requests and _log(db) == []


def test_nightly_with_alerts_sends_once_over_reruns(prefect_harness, sample_run, tmp_path, smtp, hook):
    from vocmine.flows.nightly import nightly

    shutil.copytree(sample_run.dir / "samples", tmp_path / "samples")
    shutil.copy2(sample_run.db, tmp_path / "v.duckdb")
    rule = {"name": "app-crash", "touchpoint": "website_app", "metric": "complaints", "threshold": 10,
            "recipients": ["mail:app-team@example.com"]}  # fmt: skip
    config = _config(tmp_path, smtp, hook, rules=[rule], report_url=None)
    runs = [
        nightly(
            sources=str(tmp_path / "samples" / "sources.yaml"),
            db=str(tmp_path / "v.duckdb"),
            alerts=str(config),
        )
        for _ in range(2)
    ]
    assert runs[0]["alerts"]["week"] == f"{LAST_WEEK}" and runs[0]["alerts"]["sent"] >= 1
    assert runs[1]["alerts"]["sent"] == 0 and runs[1]["alerts"]["already_sent"] == runs[0]["alerts"]["sent"]
    app_mails = [m for m in smtp.messages if m["To"] == "app-team@example.com"]
    assert len(app_mails) == 1
    body = _text(app_mails[0])
    assert 'Rule "app-crash" (complaints at or above 10): ' in body
    assert f"Report: {(tmp_path / 'reports' / 'report.html').resolve().as_uri()}" in body
    with duckdb.connect(str(tmp_path / "v.duckdb"), read_only=True) as con:
        run_ids = {r for (r,) in con.execute("SELECT DISTINCT run_id FROM alerts_sent").fetchall()}
    assert run_ids == {runs[0]["run_id"]}


def test_the_documented_example_file_is_valid():
    from vocmine import settings

    cfg = load_alerts(settings.PROJECT_DIR / "docs" / "alerts.example.yaml")
    assert set(cfg.channels) == {"mail", "cx-slack", "ops-telegram", "ticketing", "teams"}
    assert [r.name for r in cfg.rules] == ["delivery-complaints", "nps-floor"]


def test_cli_send_exits_4_while_a_send_fails_and_0_once_it_went_out(
    prefect_harness, db, tmp_path, smtp, hook
):
    config = _config(tmp_path, smtp, hook)
    args = ["alerts", "send", "--config", str(config), "--db", str(db), "--week", f"{SPIKE_WEEK}"]
    hook.statuses = [500] * 20
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 4, r.output
    assert "failed" in r.output and "(tried again next run)" in r.output
    hook.statuses = []
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert ", failed 0 " in r.output
    assert len([x for x in hook.delivered if "Delivery" in x["json"]["subject"]]) == 1
