"""The pages as HTML: every value's mark sits on its evidence, hostile pages stay text, the queue
sorts and filters, and a run directory reviews into a gold set `trialx eval --gold` scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from cli.main import run
from extractor import Evidence, Issue, Severity
from review import Edit, ReviewStore, RunCatalog, current_state
from review.pages import QueueRow, document_page, group_rows, queue_order, queue_page
from review.sources import JobSummary
from tests.review.helpers import HOSTILE, save_run
from tests.service.pages import page

JOB = JobSummary("job1", "job 1", 2)


def render(catalog: RunCatalog, doc: str, store: ReviewStore | None = None) -> tuple[str, object]:
    view = catalog.document(catalog.id, doc)
    assert view is not None
    state = current_state(view, store.changes(catalog.id, doc) if store else [])
    return document_page(state, JOB, "alice", prev_doc=None, next_doc="d1"), state


def marks_by_path(html: str) -> dict[str, str]:
    """path -> the text of its marks, in page order (nested marks: each one's own segment)."""
    out: dict[str, str] = {}
    for node in LexborHTMLParser(html).css("#page-text mark"):
        path = node.attributes.get("data-path") or ""
        out[path] = out.get(path, "") + node.text(deep=True)
    return out


def seed_texts(shared_dir: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((shared_dir / "seeds").glob("*.txt"))}


def test_every_filled_field_is_marked_exactly_on_its_evidence(tmp_path: Path, shared_dir: Path) -> None:
    """A new user's check on the seed pages (rules): each mark's text is its value's quote, and the
    page text is the source, character for character."""
    texts = seed_texts(shared_dir)
    catalog = RunCatalog(save_run(tmp_path / "run", texts))
    for doc, text in texts.items():
        html, state = render(catalog, doc)
        marks = marks_by_path(html)
        grounded = {p: ev for p, ev in state.evidence.items() if ev.start is not None}  # type: ignore[attr-defined]
        assert grounded, doc
        for path, ev in grounded.items():
            assert marks.get(path) == text[ev.start:ev.end] == ev.quote, (doc, path)
        assert LexborHTMLParser(html).css_first("#page-text").text(deep=True) == text
        tree = LexborHTMLParser(html)
        fields = {n.attributes.get("data-path") for n in tree.css("#record .field")}
        for group in tree.css("details[data-lazy]"):  # folded lists: their rows come when opened
            rows = LexborHTMLParser(group_rows(state, group.attributes["data-field"]) or "")  # type: ignore[arg-type]
            fields |= {n.attributes.get("data-path") for n in rows.css(".field")}
        assert set(state.values()) <= fields  # type: ignore[attr-defined]


def test_hostile_page_text_stays_text(tmp_path: Path) -> None:
    catalog = RunCatalog(save_run(tmp_path / "run", {"evil": HOSTILE}))
    html, _ = render(catalog, "evil")
    tree = LexborHTMLParser(html)
    assert [s.attributes.get("src") for s in tree.css("script") if s.attributes.get("src")] == ["/review/static/review.js"]
    assert not tree.css("img") and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "alert(1)" in tree.css_first("#page-text").text()
    data = json.loads(tree.css_first("#review-data").text())
    assert data["doc"] == "evil"


def test_queue_puts_what_needs_a_look_first_and_filters() -> None:
    rows = [QueueRow("calm", {}), QueueRow("done", {"DOCUMENT_ERROR": []}, reviewed_by="bob"),
            QueueRow("warn", {"CHECK_WARNING": ["enrollment"]}),
            QueueRow("ungrounded", {"UNGROUNDED_VALUE": ["arms[0].label", "phases[0]"]}),
            QueueRow("broken", {"DOCUMENT_ERROR": []}), QueueRow("llm", {"LLM_RULES_DISAGREE": ["phases"]})]
    assert [r.doc_id for r in queue_order(rows)] == ["broken", "llm", "ungrounded", "warn", "calm", "done"]
    html = queue_page(JOB, rows, "alice", code="UNGROUNDED_VALUE")
    assert [n.text() for n in LexborHTMLParser(html).css("tbody tr a")] == ["ungrounded"]
    html = queue_page(JOB, rows, "alice", field_name="phases")
    assert [n.text() for n in LexborHTMLParser(html).css("tbody tr a")] == ["llm", "ungrounded"]


def test_findings_sit_beside_their_fields_and_long_lists_fold(tmp_path: Path) -> None:
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    text = page(3) + "".join(f"{i + 3}. Criterion about {w} status\n" for i, w in enumerate(words))
    catalog = RunCatalog(save_run(tmp_path / "run", {"d": text}))
    store = ReviewStore(tmp_path / "r.sqlite")
    store.add_change(catalog.id, "d", "alice", Edit(path="minimum_age", new="90 Years"))
    store.add_change(catalog.id, "d", "alice", Edit(path="maximum_age", new="20 Years"))
    html, state = render(catalog, "d", store)
    tree = LexborHTMLParser(html)
    age = tree.css_first('.field[data-path="minimum_age"]')
    assert age is not None and "AGE_RANGE" in age.text() and "flagged" in (age.attributes.get("class") or "")
    folded = tree.css_first('details[data-field="inclusion_criteria"]')
    assert folded is not None and "open" not in folded.attributes and not folded.css(".field")
    rows = group_rows(state, "inclusion_criteria")  # type: ignore[arg-type]
    assert rows is not None and rows.count('class="field') == 15  # 14 criteria and the "+ add" row
    assert tree.css_first('details[data-field="arms"]') is not None


def test_a_reviewed_run_exports_gold_that_eval_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = save_run(tmp_path / "run", {"d0": page(0), "d1": page(1), "d2": page(2)})
    catalog = RunCatalog(run_dir)
    reviews = ReviewStore(tmp_path / "review.sqlite")
    reviews.add_change(catalog.id, "d1", "alice", Edit(path="enrollment", old=11, new=99))
    reviews.mark_reviewed(catalog.id, "d1", "alice")
    reviews.mark_reviewed(catalog.id, "d2", "alice")
    out = tmp_path / "gold"
    with pytest.raises(SystemExit) as done:
        run(["gold", "export", str(run_dir), "--out", str(out), "--review-db", str(tmp_path / "review.sqlite")])
    assert done.value.code == 0 and "exported 2 reviewed document(s)" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "records").iterdir()) == ["d1.json", "d2.json"]
    with pytest.raises(SystemExit) as done:
        run(["eval", "--gold", str(out), "--backend", "rules", "--out", str(tmp_path / "eval")])
    scores = json.loads((tmp_path / "eval" / "scores.json").read_text(encoding="utf-8"))
    assert scores["fields"]["enrollment"]["wrong"] == 1  # the rules read 11; the reviewer's gold says 99
    assert scores["documents"]["d2"]["score"] == 1.0
    with pytest.raises(SystemExit) as done:
        run(["gold", "export", "no-such-job", "--out", str(out), "--review-db", str(tmp_path / "review.sqlite")])
    assert done.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def test_issue_without_a_filled_path_is_listed_at_the_top(tmp_path: Path) -> None:
    catalog = RunCatalog(save_run(tmp_path / "run", {"d": page(1)}))
    view = catalog.document(catalog.id, "d")
    assert view is not None
    state = current_state(view, [])
    state.issues.append(Issue(code="RANDOMIZED_ONE_ARM", severity=Severity.WARNING, paths=["arms"], message="one arm"))
    state.evidence["nct_id"] = Evidence()
    html = document_page(state, JOB, "alice", prev_doc=None, next_doc=None)
    assert "RANDOMIZED_ONE_ARM" in LexborHTMLParser(html).css_first(".doc-findings").text()


