"""Edits against the schema, and the review store: changes with who and when, undo, reviewed marks."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor import TrialRecord
from review import Edit, EditError, ReviewStore, apply_edits, field_info

BASE = TrialRecord.model_validate({
    "brief_title": "A trial", "overall_status": "RECRUITING", "enrollment": 10, "conditions": ["Asthma"],
    "arms": [{"label": "A", "type": "EXPERIMENTAL"}, {"label": "B"}],
})


def test_set_nested_add_items_and_remove() -> None:
    out = apply_edits(BASE, [
        Edit(path="arms[1].label", old="B", new="Placebo arm"),
        Edit(path="conditions[1]", new="COPD"),
        Edit(path="arms[2].label", new="C"),
        Edit(path="arms[0]", op="remove"),
        Edit(path="enrollment", new="1,200"),  # the schema's own normalizer reads it
        Edit(path="start_date", new="March 2021"),
        Edit(path="overall_status", op="accept"),
    ])
    assert [a.label for a in out.arms] == ["Placebo arm", "C"]
    assert out.conditions == ["Asthma", "COPD"] and out.enrollment == 1200 and out.start_date == "2021-03"


@pytest.mark.parametrize("edit, where, words", [
    (Edit(path="overall_status", new="SORT_OF"), "overall_status", "overall_status"),
    (Edit(path="start_date", new="2021-13-01"), "start_date", "month 13"),
    (Edit(path="enrollment", new="many"), "enrollment", "not a count"),
    (Edit(path="arms[1].type", new="WRONG"), "arms[1].type", ""),
    (Edit(path="no_such_field", new=1), "no_such_field", "no field"),
    (Edit(path="arms[5].label", new="x"), "arms[5].label", "no item 5"),
    (Edit(path="arms[1].label; drop", new="x"), "arms[1].label; drop", "not a field path"),
])
def test_invalid_values_are_refused_with_the_schemas_message(edit: Edit, where: str, words: str) -> None:
    with pytest.raises(EditError) as info:
        apply_edits(BASE, [edit])
    assert info.value.path == where and words.lower() in str(info.value).lower()


def test_field_info_follows_the_schema() -> None:
    assert field_info("overall_status")["kind"] == "enum" and "RECRUITING" in field_info("overall_status")["choices"]
    assert field_info("arms[3].type")["kind"] == "enum"
    assert field_info("start_date")["kind"] == "date" and field_info("enrollment")["kind"] == "int"
    assert field_info("healthy_volunteers")["kind"] == "bool" and field_info("minimum_age")["kind"] == "age"
    assert field_info("conditions[0]")["kind"] == "text" and field_info("arms")["kind"] == "objects"


def test_store_keeps_who_and_when_and_undoes_the_last_change(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite")
    store.add_change("j", "d", "alice", Edit(path="enrollment", new=5))
    store.add_change("j", "d", "bob", Edit(path="enrollment", new=6))
    assert [(c.who, c.edit.new) for c in store.changes("j", "d")] == [("alice", 5), ("bob", 6)]
    undone = store.undo_last("j", "d", "alice")
    assert undone is not None and undone.edit.new == 6
    assert [c.edit.new for c in store.changes("j", "d")] == [5]
    assert [c.undone for c in store.changes("j", "d", with_undone=True)] == [False, True]
    store.mark_reviewed("j", "d", "alice")
    assert store.reviewed("j")["d"][0] == "alice"
    sid = store.new_session("alice")
    assert store.session_user(sid) == ("alice", "") and store.session_user("forged") is None
    store.end_session(sid)
    assert store.session_user(sid) is None
