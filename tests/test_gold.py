"""Gold is only as good as its care: every record validates, every pair is complete, and every
non-null scalar is found in its own source text (exactly or through a display form)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.grounding import filled_paths, ground
from extractor.inputs import html_to_text
from extractor.result import MatchStatus
from extractor.schema import TrialRecord

GOLD = Path(__file__).resolve().parent.parent / "gold"
SOURCES = sorted((GOLD / "sources").glob("*.txt"))
RECORDS = sorted((GOLD / "records").glob("*.json"))
# Real registry pages: HTML sources, checked against their one text rendering (what evidence points into).
REAL = GOLD / "realpages"
REAL_RECORDS = sorted((REAL / "records").glob("*.json"))


def _real_text(path: Path) -> str:
    return html_to_text((REAL / "sources" / f"{path.stem}.html").read_bytes().decode("utf-8"))
# Long texts may be joined from several paragraphs; everything else must be found as a whole.
LONG_TEXT = {"brief_summary", "detailed_description"}
# Gold values a guideline rule gives although no word of the page spells them (gold/realpages/README.md).
BY_RULE = {("jrct_jRCTs051180190", "start_date_type"):
           "§4 v2: planned and first-enrolment dates both printed -> the actual one, type ACTUAL",
           ("jrct_jRCTs051180190", "enrollment_type"):
           "§4 v2: 'planned' (予定) inside the Japanese label 実施予定被験者数 -> ESTIMATED"}


def test_gold_has_pairs() -> None:
    assert len(RECORDS) >= 5


def test_every_pair_is_complete() -> None:
    assert {p.stem for p in SOURCES} == {p.stem for p in RECORDS}


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem)
def test_record_validates_and_round_trips(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    record = TrialRecord.model_validate(data)
    assert record.model_dump(mode="json") == data, "gold must be stored in normalized form"


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem)
def test_every_scalar_is_found_in_its_source(path: Path) -> None:
    record = TrialRecord.model_validate_json(path.read_text(encoding="utf-8"))
    text = (GOLD / "sources" / f"{path.stem}.txt").read_text(encoding="utf-8")
    evidence, _ = ground(record, text)
    for field_path, value in filled_paths(record):
        if field_path.split("[")[0].split(".")[0] in LONG_TEXT:
            continue
        found = evidence.get(field_path)
        assert found is not None and found.status in (MatchStatus.EXACT, MatchStatus.NORMALIZED), (
            f"{path.stem}: {field_path} = {value!r} is not in the source"
        )


def test_long_texts_are_made_of_source_paragraphs() -> None:
    for path in RECORDS:
        record = TrialRecord.model_validate_json(path.read_text(encoding="utf-8"))
        text = (GOLD / "sources" / f"{path.stem}.txt").read_text(encoding="utf-8")
        for field in LONG_TEXT:
            value = getattr(record, field)
            for paragraph in (value or "").split("\n\n"):
                assert paragraph.strip() in text, f"{path.stem}: {field} paragraph not in source"


def test_a_typo_in_gold_would_be_caught(tmp_path: Path) -> None:
    record = TrialRecord.model_validate_json(RECORDS[0].read_text(encoding="utf-8"))
    text = (GOLD / "sources" / f"{RECORDS[0].stem}.txt").read_text(encoding="utf-8")
    broken = record.model_copy(update={"enrollment": (record.enrollment or 0) + 7919, "lead_sponsor": "Acme Pharma Ltd"})
    evidence, _ = ground(broken, text)
    assert evidence.get("enrollment") is None or evidence["enrollment"].status is MatchStatus.NONE
    assert evidence.get("lead_sponsor") is None or evidence["lead_sponsor"].status is MatchStatus.NONE


def test_real_pages_are_complete_pairs() -> None:
    if not REAL.is_dir():
        pytest.skip("gold/realpages not built yet")
    sources = {p.stem for p in (REAL / "sources").glob("*.html")}
    assert sources == {p.stem for p in REAL_RECORDS} and len(sources) >= 9


@pytest.mark.parametrize("path", REAL_RECORDS, ids=lambda p: p.stem)
def test_real_page_record_is_normalized_and_grounded(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    record = TrialRecord.model_validate(data)
    assert record.model_dump(mode="json") == data, "gold must be stored in normalized form"
    text = _real_text(path)
    evidence, _ = ground(record, text)
    for field_path, value in filled_paths(record):
        if field_path.split("[")[0].split(".")[0] in LONG_TEXT:
            for paragraph in (getattr(record, field_path.split("[")[0]) or "").split("\n\n"):
                assert " ".join(paragraph.split()) in " ".join(text.split()), f"{path.stem}: {field_path} paragraph"
            continue
        found = evidence.get(field_path)
        if (path.stem, field_path) in BY_RULE:
            assert found is None or found.status is MatchStatus.NONE, "grounded now: drop it from BY_RULE"
            continue
        assert found is not None and found.status in (MatchStatus.EXACT, MatchStatus.NORMALIZED), (
            f"{path.stem}: {field_path} = {value!r} is not in the page's rendering"
        )
