"""Offline HTML reports: one file, inline CSS and SVG, no script or CDN; everything escaped."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from evals.diffs import record_differences
from evals.scoring import DocumentScore

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1,h2,h3{font-weight:600} table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
.correct{color:#1a7f37}.wrong{color:#b35900}.missing{color:#a40e26}.extra{color:#8250df}.error{color:#a40e26;font-weight:600}
.worse{background:#ffe5e5}.better{background:#e6ffed} .muted{color:#777} q{font-style:italic}
details{margin:.4em 0} summary{cursor:pointer} code{font-size:90%}
"""


def _e(value: Any) -> str:
    if value is None:
        return '<span class="muted">(none)</span>'
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    return escape(value)


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else escape(str(value))


def _ci(ci: Sequence[float] | None) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "–"


def bar_chart(values: Mapping[str, float | None], *, width: int = 520, bar: int = 14) -> str:
    """Horizontal bars of scores in [0, 1] as inline SVG."""
    items = [(k, v) for k, v in values.items() if v is not None]
    label_w, gap = 190, 4
    height = len(items) * (bar + gap) + 10
    rows = []
    for n, (name, value) in enumerate(items):
        y = n * (bar + gap) + 5
        w = max(0.0, min(1.0, float(value))) * (width - label_w - 50)
        colour = "#2da44e" if value >= 0.9 else "#d4a72c" if value >= 0.6 else "#cf222e"
        rows.append(
            f'<text x="{label_w - 6}" y="{y + bar - 3}" text-anchor="end" font-size="11">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 3}" font-size="11">{value:.2f}</text>'
        )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="per-field scores">{"".join(rows)}</svg>')


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def _run_info_table(info: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{_e(v)}</td></tr>" for k, v in info.items())
    return f"<table>{rows}</table>"


def _evidence_for(evidence: Mapping[str, Any], path: str) -> str:
    """The prediction's quote for a field path: the path itself, else its nearest parent."""
    candidates = [path]
    head = path
    while "." in head or "[" in head:
        head = head[: max(head.rfind("."), head.rfind("["))]
        candidates.append(head)
    for key in candidates:
        ev = evidence.get(key)
        if isinstance(ev, Mapping) and ev.get("quote"):
            return f'<q>{escape(str(ev["quote"]))}</q> <span class="muted">({escape(str(ev.get("status", "")))})</span>'
    return '<span class="muted">–</span>'


def run_report_html(
    scores: Mapping[str, Any],
    documents: Sequence[DocumentScore],
    gold: Mapping[str, Mapping[str, Any]],
    predictions: Mapping[str, Mapping[str, Any]],
) -> str:
    overall = scores.get("overall", {})
    fields = scores.get("fields", {})
    parts = [f"<h1>trialx eval report</h1><p>Overall score <b>{_num(overall.get('score'))}</b> "
             f"(95% CI {_ci(overall.get('ci'))} over document scores), {overall.get('n', 0)} scored fields in "
             f"{overall.get('documents', 0)} documents, {overall.get('failed_documents', 0)} failed.</p>"]
    parts.append("<h2>Run</h2>" + _run_info_table(scores.get("run", {})))
    head = "".join(f"<th>{h}</th>" for h in ("field", "score", "95% CI", "n", "correct", "wrong", "missing", "extra", "error"))
    rows = []
    for name, f in fields.items():
        if not f.get("n"):
            continue
        cells = "".join(f'<td class="num {s if f.get(s, 0) else "muted"}">{f.get(s, 0)}</td>'
                        for s in ("correct", "wrong", "missing", "extra", "error"))
        rows.append(f"<tr><td>{escape(name)}</td><td class=num>{_num(f.get('score'))}</td>"
                    f"<td class=num>{_ci(f.get('ci'))}</td><td class=num>{f['n']}</td>{cells}</tr>")
    parts.append(f"<h2>Fields</h2><table><tr>{head}</tr>{''.join(rows)}</table>")
    parts.append("<h2>Per-field scores</h2>" + bar_chart({n: f.get("score") for n, f in fields.items() if f.get("n")}))
    parts.append("<h2>Documents</h2>")
    for doc in documents:
        line = predictions.get(doc.id) or {}
        record = line.get("record") if isinstance(line.get("record"), Mapping) else None
        evidence = line.get("evidence") or {}
        bad = {n: s for n, s in doc.fields.items() if s.status != "correct"}
        score = _num(doc.score)
        title = f"{escape(doc.id)} — score {score}, {len(bad)} field(s) not correct"
        if doc.error:
            title += f" — extraction failed: {escape(doc.error)}"
        diffs = record_differences(gold.get(doc.id, {}), record) if bad else {}
        rows = []
        for name, s in bad.items():
            entries = diffs.get(name, [])
            reason = f'<span class="{s.status}">{escape(s.status)}</span>: {escape(s.reason)}'
            if not entries:
                rows.append(f"<tr><td><code>{escape(name)}</code></td><td colspan=3>{reason}</td></tr>")
                continue
            for k, d in enumerate(entries):
                lead = f'<td rowspan="{len(entries)}">{reason}</td>' if k == 0 else ""
                rows.append(f"<tr><td><code>{escape(d.path)}</code></td><td>{_e(d.left)}</td><td>{_e(d.right)}</td>"
                            f"<td>{_evidence_for(evidence, d.path)}</td>{lead}</tr>")
        table = ("<table><tr><th>field path</th><th>gold</th><th>predicted</th><th>evidence</th><th>status</th></tr>"
                 + "".join(rows) + "</table>") if rows else "<p>All scored fields correct.</p>"
        parts.append(f"<details><summary>{title}</summary>{table}</details>")
    return _page("trialx eval report", "".join(parts))


def compare_report_html(comparison: Mapping[str, Any]) -> str:
    a, b = comparison.get("a", {}), comparison.get("b", {})
    label_a = str(a.get("label") or a.get("dir") or "A")
    label_b = str(b.get("label") or b.get("dir") or "B")
    parts = [f"<h1>trialx comparison</h1><p>A = <code>{escape(label_a)}</code>, B = <code>{escape(label_b)}</code>. "
             f"Delta = B − A; p-values by a paired test per field, adjusted across fields "
             f"({escape(str(comparison.get('correction')))}), alpha {comparison.get('alpha')}.</p>"]
    o = comparison.get("overall", {})
    parts.append(f"<p>Overall (document mean): A {_num(o.get('a'))}, B {_num(o.get('b'))}, "
                 f"delta {_num(o.get('delta'))} {_ci(o.get('ci'))}, p {_num(o.get('p_value'), 4)}</p>")
    parts.append("<h2>Runs</h2><table><tr><th></th><th>A</th><th>B</th></tr>" + "".join(
        f"<tr><th>{escape(k)}</th><td>{_e(a.get(k))}</td><td>{_e(b.get(k))}</td></tr>" for k in a) + "</table>")
    head = "".join(f"<th>{h}</th>" for h in ("field", "A", "B", "delta", "95% CI", "test", "p", "p adjusted", "n"))
    rows = []
    for name, f in comparison.get("fields", {}).items():
        cls = "worse" if f.get("significant") and f["delta"] < 0 else "better" if f.get("significant") else ""
        rows.append(f'<tr class="{cls}"><td>{escape(name)}</td><td class=num>{_num(f["a"])}</td><td class=num>{_num(f["b"])}</td>'
                    f'<td class=num>{_num(f["delta"])}</td><td class=num>{_ci(f.get("ci"))}</td><td>{escape(f.get("test", ""))}</td>'
                    f'<td class=num>{_num(f["p_value"], 4)}</td><td class=num>{_num(f.get("p_adjusted"), 4)}</td><td class=num>{f.get("n")}</td></tr>')
    parts.append(f"<h2>Field × run</h2><table><tr>{head}</tr>{''.join(rows)}</table>")
    for title, key in (("Regressions", "regressions"), ("Improvements", "improvements")):
        entries = comparison.get(key, [])
        rows = [f"<tr><td>{escape(r['id'])}</td><td>{escape(r['field'])}</td><td class=num>{_num(r.get('a_score'))} → "
                f"{_num(r.get('b_score'))}</td><td>{'<br>'.join(escape(d) for d in r.get('differences', [])) or '–'}</td></tr>"
                for r in entries]
        table = ("<table><tr><th>document</th><th>field</th><th>score A → B</th><th>A vs B, path by path</th></tr>"
                 + "".join(rows) + "</table>") if rows else "<p>None.</p>"
        parts.append(f"<h2>{title} ({len(entries)})</h2>{table}")
    return _page("trialx comparison", "".join(parts))
