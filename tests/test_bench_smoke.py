"""Smoke test of the benchmark harness: each section runs on a handful of documents, so `make
bench` cannot rot. No timing assertions: only that each section measures something real and
its figures are consistent. Runs without ../shared (the bundled template corpus)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from benchmarks import corpus, measure, run

ROOT = Path(__file__).resolve().parent.parent
# bpe-openai's data loader uses a deprecated importlib.resources call; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:open_binary is deprecated:DeprecationWarning")


def _available(section: dict) -> dict:
    assert "unavailable" not in section, section.get("unavailable")
    return section


def test_template_pages_are_5_to_10_kb_in_every_layout() -> None:
    pages = corpus.pages(9, use_shared=False)
    assert [doc_id.rsplit("-", 1)[1] for doc_id, _ in pages[:3]] == list(corpus.LAYOUTS)
    assert len({doc_id for doc_id, _ in pages}) == 9
    for _, text in pages:
        assert corpus.MIN_BYTES <= len(text.encode("utf-8")) <= corpus.MAX_BYTES
    label, heading, aggregator = (text for _, text in pages[:3])
    assert "NCT Number: NCT90000000" in label
    assert "NCT Number\nNCT90000000" in heading
    assert "participants" in aggregator and "Overall Status" not in aggregator


def test_long_record_is_trimmed_to_10_kb() -> None:
    rec = corpus.template_record(1)
    rec["inclusion_criteria"] = [f"criterion {i} " + "word " * 60 for i in range(200)]
    for layout in corpus.LAYOUTS:
        assert corpus.MIN_BYTES <= len(corpus.render_page(rec, layout).encode("utf-8")) <= corpus.MAX_BYTES


def test_shared_ctgov_pages(shared_dir: Path) -> None:
    records = corpus.shared_records(shared_dir / "ctgov")
    assert len(records) >= 70
    for _, text in corpus.pages(6):
        assert corpus.MIN_BYTES <= len(text.encode("utf-8")) <= corpus.MAX_BYTES


def test_rules_section() -> None:
    result = _available(measure.bench_rules(corpus.pages(6, use_shared=False)))
    for key in ("extract_rules", "rules_result"):
        assert result[key]["docs_per_s"] > 0
        assert result[key]["p95_ms"] >= result[key]["median_ms"] > 0


def test_rules_precision_section() -> None:
    result = _available(measure.bench_rules_precision(use_shared=False, limit=2))
    assert result["pages"] == 2 * len(corpus.LAYOUTS) and result["filled_values"] > 50
    assert result["wrong_or_extra"] == sum(result["by_field"].values())
    assert result["precision"] == pytest.approx(1 - result["wrong_or_extra"] / result["filled_values"], abs=1e-4)


def test_precision_tally_counts_wrong_extra_and_skips_cut_values() -> None:
    from benchmarks.rules_precision import Tally
    from evals.scoring import ScoringConfig, field_specs

    specs, cfg, tally = {s.name: s for s in field_specs()}, ScoringConfig(), Tally()
    tally.check(specs["brief_title"], "Aspirin after stroke", "Aspirin after stroke", cfg)
    tally.check(specs["acronym"], None, "ASTRO", cfg)  # extra
    tally.check(specs["conditions"], ["Stroke"], ["Stroke", "Headache", "Migra…"], cfg)  # one unmatched, one cut
    tally.check(specs["official_title"], "A long title", None, cfg)  # missing: not held against the rules
    assert dict(tally.filled) == {"brief_title": 1, "acronym": 1, "conditions": 2}
    assert +tally.bad == {"acronym": 1, "conditions": 1}


def test_llm_section_uses_the_real_pipeline_against_the_fake_server() -> None:
    result = _available(measure.bench_llm(measure.corpus_for(False), [1, 3], latency=0.01, waves=1))
    for c, r in result["runs"].items():
        assert r["errors"] == 0, r["first_error"]
        assert r["llm_answered"] == r["documents"] and r["requests"] >= r["documents"]
        assert r["ideal_docs_per_s"] == pytest.approx(int(c) / 0.01)
        assert r["cpu_ms_per_doc"] > 0


def test_tokens_section_counts_prompt_overhead() -> None:
    result = _available(measure.bench_tokens(corpus.pages(2, use_shared=False)))
    assert result["versions"]
    for entry in result["versions"].values():
        assert entry["requests_per_doc"] >= 1
        assert entry["prompt_tokens_per_doc_server"] > result["doc_tokens_estimate"]
        assert entry["overhead_per_doc_server"] > 0


def test_tokenizer_counts_a_request() -> None:
    tok = measure.Tokenizer()
    if tok.encoder is None:
        pytest.skip("bpe-openai (bench extra) not installed")
    body = {"messages": [{"role": "user", "content": "Phase 2 trial"}], "tools": [{"type": "function"}]}
    text_tokens, tool_tokens = tok.count("Phase 2 trial"), tok.count(json.dumps(body["tools"]))
    assert text_tokens and tool_tokens
    assert tok.request(body) == 3 + 3 + text_tokens + tool_tokens


def test_langextract_section() -> None:
    pytest.importorskip("langextract")
    result = _available(measure.bench_langextract(corpus.pages(2, use_shared=False), 0.01, 4, {"chunks": 1000, "whole": 12000}))
    chunks, whole = result["configs"]["chunks"], result["configs"]["whole"]
    assert chunks["documents"] == whole["documents"] == 2
    assert whole["requests_per_doc"] == 1 and chunks["requests_per_doc"] > 1
    assert chunks["extractions_per_doc"] > 0  # the responder's answer parsed and aligned
    assert chunks["prompt_tokens_per_doc_server"] > whole["prompt_tokens_per_doc_server"]


def test_scoring_section() -> None:
    if importlib.util.find_spec("benchmarks.bench_scoring") is None:
        pytest.skip("benchmarks/bench_scoring.py not there yet")
    result = _available(measure.bench_scoring(quick=True))
    assert any(isinstance(v, (int, float)) and v > 0 for v in result.values())


def test_memory_section_streams_in_a_subprocess() -> None:
    result = _available(measure.bench_memory(12, use_shared=False))
    assert result["documents"] == 12 and result["errors"] == 0
    assert result["peak_rss_mb"] >= result["baseline_rss_mb"] > 0


def test_missing_module_is_reported_unavailable() -> None:
    @measure.guarded
    def needs_missing() -> dict:
        import extractor.no_such_module  # type: ignore[import-not-found]  # noqa: F401

        return {"value": 1}

    assert needs_missing()["unavailable"].startswith("ModuleNotFoundError")


def test_targets_report_misses_and_unmeasured() -> None:
    sections = {
        "llm": {"runs": {"16": {"pct_of_ideal": 80.0, "cpu_ms_per_doc": 5.0}, "64": {"pct_of_ideal": 50.0, "cpu_ms_per_doc": 25.0}}},
        "tokens": {"versions": {"v1": {"overhead_per_doc_server": 900.0}, "v2": {"overhead_per_doc_o200k": 2600.0}}},
        "memory": {"unavailable": "x"},
        "rules": {"extract_rules": {"docs_per_s": 800.0}, "rules_result": {"docs_per_s": 400.0}},
    }
    met = {t["target"]: (t["value"], t["met"]) for t in run.targets(sections)}
    assert met["throughput at c=16, 250 ms"] == (80.0, False)
    assert met["trialx CPU per document (worst concurrency)"] == (25.0, False)
    assert met["schema + instructions overhead (worst prompt)"] == (2600.0, False)
    assert met["peak RSS streaming 10,000 docs"] == (None, None)
    assert met["rules extractor"] == (800.0, True)
    assert met["rules backend (with grounding + checks)"] == (400.0, False)


def test_run_main_writes_json_and_markdown(tmp_path: Path) -> None:
    skip = ["llm", "tokens", "langextract", "scoring", "memory"]
    (tmp_path / "RESULTS.md").write_text(f"# old figures\n\n{run.KEPT_MARKER}\n\n## Batch runs\nkept 62.4 s\n")
    assert run.main(["--quick", "--no-shared", "--out-dir", str(tmp_path), *[a for s in skip for a in ("--skip", s)]]) == 0
    data = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert data["machine"]["cores"] and data["machine"]["python"]
    assert data["sections"]["memory"] == {"unavailable": "skipped (--skip)"}
    md = (tmp_path / "RESULTS.md").read_text()
    assert "| metric | trialx | langextract | note |" in md and "unavailable: skipped" in md
    assert "rules wrong-or-extra values on 12 template pages" in md and "**Rules precision**" in md
    assert "# old figures" not in md and md.endswith(f"{run.KEPT_MARKER}\n\n## Batch runs\nkept 62.4 s\n")
