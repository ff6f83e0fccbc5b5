"""The report as one self-contained HTML file.

Charts are plotly figures with plotly.js inlined once in the page (about 4.6 MB): the file opens offline, from
an e-mail attachment or a shared drive, with hover details on every mark, and needs no network at view time.
The per-row sparklines in the pain-point table are tiny inline SVG polylines instead: a plotly instance per table
cell would cost far more than the line it draws. Text is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from vocmine.report import journeys
from vocmine.report.i18n import TOP_COLUMNS, t
from vocmine.report.markdown import compared, metric_cells
from vocmine.report.model import Report

CONFIG = {"displayModeBar": False, "responsive": True}
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12)


def sparkline_svg(values: list[int], width: int = 110, height: int = 24) -> Markup:
    hi = max(max(values, default=0), 1)
    n = max(len(values) - 1, 1)
    pts = " ".join(
        f"{i * width / n:.1f},{height - 2 - v / hi * (height - 4):.1f}" for i, v in enumerate(values)
    )
    last_x, last_y = pts.split(" ")[-1].split(",") if values else ("0", str(height))
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f'<polyline fill="none" stroke="#c0392b" stroke-width="1.5" points="{pts}"/>'
        f'<circle cx="{last_x}" cy="{last_y}" r="2.5" fill="#c0392b"/></svg>'
    )


def _div(fig: go.Figure, div_id: str) -> Markup:
    fig.update_layout(
        font=FONT, margin=dict(l=10, r=10, t=30, b=10), paper_bgcolor="white", plot_bgcolor="white"
    )
    return Markup(pio.to_html(fig, full_html=False, include_plotlyjs=False, config=CONFIG, div_id=div_id))


def trend_chart(r: Report) -> Markup | None:
    if not r.top:
        return None
    x = [f"{w:%Y-%m-%d}" for w in r.period.all_weeks]
    fig = go.Figure()
    for pp in r.top[:6]:
        fig.add_scatter(x=x, y=pp.weekly, mode="lines+markers", name=pp.name)
    fig.add_vrect(x0=x[-1], x1=x[-1], line=dict(color="#888", dash="dot"))
    fig.update_layout(
        title=t("trend_chart", r.lang),
        height=320,
        legend=dict(orientation="h", y=-0.2),
        xaxis=dict(title=t("week", r.lang), type="category", gridcolor="#eee"),
        yaxis=dict(title=t("complaints", r.lang), gridcolor="#eee", rangemode="tozero"),
    )
    return _div(fig, "chart-trend")


def journey_chart(r: Report) -> Markup | None:
    if not r.journey:
        return None
    cells = r.journey
    hi = max(c.mentions for c in cells)
    stages = list(dict.fromkeys(c.stage_name for c in cells))
    fig = go.Figure(
        go.Scatter(
            x=[c.stage_name for c in cells],
            y=[c.name for c in cells],
            mode="markers+text",
            text=[str(c.mentions) for c in cells],
            textposition="middle center",
            textfont=dict(size=10, color="#222"),
            marker=dict(
                size=[14 + 46 * (c.mentions / hi) ** 0.5 for c in cells],
                color=[c.net_sentiment for c in cells],
                colorscale="RdYlGn",
                cmin=-1,
                cmax=1,
                line=dict(color="#555", width=0.5),
                colorbar=dict(title=t("net_sentiment", r.lang), thickness=12),
            ),
            customdata=[[c.negative, c.positive, c.net_sentiment] for c in cells],
            hovertemplate=(
                "%{y} · %{x}<br>"
                + t("mentions", r.lang)
                + ": %{text}<br>"
                + t("negative", r.lang)
                + ": %{customdata[0]}, "
                + t("positive", r.lang)
                + ": %{customdata[1]}<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        height=80 + 42 * len({c.name for c in cells}),
        xaxis=dict(categoryorder="array", categoryarray=stages, side="top", gridcolor="#eee"),
        yaxis=dict(autorange="reversed", gridcolor="#eee"),
    )
    return _div(fig, "chart-journey")


def silent_chart(r: Report) -> Markup | None:
    if not r.silent:
        return None
    ch = [s.channel for s in r.silent]
    fig = go.Figure()
    for key, color in (
        ("silent_detractors", "#c0392b"),
        ("silent_low_csat", "#e67e22"),
        ("silent_low_ces", "#8e44ad"),
    ):
        fig.add_bar(x=ch, y=[getattr(s, key) for s in r.silent], name=t(key, r.lang), marker_color=color)
    fig.update_layout(
        barmode="group",
        height=260,
        legend=dict(orientation="h", y=-0.25),
        yaxis=dict(gridcolor="#eee", rangemode="tozero"),
    )
    return _div(fig, "chart-silent")


TEMPLATE = """<!DOCTYPE html>
<html lang="{{ r.lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.25em; margin: 28px 0 8px; }
.sub, .note { color: #666; font-size: .92em; }
.card { background: white; border-radius: 10px; padding: 16px 18px; box-shadow: 0 1px 3px rgba(0,0,0,.08); margin: 12px 0; }
.alert { background: #fff4e5; border-left: 5px solid #e67e22; }
.alert li { margin: 4px 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.kpi { background: white; border-radius: 10px; padding: 12px 14px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.kpi .label { color: #666; font-size: .85em; } .kpi .value { font-size: 1.7em; font-weight: 600; }
.kpi .delta { font-size: .9em; } .good { color: #1e8449; } .bad { color: #c0392b; } .flat { color: #666; }
table { border-collapse: collapse; width: 100%; font-size: .93em; }
th, td { padding: 6px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: middle; }
th { color: #555; font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.flag { color: #e67e22; font-weight: 700; }
blockquote { margin: 8px 0; padding: 6px 12px; border-left: 3px solid #ddd; color: #333; }
blockquote .meta { color: #888; font-size: .85em; }
mark { background: #fde2e1; padding: 0 2px; border-radius: 3px; }
.words { font-weight: 600; } pre { background: #f0f1f3; padding: 10px; overflow-x: auto; font-size: .85em; }
</style>
<script>{{ plotly_js }}</script>
</head>
<body><main>
<h1>{{ title }}</h1>
<div class="sub">{{ compared }}</div>

{% if r.emerging %}
<div class="card alert" id="emerging"><h2 style="margin-top:0">{{ t('emerging') }}</h2><ul>
{% for e in r.emerging %}<li><b>{{ t('emerging_line', name=e.name, kind=t('kind_' ~ e.kind), n=e.complaints, mean=e.baseline_mean, z=e.z) }}</b></li>
{% endfor %}</ul></div>
{% endif %}

<h2>{{ t('headline') }}</h2>
<div class="kpis">
{% for m, cells, cls in kpis %}<div class="kpi"><div class="label">{{ t(m.key) }}</div>
<div class="value">{{ cells[0] }}</div>
<div class="delta {{ cls }}">{{ cells[2] }} <span class="flat">({{ t('before') }}: {{ cells[1] }})</span></div></div>
{% endfor %}</div>

<h2>{{ t('top') }}</h2>
<div class="card">
<div class="note">{{ t('top_note') }}</div>
{% if r.top %}
<table id="pain-points"><thead><tr>{% for c in cols %}<th>{{ t(c) }}</th>{% endfor %}</tr></thead><tbody>
{% for p in r.top %}<tr>
<td class="n">{{ loop.index }}</td><td>{{ p.name }}{% if p.emerging %} <span class="flag">⚠</span>{% endif %}</td>
<td>{{ p.stage_name }}</td><td class="n">{{ '%.1f' % p.priority }}</td><td class="n">{{ p.complaints }}</td>
<td class="n">{{ '%.1f' % p.baseline_mean }}</td><td class="n">{{ '%.0f%%' % (100 * p.negativity) }}</td>
<td class="n">{{ '—' if p.nps_impact is none else '%+.1f' % p.nps_impact }}</td><td>{{ spark(p.weekly) }}</td>
</tr>{% endfor %}</tbody></table>
{{ trend or '' }}
{% else %}<p>{{ t('no_pain') }}</p>{% endif %}
</div>

{% if r.top %}<h2>{{ t('said') }}</h2>
{% for p in r.top %}<div class="card verbatims"><b>{{ p.name }}</b>
{% for v in p.verbatims %}<blockquote>{{ v.before }}<mark>{{ v.evidence }}</mark>{{ v.after }}
<div class="meta">{{ v.source }} · {{ v.lang }} · {{ v.day }}</div></blockquote>
{% else %}<p class="note">{{ t('no_quotes') }}</p>{% endfor %}</div>
{% endfor %}{% endif %}

<h2>{{ t('themes') }}</h2>
<div class="note">{{ t('themes_note') }}</div>
{% for th in r.top_themes %}<div class="card theme"><span class="words">{{ th.name }}</span>{% if th.emerging %} <span class="flag">⚠</span>{% endif %}
<span class="note"> — {{ t('theme_line', size=th.size, n=th.complaints) }}</span> {{ spark(th.weekly) }}
{% for v in th.examples %}<blockquote>{{ v.before }}<mark>{{ v.evidence }}</mark>{{ v.after }}
<div class="meta">{{ v.source }} · {{ v.lang }} · {{ v.day }}</div></blockquote>{% endfor %}
</div>{% else %}<p class="note">{{ t('no_themes') }}</p>{% endfor %}
{% if r.more_themes[0] %}<p class="note">{{ t('more_themes', n=r.more_themes[0], size=r.more_themes[1]) }}</p>{% endif %}

<h2>{{ t('journey') }}</h2>
<div class="card"><div class="note">{{ t('journey_note') }}</div>{{ journey or '' }}</div>

<h2>{{ t('silent') }}</h2>
<div class="card"><div class="note">{{ t('silent_note') }}</div>
{% if r.silent %}<table id="silent"><thead><tr><th>{{ t('channel') }}</th><th>{{ t('silent_detractors') }}</th>
<th>{{ t('silent_low_csat') }}</th><th>{{ t('silent_low_ces') }}</th></tr></thead><tbody>
{% for s in r.silent %}<tr><td>{{ s.channel }}</td><td class="n">{{ s.silent_detractors }} {{ t('of') }} {{ s.detractors }}</td>
<td class="n">{{ s.silent_low_csat }} {{ t('of') }} {{ s.low_csat }}</td><td class="n">{{ s.silent_low_ces }} {{ t('of') }} {{ s.low_ces }}</td></tr>
{% endfor %}</tbody></table>{{ silent or '' }}
{% else %}<p>{{ t('no_silent') }}</p>{% endif %}</div>
{{ journeys }}

<h2>{{ t('reproduce') }}</h2>
<div class="note">{{ t('reproduce_note') }}</div>
<pre>{{ r.period.set_statements() }}</pre>
<p class="note">{{ t('generated', at=generated) }}</p>
</main></body></html>
"""

# Whether a rise is good news, per headline figure (CES: 7 = very easy, so higher is better).
_HIGHER_IS_BETTER = {"documents": None, "share_negative": False, "nps": True, "csat": True, "ces": True}


def _delta_class(key: str, change: float | None) -> str:
    better = _HIGHER_IS_BETTER[key]
    if change is None or change == 0 or better is None:
        return "flat"
    return "good" if (change > 0) == better else "bad"


def render_html(r: Report) -> str:
    lang, p = r.lang, r.period
    env = Environment(autoescape=True)
    template = env.from_string(TEMPLATE)
    return template.render(
        r=r,
        t=lambda key, **kw: t(key, lang, **kw),
        title=t("title", lang, week=f"{p.week_start:%Y-%m-%d}"),
        compared=compared(r),
        kpis=[(m, metric_cells(m), _delta_class(m.key, m.change)) for m in r.headline],
        cols=TOP_COLUMNS,
        spark=sparkline_svg,
        trend=trend_chart(r),
        journey=journey_chart(r),
        silent=silent_chart(r),
        journeys=journeys.render_html(r.journeys, lang),
        plotly_js=Markup(get_plotlyjs()),
        generated=f"{r.generated_at:%Y-%m-%d %H:%M}",
    )