def test_hostile_document_ids_stay_text_in_the_queue_and_the_links() -> None:
    evil = 'x"><img src=x onerror=alert(1)>'
    html = queue_page(JobSummary('j"<b>', "<i>job</i>", 1), [QueueRow(evil, {"CHECK_ERROR": [evil]})], "<u>me</u>")
    tree = LexborHTMLParser(html)
    assert not tree.css("img") and not tree.css("b") and not tree.css("i") and not tree.css("u")
    link = tree.css_first("tbody a")
    assert link is not None and link.text() == evil and "%3Cimg" in (link.attributes.get("href") or "")


def test_gold_export_of_a_service_job_by_its_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from extractor import Document, Settings, extract_documents
    from service import JobStore
    from service.store import NewDocument

    jobs = JobStore(tmp_path / "service.sqlite")
    job = jobs.create_job("alice", [NewDocument("p1", "p1", page(1)), NewDocument("p2", "p2", page(2))], {})
    for seq, doc in enumerate([Document("p1", "p1", page(1)), Document("p2", "p2", page(2))], 1):
        jobs.complete(job.id, seq, extract_documents([doc], Settings(backend="rules"))[0].model_dump(mode="json"), False)
    reviews = ReviewStore(tmp_path / "review.sqlite")
    reviews.add_change(job.id, "p2", "alice", Edit(path="acronym", new="TRIAL-2"))
    reviews.mark_reviewed(job.id, "p2", "alice")
    with pytest.raises(SystemExit) as done:
        run(["gold", "export", job.id, "--out", str(tmp_path / "gold"), "--db", str(tmp_path / "service.sqlite"),
             "--review-db", str(tmp_path / "review.sqlite")])
    assert done.value.code == 0
    record = json.loads((tmp_path / "gold" / "records" / "p2.json").read_text(encoding="utf-8"))
    assert record["acronym"] == "TRIAL-2" and not (tmp_path / "gold" / "records" / "p1.json").exists()
    capsys.readouterr()
