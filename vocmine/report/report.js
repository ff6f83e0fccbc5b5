// The explorable report: adds up the embedded sums (vocmine/report/explore.py) for the picked week and
// filters and takes the same ratios, roundings and rules as the SQL in docs/report.md.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("vocmine-data").textContent);
  const L = D.labels;
  const FACETS = ["source", "channel", "product", "lang"];
  const state = { week: D.report_week, sel: { source: [], channel: [], product: [], lang: [], stage: [], feeling: [] }, open: null, page: 0 };
  const $ = (s) => document.querySelector(s);

  // --- formatting: the Python side's i18n.num and markdown.fmt --------------------------------------------
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function tl(key, kw) {
    return (L[key] || key).replace(/\{(\w+)\}/g, (m, k) => (kw && k in kw ? kw[k] : m));
  }
  function num(v, d, signed) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    const neg = v < 0 || Object.is(v, -0);
    let [i, f] = fixed(Math.abs(v), d).split(".");
    i = i.replace(/\B(?=(\d{3})+(?!\d))/g, L.group);
    return (neg ? "-" : signed ? "+" : "") + i + (f ? L.point + f : "");
  }
  // Python's format rounds the exact binary value half to even (8.25 -> "8.2"); toFixed rounds ties up
  function fixed(a, d) {
    const long = a.toFixed(d + 25), cut = long.length - 25;
    if (/^50*$/.test(long.slice(cut))) {
      const down = long.slice(0, cut).replace(/\.$/, "");
      if (+down[down.length - 1] % 2 === 0) return down;
    }
    return a.toFixed(d);
  }
  function fmt(v, kind, signed) {
    if (v === null || v === undefined) return "—";
    if (kind === "pct") return num(v * 100, 1, signed) + (signed ? L.pp : "%");
    if (kind === "int") return num(v, 0, signed);
    return num(v, Math.abs(v) >= 10 || kind === "num1" ? 1 : 2, signed);
  }
  // DuckDB's round(x, d): half away from zero
  function rnd(x, d) {
    if (x === null) return null;
    const m = Math.pow(10, d);
    return (Math.sign(x) * Math.round(Math.abs(x) * m)) / m;
  }
  const ratio = (a, b) => (b ? a / b : null);
  const npsOf = (p, d, n) => (n ? (100 * (p - d)) / n : null);

  // --- selection ----------------------------------------------------------------------------------------
  // the feelings picked as a bit mask (explore_touchpoints' feel): a cell is in when its mask has one of them
  const feelMask = () => state.sel.feeling.reduce((m, i) => m | (1 << i), 0);
  function matches(t, i, withLang, withStage) {
    for (const f of FACETS) {
      if (f === "lang" && !withLang) continue;
      const s = state.sel[f];
      if (s.length && !(t[f][i] >= 0 && s.includes(t[f][i]))) return false;
    }
    if (withStage && state.sel.stage.length && !state.sel.stage.includes(D.touchpoints.stage[t.tp[i]])) return false;
    if (withStage && state.sel.feeling.length && !(t.feel[i] & feelMask())) return false;
    return true;
  }
  function sums(t, cols, keep) {
    const out = {};
    for (const c of cols) out[c] = 0;
    for (let i = 0; i < t.week.length; i++) if (keep(i)) for (const c of cols) out[c] += t[c][i];
    return out;
  }
  const DOC_COLS = ["documents", "with_text", "negative", "nps_answers", "promoters", "detractors", "csat_answers", "csat_sum", "ces_answers", "ces_sum"];

  // --- the figures ----------------------------------------------------------------------------------------
  function compute() {
    const k = state.week, docs = D.docs;
    let first = null;
    for (let i = 0; i < docs.week.length; i++) if (matches(docs, i, true, false) && (first === null || docs.week[i] < first)) first = docs.week[i];
    const cur = sums(docs, DOC_COLS, (i) => docs.week[i] === k && matches(docs, i, true, false));
    if (first === null || !cur.documents) return { empty: true };
    const h = Math.max(0, Math.min(D.weeks_back, k - first));
    const prev = sums(docs, DOC_COLS, (i) => docs.week[i] >= k - h && docs.week[i] < k && matches(docs, i, true, false));
    const metric = (key, c, p) => ({ key, current: c, previous: p, change: c === null || p === null ? null : rnd(c - p, 4) });
    const hasPrev = h > 0 && prev.documents > 0;
    const fig = (s, weeks) => ({
      documents: rnd(s.documents / weeks, 1),
      share_negative: s.with_text ? rnd(s.negative / s.with_text, 4) : null,
      nps: s.nps_answers ? rnd((100 * (s.promoters - s.detractors)) / s.nps_answers, 1) : null,
      csat: s.csat_answers ? rnd(s.csat_sum / s.csat_answers, 2) : null,
      ces: s.ces_answers ? rnd(s.ces_sum / s.ces_answers, 2) : null,
    });
    const fc = fig(cur, 1), fp = hasPrev ? fig(prev, h) : {};
    const headline = D.headline_keys.map((key) => metric(key, fc[key], hasPrev ? fp[key] : null));

    // touchpoints: weekly complaints over the window and this week's sums
    // with a feeling picked, the cells of the clauses with feelings (explore.py: tps_feel)
    const tps = state.sel.feeling.length ? D.tps_feel : D.tps, n = D.touchpoints.id.length, W = h + 1;
    const weekly = Array.from({ length: n }, () => new Array(W).fill(0));
    const TP_COLS = ["complaints", "documents", "primary", "mentions", "negative", "neutral", "positive", "resp_answers", "resp_promoters", "resp_detractors", "resp_csat_answers", "resp_csat_sum", "resp_ces_answers", "resp_ces_sum"];
    const now = Array.from({ length: n }, () => Object.fromEntries(TP_COLS.map((c) => [c, 0])));
    for (let i = 0; i < tps.week.length; i++) {
      const w = tps.week[i];
      if (w < k - h || w > k || !matches(tps, i, true, true)) continue;
      weekly[tps.tp[i]][w - (k - h)] += tps.complaints[i];
      if (w === k) for (const c of TP_COLS) now[tps.tp[i]][c] += tps[c][i];
    }
    const overall = npsOf(cur.promoters, cur.detractors, cur.nps_answers);
    const rules = D.rules, pains = [];
    for (let t = 0; t < n; t++) {
      const series = weekly[t];
      if (!series.some((x) => x > 0)) continue;
      const c = series[W - 1], before = series.slice(0, W - 1);
      // DuckDB's avg and var_pop (Welford's streaming update)
      let mean = 0, m2 = 0;
      before.forEach((x, j) => { const d = (x - mean) / (j + 1), nm = mean + d; m2 += (x - nm) * (x - mean); mean = nm; });
      const bm = before.length ? before.reduce((a, b) => a + b, 0) / before.length : 0;
      const bv = before.length ? m2 / before.length : 0;
      const s = now[t];
      const negativity = s.mentions ? s.negative / s.mentions : 0;
      const trend = (c + 1) / (bm + 1);
      const z = (c - bm) / Math.sqrt(Math.max(bv, bm, 1));
      const others = cur.nps_answers - s.resp_answers;
      const without = cur.nps_answers && others ? (100 * (cur.promoters - s.resp_promoters - (cur.detractors - s.resp_detractors))) / others : null;
      const impact = without === null || overall === null ? null : without - overall;
      pains.push({
        tp: t, name: D.touchpoints.name[t], stage: D.stages.name[D.touchpoints.stage[t]],
        complaints: c, documents: s.documents, primary: s.primary, mentions: s.mentions, negative_mentions: s.negative,
        negativity: rnd(negativity, 3), baseline_mean: rnd(bm, 2), trend: rnd(trend, 3),
        nps_impact: rnd(impact, 1),
        priority: rnd(c * negativity * trend * (1 + Math.max(impact === null ? 0 : impact, 0) / 10), 2),
        z: rnd(z, 2), emerging: c >= rules.min_volume && z >= rules.z_threshold, weekly: series, sums: s,
      });
    }
    pains.sort((a, b) => b.priority - a.priority || b.complaints - a.complaints || (D.touchpoints.id[a.tp] < D.touchpoints.id[b.tp] ? -1 : 1));

    const journey = [];
    for (let t = 0; t < n; t++) {
      const s = now[t];
      if (!s.mentions) continue;
      journey.push({ tp: t, stage: D.stages.name[D.touchpoints.stage[t]], name: D.touchpoints.name[t], mentions: s.mentions, negative: s.negative, positive: s.positive, net: rnd((s.positive - s.negative) / s.mentions, 3) });
    }
    const sil = D.silent, byChannel = new Map();
    for (let i = 0; i < sil.week.length; i++) {
      if (sil.week[i] !== k || !matches(sil, i, false, false)) continue;
      const ch = sil.channel[i] >= 0 ? D.dims.channel[sil.channel[i]] : D.dims.source[sil.source[i]];
      const row = byChannel.get(ch) || { channel: ch, detractors: 0, silent_detractors: 0, low_csat: 0, silent_low_csat: 0, low_ces: 0, silent_low_ces: 0, silent_unhappy: 0 };
      for (const c in row) if (c !== "channel") row[c] += sil[c][i];
      byChannel.set(ch, row);
    }
    const silent = [...byChannel.values()].sort((a, b) => b.silent_unhappy - a.silent_unhappy || (a.channel < b.channel ? -1 : 1));
    return { empty: false, h, first, cur, headline, pains, journey, silent, overall };
  }

  // --- rendering ------------------------------------------------------------------------------------------
  const BETTER = { documents: null, share_negative: false, nps: true, csat: true, ces: true };
  function cells(m) {
    const kind = { share_negative: "pct", nps: "num1", documents: "num1" }[m.key] || "num";
    return [fmt(m.current, m.key === "documents" ? "int" : kind), fmt(m.previous, kind), fmt(m.change, kind, true)];
  }
  function deltaClass(m) {
    const b = BETTER[m.key];
    if (m.change === null || m.change === 0 || b === null) return "flat";
    return m.change > 0 === b ? "good" : "bad";
  }
  function spark(values, w, h, color) {
    w = w || 110; h = h || 24; color = color || "#c0392b";
    const hi = Math.max(...values, 1), n = Math.max(values.length - 1, 1);
    const pts = values.map((v, i) => `${((i * w) / n).toFixed(1)},${(h - 2 - (v / hi) * (h - 4)).toFixed(1)}`);
    const last = (pts[pts.length - 1] || `0,${h}`).split(",");
    return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"><title>${esc(values.join(", "))}</title>` +
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.join(" ")}"/><circle cx="${last[0]}" cy="${last[1]}" r="2.5" fill="${color}"/></svg>`;
  }
  const COLORS = ["#c0392b", "#2c3e80", "#e67e22", "#16a085", "#8e44ad", "#7f8c8d"];
  function lineChart(labels, series, height) {
    const W = 720, H = height || 220, l = 34, r = 10, t = 10, b = 28;
    const hi = Math.max(1, ...series.flatMap((s) => s.values));
    const x = (i) => l + (labels.length > 1 ? (i * (W - l - r)) / (labels.length - 1) : (W - l - r) / 2);
    const y = (v) => t + (H - t - b) * (1 - v / hi);
    let svg = `<svg viewBox="0 0 ${W} ${H}" role="img">`;
    for (const v of [0, Math.round(hi / 2), hi]) svg += `<line x1="${l}" x2="${W - r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${l - 4}" y="${y(v) + 4}" text-anchor="end">${num(v, 0)}</text>`;
    const step = Math.ceil(labels.length / 8);
    labels.forEach((lab, i) => { if (i % step === 0 || i === labels.length - 1) svg += `<text x="${x(i)}" y="${H - 8}" text-anchor="${i === 0 ? "start" : i === labels.length - 1 ? "end" : "middle"}">${esc(lab.slice(5))}</text>`; });
    series.forEach((s, j) => {
      const c = COLORS[j % COLORS.length];
      svg += `<polyline class="trace" fill="none" stroke="${c}" stroke-width="2" points="${s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ")}"/>`;
      s.values.forEach((v, i) => { svg += `<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${c}"><title>${esc(s.name)} · ${esc(labels[i])}: ${v}</title></circle>`; });
    });
    svg += "</svg>";
    const legend = series.map((s, j) => `<span><i style="background:${COLORS[j % COLORS.length]}"></i>${esc(s.name)}</span>`).join("");
    return svg + `<div class="legend">${legend}</div>`;
  }
  function barChart(labels, groups) {
    const W = 720, H = 200, l = 34, b = 40, t = 10;
    const hi = Math.max(1, ...groups.flatMap((g) => g.values));
    const slot = (W - l) / Math.max(labels.length, 1), bw = Math.min(28, (slot * 0.8) / groups.length);
    let svg = `<svg viewBox="0 0 ${W} ${H}" role="img">`;
    labels.forEach((lab, i) => {
      groups.forEach((g, j) => {
        const v = g.values[i], hgt = ((H - t - b) * v) / hi, x0 = l + i * slot + (slot - bw * groups.length) / 2 + j * bw;
        svg += `<rect class="bar" x="${x0}" y="${H - b - hgt}" width="${bw - 2}" height="${hgt}" fill="${g.color}"><title>${esc(lab)} · ${esc(g.name)}: ${v}</title></rect>`;
      });
      svg += `<text x="${l + (i + 0.5) * slot}" y="${H - b + 14}" text-anchor="middle">${esc(lab)}</text>`;
    });
    svg += "</svg>";
    return svg + `<div class="legend">${groups.map((g) => `<span><i style="background:${g.color}"></i>${esc(g.name)}</span>`).join("")}</div>`;
  }
  function quote(v) {
    return `<blockquote>${esc(v.before)}<mark>${esc(v.evidence)}</mark>${esc(v.after)}<div class="meta">${esc(v.source)} · ${esc(v.lang)} · ${esc(v.day)}</div></blockquote>`;
  }
  function weekLabels(R) {
    return D.weeks.slice(state.week - R.h, state.week + 1);
  }

  function render() {
    const R = compute();
    state.R = R;
    const wk = D.weeks[state.week];
    $("#title").textContent = tl("title", { week: wk });
    const parts = [];
    for (const f of FACETS.concat(["stage", "feeling"])) if (state.sel[f].length) parts.push(`${L["f_" + f]}: ${state.sel[f].map((i) => valueName(f, i)).join(", ")}`);
    const base = R.empty ? "" : R.h ? tl("compared", { n: R.h, a: D.weeks[state.week - R.h], b: D.weeks[state.week - 1] }) : L.no_history;
    $("#compared").textContent = `${base} ${L.filters}: ${parts.join("; ") || D.base_filters || L.no_filters}.`;
    $("#reproduce").textContent = reproduce(R);
    $("#nodata").hidden = !R.empty;
    for (const id of ["#s-headline", "#s-top", "#s-journey", "#s-silent"]) $(id).hidden = R.empty;
    if (R.empty) {
      $("#nodata").textContent = tl("no_week_data", { week: wk });
      $("#emerging").hidden = true; $("#detail").hidden = true;
      return;
    }
    // emerging, in plain words
    const em = R.pains.filter((p) => p.emerging).map((p) => ({ name: p.name, kind: "touchpoint", n: p.complaints, mean: p.baseline_mean, z: p.z }));
    if (state.week === D.report_week && !anyFilter()) for (const th of D.themes) if (th.emerging) em.push({ name: th.label, kind: "theme", n: th.complaints, mean: th.baseline_mean, z: th.z });
    em.sort((a, b) => b.z - a.z);
    $("#emerging").hidden = !em.length;
    $("#emerging ul").innerHTML = em.map((e) => `<li>${esc(emergingText(e))}</li>`).join("");
    // headline
    $("#kpis").innerHTML = R.headline.map((m) => {
      const [c, p, ch] = cells(m);
      return `<div class="kpi" data-key="${m.key}" title="${esc(L["explain_" + m.key])}"><div class="label">${esc(L[m.key])}</div><div class="value">${c}</div>` +
        `<div class="delta ${deltaClass(m)}">${ch} <span class="flat">(${esc(L.before)}: ${p})</span></div><div class="why">${esc(L["explain_" + m.key])}</div></div>`;
    }).join("");
    // pain points
    const top = R.pains.slice(0, D.top_n);
    $("#pain-points tbody").innerHTML = top.map((p, i) =>
      `<tr class="open${state.open && state.open.kind === "tp" && state.open.id === p.tp ? " selected" : ""}" tabindex="0" data-tp="${p.tp}" title="${esc(L.open_hint)}">` +
      `<td class="n c-rank">${i + 1}</td><td class="c-touchpoint">${esc(p.name)}${p.emerging ? ' <span class="flag">⚠</span>' : ""}</td>` +
      `<td class="c-stage">${esc(p.stage)}</td><td class="n c-priority">${num(p.priority, 1)}</td><td class="n c-complaints">${num(p.complaints, 0)}</td><td class="n c-primary">${num(p.primary, 0)}</td>` +
      `<td class="n c-avg_before">${num(p.baseline_mean, 1)}</td><td class="n c-negativity">${num(p.negativity * 100, 0)}%</td>` +
      `<td class="n c-nps_impact">${fmt(p.nps_impact, "num1", true)}</td><td class="c-trend">${spark(p.weekly)}</td></tr>`).join("");
    $("#no-pain").hidden = top.length > 0;
    $("#chart-trend").innerHTML = top.length ? `<div class="note">${esc(L.trend_chart)}</div>` + lineChart(weekLabels(R), top.slice(0, 6).map((p) => ({ name: p.name, values: p.weekly }))) : "";
    // journey
    $("#journey tbody").innerHTML = R.journey.map((c) => {
      const w = Math.round(Math.abs(c.net) * 60), col = c.net < 0 ? "#c0392b" : "#1e8449";
      return `<tr class="open" tabindex="0" data-tp="${c.tp}" title="${esc(L.open_hint)}"><td>${esc(c.stage)}</td><td>${esc(c.name)}</td><td class="n">${num(c.mentions, 0)}</td>` +
        `<td class="n">${num(c.negative, 0)}</td><td class="n">${num(c.positive, 0)}</td><td><span class="netbar" style="width:${w}px;background:${col}"></span> ${num(c.net, 2, true)}</td></tr>`;
    }).join("");
    // silent customers
    $("#silent tbody").innerHTML = R.silent.map((s) => `<tr><td>${esc(s.channel)}</td><td class="n">${num(s.silent_detractors, 0)} ${esc(L.of)} ${num(s.detractors, 0)}</td>` +
      `<td class="n">${num(s.silent_low_csat, 0)} ${esc(L.of)} ${num(s.low_csat, 0)}</td><td class="n">${num(s.silent_low_ces, 0)} ${esc(L.of)} ${num(s.low_ces, 0)}</td></tr>`).join("");
    $("#no-silent").hidden = R.silent.length > 0;
    $("#chart-silent").innerHTML = R.silent.length ? barChart(R.silent.map((s) => s.channel), [
      { name: L.silent_detractors, color: "#c0392b", values: R.silent.map((s) => s.silent_detractors) },
      { name: L.silent_low_csat, color: "#e67e22", values: R.silent.map((s) => s.silent_low_csat) },
      { name: L.silent_low_ces, color: "#8e44ad", values: R.silent.map((s) => s.silent_low_ces) },
    ]) : "";
    renderDetail();
  }
  function anyFilter() {
    return Object.values(state.sel).some((s) => s.length);
  }
  function emergingText(e) {
    const kind = L["kind_" + e.kind];
    if (e.mean <= 0) return tl("emerging_new", { name: e.name, kind, n: e.n });
    const r = e.n / e.mean;
    return tl("emerging_line", { name: e.name, kind, n: e.n, mean: num(e.mean, e.mean === Math.trunc(e.mean) ? 0 : 1), ratio: num(r, r < 10 ? 1 : 0) });
  }
  function valueName(f, i) {
    return f === "stage" ? D.stages.name[i] : f === "feeling" ? D.feelings.name[i] : D.dims[f][i];
  }
  function reproduce(R) {
    const k = state.week, h = R.empty ? 0 : R.h;
    const lit = (vs) => (vs ? `[${vs.map((v) => `'${String(v).replace(/'/g, "''")}'`).join(", ")}]` : "NULL");
    const list = (f) => {
      if (state.sel[f].length) return state.sel[f].map((i) => D.dims[f][i]);
      return D.base[f] || null;
    };
    const day = (i) => `DATE '${D.weeks[i]}'`;
    const lines = [`SET VARIABLE week_start = ${day(k)};`, `SET VARIABLE hist_start = ${day(k - h)};`, `SET VARIABLE weeks = ${h};`];
    for (const [v, f] of [["sources", "source"], ["channels", "channel"], ["products", "product"], ["languages", "lang"]]) lines.push(`SET VARIABLE ${v} = ${lit(list(f))}::VARCHAR[];`);
    lines.push(`SET VARIABLE min_volume = ${D.rules.min_volume};`, `SET VARIABLE z_threshold = ${D.rules.z_threshold_text};`, `SET VARIABLE theme_max_score = ${D.rules.theme_max_score_text};`);
    if (state.sel.stage.length) lines.push(`-- and, on the touchpoint queries: AND stage IN (${state.sel.stage.map((i) => `'${D.stages.id[i]}'`).join(", ")})`);
    if (state.sel.feeling.length) lines.push(`-- and, on the touchpoint queries: the clauses with ${state.sel.feeling.map((i) => D.feelings.id[i]).join(" or ")} (v_segment_affect: emotions, effort = 'hard')`);
    return lines.join("\n");
  }

  // --- drill-down -------------------------------------------------------------------------------------------
  function openItem(kind, id) {
    if (!state.open || state.open.kind !== kind || state.open.id !== id) state.page = 0;
    state.open = { kind, id };
    render();
    $("#detail").scrollIntoView({ block: "nearest" });
  }
  function verbatimsOf(tp) {
    const V = D.verbatims, out = [], seen = new Set(), docs = new Set();
    const idx = [], anyFeeling = state.sel.feeling.length > 0;
    // without a feelings filter, the cells' first few (top); with one, those kept for the feelings picked
    for (let i = 0; i < V.week.length; i++) if (V.week[i] === state.week && V.tp[i] === tp && (anyFeeling || V.top[i]) && matches(V, i, true, true)) idx.push(i);
    idx.sort((a, b) => V.severity[b] - V.severity[a] || (V.doc[a] < V.doc[b] ? -1 : V.doc[a] > V.doc[b] ? 1 : V.seg[a] - V.seg[b]));
    for (const i of idx) {
      const w = V.evidence[i].toLowerCase();
      if (seen.has(w) || docs.has(V.doc[i])) continue;
      seen.add(w); docs.add(V.doc[i]);
      out.push({ before: V.before[i], evidence: V.evidence[i], after: V.after[i], source: D.dims.source[V.source[i]], lang: V.lang[i] >= 0 ? D.dims.lang[V.lang[i]] : "", day: V.day[i] });
    }
    return out;
  }
  function renderDetail() {
    const box = $("#detail"), o = state.open, R = state.R;
    if (!o || R.empty) { box.hidden = true; return; }
    let head, figs = "", chart, quotes, capNote = "";
    if (o.kind === "tp") {
      const p = R.pains.find((x) => x.tp === o.id);
      const name = D.touchpoints.name[o.id], stage = D.stages.name[D.touchpoints.stage[o.id]];
      head = `<h2>${esc(name)} <span class="note">· ${esc(stage)}</span></h2>`;
      const s = p ? p.sums : null;
      if (p) {
        const f = (label, key, value) => `<div class="fig" title="${esc(L["explain_" + key] || "")}">${esc(label)}<b>${value}</b></div>`;
        figs = f(L.complaints, "complaints", num(p.complaints, 0)) + f(L.avg_before, "avg_before", num(p.baseline_mean, 1)) +
          f(L.negativity, "negativity", num(p.negativity * 100, 0) + "%") + f(L.nps_impact, "nps_impact", fmt(p.nps_impact, "num1", true)) +
          f(L.priority, "priority", num(p.priority, 1));
        const c = R.cur;
        const scores = [
          [L.nps, fmt(s.resp_answers ? rnd(npsOf(s.resp_promoters, s.resp_detractors, s.resp_answers), 1) : null, "num1"), fmt(c.nps_answers ? rnd(npsOf(c.promoters, c.detractors, c.nps_answers), 1) : null, "num1")],
          [L.csat, fmt(s.resp_csat_answers ? rnd(s.resp_csat_sum / s.resp_csat_answers, 2) : null), fmt(c.csat_answers ? rnd(c.csat_sum / c.csat_answers, 2) : null)],
          [L.ces, fmt(s.resp_ces_answers ? rnd(s.resp_ces_sum / s.resp_ces_answers, 2) : null), fmt(c.ces_answers ? rnd(c.ces_sum / c.ces_answers, 2) : null)],
        ];
        figs = `<div class="figs">${figs}</div><div class="note">${esc(L.detail_scores)}</div><div class="figs scores">` +
          scores.map(([l, a, b]) => `<div class="fig">${esc(l)}<b>${a} <span class="flat">(${b})</span></b></div>`).join("") + "</div>";
      }
      chart = lineChart(weekLabels(R), [{ name, values: p ? p.weekly : new Array(R.h + 1).fill(0) }], 160);
      quotes = verbatimsOf(o.id);
      capNote = tl("verbatims_capped", { n: D.verbatims_per_cell }) + (D.verbatims_from ? " " + tl("verbatims_from", { week: D.verbatims_from }) : "");
    } else {
      const th = D.themes[o.id];
      head = `<h2>${esc(th.label)} <span class="note">· ${esc(L.kind_theme)}</span></h2><div class="note">${esc(L.theme_words)}: ${esc(th.words.join(" · "))}</div>`;
      figs = `<div class="note">${esc(tl("theme_line", { size: num(th.size, 0), n: num(th.complaints, 0) }))}</div>`;
      chart = lineChart(D.theme_weeks, [{ name: th.label, values: th.weekly }], 160);
      quotes = th.examples;
    }
    const per = 3, pages = Math.max(1, Math.ceil(quotes.length / per));
    state.page = Math.min(state.page, pages - 1);
    const shown = quotes.slice(state.page * per, state.page * per + per);
    const pager = quotes.length > per ? `<div class="pager"><button type="button" class="prev"${state.page ? "" : " disabled"}>${esc(L.prev)}</button>` +
      `<span>${esc(tl("page_of", { a: state.page * per + 1, b: state.page * per + shown.length, n: quotes.length }))}</span>` +
      `<button type="button" class="next"${state.page < pages - 1 ? "" : " disabled"}>${esc(L.next)}</button></div>` : "";
    box.innerHTML = `<div class="head">${head}<button type="button" class="close linkish">${esc(L.detail_close)}</button></div>${figs}` +
      `<div class="note">${esc(L.detail_week)}</div><div class="chart detail-chart">${chart}</div>` +
      `<h3>${esc(L.said)}</h3><div class="quotes">${shown.map(quote).join("") || `<p class="note">${esc(L.no_quotes)}</p>`}</div>${pager}` +
      (capNote ? `<p class="note">${esc(capNote)}</p>` : "");
    box.hidden = false;
  }

  // --- controls ---------------------------------------------------------------------------------------------
  function renderThemes() {
    $("#themes").innerHTML = D.themes.length ? D.themes.slice(0, D.top_themes).map((th, i) =>
      `<div class="card theme" tabindex="0" data-theme="${i}" title="${esc(L.open_hint)}"><span class="label">${esc(th.label)}</span>${th.emerging ? ' <span class="flag">⚠</span>' : ""}` +
      (th.label !== th.name ? ` <span class="words">(${esc(th.name)})</span>` : "") +
      `<span class="note"> — ${esc(tl("theme_line", { size: num(th.size, 0), n: num(th.complaints, 0) }))}</span> ${spark(th.weekly)}</div>`).join("")
      : `<p class="note">${esc(L.no_themes)}</p>`;
  }
  function setup() {
    const sel = $("#week");
    sel.innerHTML = D.weeks.map((w, i) => `<option value="${i}"${i === state.week ? " selected" : ""}>${esc(w)}</option>`).join("");
    sel.addEventListener("change", () => { state.week = +sel.value; state.page = 0; render(); });
    for (const box of document.querySelectorAll(".facet")) {
      const f = box.dataset.facet;
      const values = f === "stage" ? D.stages.name : f === "feeling" ? D.feelings.name : D.dims[f];
      if (values.length < 2) { box.hidden = true; continue; }
      box.querySelector(".chips").innerHTML = values.map((v, i) => `<button type="button" class="chip" data-facet="${f}" data-value="${i}" aria-pressed="false">${esc(v)}</button>`).join("");
    }
    document.addEventListener("click", (ev) => {
      const chip = ev.target.closest(".chip");
      if (chip) {
        const f = chip.dataset.facet, v = +chip.dataset.value, s = state.sel[f], at = s.indexOf(v);
        if (at >= 0) s.splice(at, 1); else s.push(v);
        chip.setAttribute("aria-pressed", at < 0 ? "true" : "false");
        state.page = 0; render(); return;
      }
      if (ev.target.closest("#clear")) {
        for (const f in state.sel) state.sel[f] = [];
        document.querySelectorAll(".chip").forEach((c) => c.setAttribute("aria-pressed", "false"));
        render(); return;
      }
      const row = ev.target.closest("tr.open[data-tp]");
      if (row) return openItem("tp", +row.dataset.tp);
      const theme = ev.target.closest("[data-theme]");
      if (theme) return openItem("theme", +theme.dataset.theme);
      if (ev.target.closest("#detail .close")) { state.open = null; render(); return; }
      if (ev.target.closest("#detail .prev")) { state.page--; renderDetail(); return; }
      if (ev.target.closest("#detail .next")) { state.page++; renderDetail(); }
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && ev.target.matches("tr.open, [data-theme]")) ev.target.click();
    });
    renderThemes();
    render();
    document.body.dataset.ready = "1";
  }
  setup();
})();
