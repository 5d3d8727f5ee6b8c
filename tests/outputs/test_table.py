"""`extractor.outputs.table`: a document's fields, one line each, with match, provenance and findings beside them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from extractor.outputs import writer_for
from extractor.outputs.table import flatten, summary

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "outputs" / "tricky_line.json"


def tricky() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def render(line: dict, **options: object) -> list[str]:
    out = io.StringIO()
    writer = writer_for("table", out, width=120, **options)  # type: ignore[arg-type]
    writer.write(line)
    writer.close()
    return out.getvalue().splitlines()


def row(lines: list[str], field: str) -> str:
    return next(line for line in lines if line.startswith(field + " "))


def test_short_table_has_one_line_per_filled_field_and_names_the_rest() -> None:
    line = tricky()
    lines = render(line)
    record = line["record"]
    filled = [f for f, v in record.items() if v not in (None, []) and not (f.endswith("_type") and record.get(f[:-5]) is not None)]
    assert all(any(l.startswith(f + " ") for l in lines) for f in filled)
    assert len(lines) <= len(filled) + 8  # title, header, rule, (record) row, caption lines
    assert "not stated: official_title, primary_completion_date_type, detailed_description, secondary_outcomes, maximum_age" in "\n".join(lines)
    assert "2020-06-30 (ESTIMATED)" in row(lines, "completion_date")  # a date's type beside it
    assert "2019-03 (ACTUAL)" in row(lines, "start_date")
    assert max(len(l) for l in lines) <= 120


def test_match_provenance_and_findings_sit_beside_their_field() -> None:
    lines = render(tricky())
    assert "DATE_ORDER" in row(lines, "start_date") and "DATE_ORDER" in row(lines, "completion_date")
    assert "DATE_ORDER" not in row(lines, "nct_id")
    conditions = row(lines, "conditions")
    assert "1 norm" in conditions and "1 none" in conditions and "UNGROUNDED" in conditions
    assert "1 rules 1 llm" in conditions or "1 llm 1 rules" in conditions
    assert "both agree" in row(lines, "nct_id") and "fuzzy" in row(lines, "enrollment")
    assert "REVIEW_ME" in row(lines, "(record)")


def test_long_text_is_shortened_and_full_shows_every_path_whole() -> None:
    line = tricky()
    line["record"]["detailed_description"] = "word " * 200 + "THE-END"
    short = render(line)
    assert "…" in row(short, "detailed_description") and "THE-END" not in "\n".join(short)
    full = "\n".join(render(line, full=True))
    assert "THE-END" in full and "arms[1].label" in full and "conditions[1]" in full
    assert "exact @10" in full  # where the quote sits


def test_one_source_moves_to_the_caption_and_errors_are_one_line() -> None:
    line = tricky()
    line["provenance"] = {path: {"source": "rules", "agreed": None} for path, _ in flatten(line["record"])}
    line["issues"] = []
    lines = render(line)
    assert "every value from rules" in lines[-2] or "every value from rules" in lines[-1]
    assert "from" not in lines[1].split() and "findings" not in lines[1]
    out = io.StringIO()
    writer = writer_for("table", out, width=100)
    writer.write({"id": "bad", "source": "bad.txt", "error": {"code": "EMPTY_INPUT", "message": "empty"}})
    assert out.getvalue().strip() == "✗ bad (bad.txt): EMPTY_INPUT: empty"


def test_summaries_and_paths() -> None:
    record = tricky()["record"]
    assert summary("arms", record["arms"]) == "2: Salt + Tea (EXPERIMENTAL); Control (NO_INTERVENTION)"
    assert summary("enrollment", 0) == "0"
    paths = dict(flatten(record))
    assert paths["arms[0].intervention_names"] == "Low salt diet, Green tea extract"
    assert paths["enrollment"] == 0 and "official_title" not in paths
