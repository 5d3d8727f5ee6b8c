"""Reports: field-path differences, an offline escaped HTML file, the rich table."""

from __future__ import annotations

import io
import re

from rich.console import Console

from evals.diffs import record_differences
from evals.html import bar_chart, compare_report_html, run_report_html
from evals.report import compare_table, field_table
from evals.scoring import score_document
from evals.stats import summarize

GOLD = {
    "brief_title": "Drug <X> & placebo",
    "enrollment": 120,
    "arms": [
        {"label": "Arm A", "type": "EXPERIMENTAL", "description": None, "intervention_names": ["Drug X"]},
        {"label": "Arm B", "type": "EXPERIMENTAL", "description": None, "intervention_names": []},
    ],
    "inclusion_criteria": ["Adults", "ECOG 0-1", "Consent"],
}
PRED = {
    "brief_title": "<script>alert(1)</script>",
    "enrollment": 12,
    "arms": [
        {"label": "Arm B", "type": "OTHER", "description": None, "intervention_names": []},
        {"label": "Arm A", "type": "EXPERIMENTAL", "description": None, "intervention_names": ["Drug X"]},
    ],
    "inclusion_criteria": ["Adults", "Consent"],
}


def test_differences_are_field_paths_not_whole_objects() -> None:
    diffs = {d.describe() for ds in record_differences(GOLD, PRED).values() for d in ds}
    assert "arms[1].type: gold EXPERIMENTAL, predicted OTHER" in diffs
    assert "enrollment: gold 120, predicted 12" in diffs
    assert "inclusion_criteria[1]: gold ECOG 0-1, predicted (none)" in diffs
    assert not any(d.startswith("arms[0]") for d in diffs)  # aligned by label: arm A is unchanged


def test_run_report_is_offline_escaped_and_shows_paths_with_evidence() -> None:
    doc = score_document("doc<1>", GOLD, PRED)
    scores = summarize([doc], list(doc.fields))
    scores["run"] = {"model": "m<odel>"}
    evidence = {"enrollment": {"quote": "Enrollment: 12 <participants>", "status": "exact"}}
    html = run_report_html(scores, [doc], {"doc<1>": GOLD}, {"doc<1>": {"record": PRED, "evidence": evidence}})
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "doc&lt;1&gt;" in html and "m&lt;odel&gt;" in html
    assert "Enrollment: 12 &lt;participants&gt;" in html
    assert "<code>arms[1].type</code>" in html
    assert "<svg" in html and "<style>" in html
    assert not re.search(r"<(link|script)\b", html) and "cdn" not in html.lower()


def test_bar_chart_scales_scores() -> None:
    svg = bar_chart({"a": 1.0, "b": 0.5, "never": None}, width=300)
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]
    assert widths == [60.0, 30.0]  # (300 - 190 - 50) * score
    assert "never" not in svg


def test_terminal_tables_list_fields_and_deltas() -> None:
    doc = score_document("d", GOLD, PRED)
    scores = summarize([doc], ["enrollment", "arms", "keywords"])
    buf = io.StringIO()
    console = Console(file=buf, width=200)
    console.print(field_table(scores))
    text = buf.getvalue()
    assert "enrollment" in text and "arms" in text and "keywords" not in text
    comparison = {"overall": {"delta": -0.5, "ci": [-0.8, -0.2]}, "correction": "holm", "regressions": [{}],
                  "improvements": [], "fields": {"enrollment": {"a": 1.0, "b": 0.5, "delta": -0.5, "ci": [-0.8, -0.2],
                                                                "test": "mcnemar-exact", "p_value": 0.0625,
                                                                "p_adjusted": 0.0625, "n": 10, "significant": False}}}
    console.print(compare_table(comparison))
    assert "0.0625" in buf.getvalue() and "1 regression(s)" in buf.getvalue()
    html = compare_report_html({**comparison, "a": {"label": "<a>"}, "b": {"label": "b"}, "alpha": 0.05,
                                "regressions": [{"id": "d<1>", "field": "enrollment", "a_score": 1.0, "b_score": 0.0,
                                                 "differences": ["enrollment: A 1, B <2>"]}]})
    assert "d&lt;1&gt;" in html and "B &lt;2&gt;" in html and "&lt;a&gt;" in html
