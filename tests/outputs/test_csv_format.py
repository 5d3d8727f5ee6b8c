"""`extractor.outputs.csv_format`: rows that survive commas, quotes and newlines; companions keyed by id."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from extractor.outputs import COMPANIONS, split_list, writer_for
from extractor.outputs.csv_format import main_columns
from extractor.outputs.fields import NESTED_FIELDS, SCALAR_FIELDS, TEXT_LIST_FIELDS, join_list

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "outputs" / "tricky_line.json"
ERROR = {"id": "bad", "source": "bad.txt", "error": {"code": "EMPTY_INPUT", "message": "empty, after trimming"}}


def tricky() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("items", [["a", "b"], ["a|b", "c"], ["x\\", "y"], ["a \\| b", " c "], ["a | b"], ["\\\\|"], []])
def test_list_cells_split_back_exactly(items: list[str]) -> None:
    assert split_list(join_list(items)) == items


def test_one_row_per_document_with_json_cells_on_a_plain_stream() -> None:
    out = io.StringIO(newline="")
    writer = writer_for("csv", out)
    writer.write(tricky())
    writer.write(ERROR)
    writer.close()
    text = out.getvalue()
    assert text.count("\r\n") >= 3 and not text.startswith("\ufeff")
    head, error = rows(text)
    assert list(head) == main_columns(False)
    record = tricky()["record"]
    assert head["brief_title"] == 'Salt, "Pepper" and Tea: a trial'
    assert head["brief_summary"] == record["brief_summary"]  # its newline and quotes survive
    assert split_list(head["conditions"]) == ["Hypertension, Essential", "Salt | Sensitivity"]
    assert split_list(head["secondary_ids"]) == record["secondary_ids"]
    assert head["enrollment"] == "0" and head["healthy_volunteers"] == "true" and head["official_title"] == ""
    assert json.loads(head["arms"]) == record["arms"]
    assert head["issue_count"] == "3" and split_list(head["issues"])[0].startswith("error DATE_ORDER [start_date, completion_date]:")
    assert error["id"] == "bad" and error["error_code"] == "EMPTY_INPUT" and error["error_message"] == "empty, after trimming"
    assert error["brief_title"] == "" and error["arms"] == ""


def test_companion_files_hold_the_nested_lists_keyed_by_id(tmp_path: Path) -> None:
    main = tmp_path / "r.csv"
    with open(main, "w", encoding="utf-8", newline="") as fh:
        writer = writer_for("csv", fh, bom=True, companion_dir=tmp_path, companion_prefix="r.")
        writer.write(tricky())
        writer.write(ERROR)
        writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.csv", *(f"r.{stem}.csv" for stem in COMPANIONS)])
    for path in tmp_path.iterdir():
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
    head = rows(main.read_text(encoding="utf-8-sig"))[0]
    assert not set(NESTED_FIELDS) & set(head) and set(SCALAR_FIELDS) | set(TEXT_LIST_FIELDS) <= set(head)

    def companion(stem: str) -> list[dict[str, str]]:
        return rows((tmp_path / f"r.{stem}.csv").read_text(encoding="utf-8-sig"))

    arms = companion("arms")
    assert [(a["id"], a["position"], a["label"]) for a in arms] == [("tricky-01", "1", "Salt + Tea"), ("tricky-01", "2", "Control")]
    assert split_list(arms[0]["intervention_names"]) == ["Low salt diet", "Green tea extract"]
    outcomes = companion("outcomes")
    assert [(o["kind"], o["measure"]) for o in outcomes] == [("primary", "Systolic BP, seated")]
    assert companion("locations")[0]["facility"] == 'Clinic "North"'
    assert [c["role"] for c in companion("contacts")] == ["Principal Investigator", "Public queries"]
    assert split_list(companion("interventions")[0]["other_names"]) == ["EGCG"]


def test_formula_guard_makes_page_text_inert_in_a_spreadsheet(tmp_path: Path) -> None:
    line = tricky()
    line["record"] = {**line["record"], "brief_title": '=HYPERLINK("http://evil.example","x")',
                      "conditions": ["@SUM(A1)", "Asthma"], "arms": [{"label": "+1 arm", "type": None}]}
    guarded = io.StringIO(newline="")
    writer = writer_for("csv", guarded, formula_guard=True, companion_dir=tmp_path, companion_prefix="r.")
    writer.write(line)
    writer.close()
    head = rows(guarded.getvalue())[0]
    assert head["brief_title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert head["conditions"].startswith("'@SUM(A1)")  # the cell, as a spreadsheet reads it
    arm = rows((tmp_path / "r.arms.csv").read_text(encoding="utf-8"))[0]
    assert arm["label"] == "'+1 arm"
    plain = io.StringIO(newline="")
    writer = writer_for("csv", plain)
    writer.write(line)
    writer.close()
    assert rows(plain.getvalue())[0]["brief_title"] == line["record"]["brief_title"]  # off by default: exact text
