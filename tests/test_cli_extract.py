"""`trialx extract` end to end through cli.main.run: a mixed batch, --out, --resume, backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import run
from tests import fake_rules

PAGE = "Title: {title}\nNCT ID: NCT0123456{n}\nStatus: Recruiting\nEnrollment: 12{n}\nPhase: Phase 3\n"


@pytest.fixture(autouse=True)
def _rules(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_rules.install(monkeypatch)


def trialx(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        run(argv)
    return int(exit_info.value.code or 0)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture()
def batch(tmp_path: Path) -> Path:
    d = tmp_path / "batch"
    d.mkdir()
    (d / "a_good.txt").write_text(PAGE.format(title="Sleep and Memory", n=1), encoding="utf-8")
    (d / "b_empty.txt").write_bytes(b"  \n")
    (d / "c_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (d / "d_huge.txt").write_text(PAGE.format(title="Huge", n=2) + "filler line\n" * 500, encoding="utf-8")
    (d / "e_cp1252.txt").write_bytes(PAGE.format(title="Café “Noir” Trial", n=3).encode("cp1252"))
    (d / "f_good.md").write_text(PAGE.format(title="Second Good", n=4), encoding="utf-8")
    return d


def test_mixed_batch_keeps_order_and_reports_each_failure(batch: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALX_MAX_BYTES", "2000")
    code = trialx(["extract", str(batch), "--backend", "rules"])
    captured = capsys.readouterr()
    out = lines(captured.out)
    assert code == 1
    assert [o["id"] for o in out] == ["a_good", "b_empty", "c_binary", "d_huge", "e_cp1252", "f_good"]
    errors = {o["id"]: o["error"]["code"] for o in out if "error" in o}
    assert errors == {"b_empty": "EMPTY_INPUT", "c_binary": "BINARY_INPUT", "d_huge": "INPUT_TOO_LARGE"}
    assert "2,000 bytes" in next(o for o in out if o["id"] == "d_huge")["error"]["message"]
    good = {o["id"]: o for o in out if "record" in o}
    assert good["e_cp1252"]["record"]["brief_title"] == "Café “Noir” Trial"
    assert [i["code"] for i in good["e_cp1252"]["issues"] if i["severity"] == "info"] == ["INPUT_ENCODING"]
    assert good["a_good"]["record"]["nct_id"] == "NCT01234561" and good["a_good"]["backend"] == "rules"
    assert set(good["f_good"]) == {"id", "source", "backend", "record", "evidence", "provenance", "issues", "usage"}
    assert "no OPENAI_API_KEY" not in captured.err  # --backend rules asks for no notice


def test_auto_without_key_says_rules_alone(batch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(["extract", str(batch / "a_good.txt")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rules alone" in err[0]


def test_out_file_and_resume(batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    good = [str(batch / "a_good.txt"), str(batch / "f_good.md")]
    assert trialx(["extract", *good, "--backend", "rules", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    first = out.read_text(encoding="utf-8")
    assert [o["id"] for o in lines(first)] == ["a_good", "f_good"]
    # a crash mid-line: the torn line is dropped and its document done again; done ids are skipped
    torn = first.splitlines(keepends=True)[0] + first.splitlines()[1][:40]
    out.write_text(torn, encoding="utf-8")
    assert trialx(["extract", *good, str(batch / "e_cp1252.txt"), "--backend", "rules",
                   "--out", str(out), "--resume"]) == 0
    assert [o["id"] for o in lines(out.read_text(encoding="utf-8"))] == ["a_good", "f_good", "e_cp1252"]
    # without --resume the file starts afresh
    assert trialx(["extract", good[0], "--backend", "rules", "--out", str(out)]) == 0
    assert [o["id"] for o in lines(out.read_text(encoding="utf-8"))] == ["a_good"]


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PAGE.format(title="Piped", n=5).encode())))
    assert trialx(["extract", "-", "--backend", "rules"]) == 0
    (line,) = lines(capsys.readouterr().out)
    assert line["id"] == "stdin" and line["record"]["brief_title"] == "Piped"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["extract", "does/not/exist.txt"], "does/not/exist.txt"),
        (["extract", "x.txt", "--backend", "magic"], "--backend"),
        (["extract", "x.txt", "--resume"], "--resume"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and needle in captured.err


def test_llm_backend_without_configuration_exits_2(batch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(["extract", str(batch / "a_good.txt"), "--backend", "llm"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert trialx(["extract", "--help"]) == 0
    assert "Example: trialx extract" in capsys.readouterr().out


def test_progress_bar_only_on_a_terminal(batch: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert trialx(["extract", str(batch), "--backend", "rules"]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 6  # stdout holds only the JSON lines
