"""Reports: the rich per-field table for the terminal and the report.html / compare.html files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.table import Table

from evals.html import compare_report_html, run_report_html
from evals.scoring import DocumentScore

REPORT = "report.html"


def _f(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _ci(ci: Any) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "–"


def field_table(scores: Mapping[str, Any], title: str | None = None) -> Table:
    """Per-field score, interval and error categories; fields never scored are left out."""
    overall = scores.get("overall", {})
    table = Table(title=title or f"overall {_f(overall.get('score'))} {_ci(overall.get('ci'))}  "
                  f"({overall.get('documents', 0)} documents, {overall.get('failed_documents', 0)} failed)")
    for col in ("field", "score", "95% CI", "n", "correct", "wrong", "missing", "extra", "error"):
        table.add_column(col, justify="left" if col == "field" else "right")
    for name, f in scores.get("fields", {}).items():
        if not f.get("n"):
            continue
        table.add_row(name, _f(f.get("score")), _ci(f.get("ci")), str(f["n"]),
                      *(str(f.get(s, 0)) for s in ("correct", "wrong", "missing", "extra", "error")))
    return table


def compare_table(comparison: Mapping[str, Any]) -> Table:
    o = comparison.get("overall", {})
    table = Table(title=f"B − A overall {_f(o.get('delta'))} {_ci(o.get('ci'))}; "
                  f"{len(comparison.get('regressions', []))} regression(s), "
                  f"{len(comparison.get('improvements', []))} improvement(s); p adjusted: {comparison.get('correction')}")
    for col in ("field", "A", "B", "delta", "95% CI", "test", "p", "p adj", "n"):
        table.add_column(col, justify="left" if col in ("field", "test") else "right")
    for name, f in comparison.get("fields", {}).items():
        style = "red" if f.get("significant") and f["delta"] < 0 else "green" if f.get("significant") else None
        table.add_row(name, _f(f["a"]), _f(f["b"]), _f(f["delta"]), _ci(f.get("ci")), f.get("test", ""),
                      _f(f["p_value"], 4), _f(f.get("p_adjusted"), 4), str(f.get("n")), style=style)
    return table


def write_run_report(run_dir: Path, scores: Mapping[str, Any], documents: list[DocumentScore],
                     gold_records: Mapping[str, Any], predictions: Mapping[str, Any]) -> Path:
    """report.html in `run_dir`: the scores, each document's differences, offline."""
    path = run_dir / REPORT
    html = run_report_html(scores, documents, gold_records, predictions)
    path.write_text(html, encoding="utf-8")
    return path


def write_compare_report(comparison: Mapping[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "compare.html"
    path.write_text(compare_report_html(comparison), encoding="utf-8")
    return path
