"""Reading inputs: paths, decoding, size limits, binary and empty files, HTML to text."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from extractor.errors import BinaryInputError, ConfigError, EmptyInputError, InputTooLargeError
from extractor.inputs import decode_bytes, html_to_text, load_documents, read_source, Source


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_file_and_directory_order_and_ids(tmp_path: Path) -> None:
    d = tmp_path / "batch"
    d.mkdir()
    write(d / "b.txt", b"Second")
    write(d / "a.md", b"First")
    write(d / "c.html", b"<p>Third</p>")
    write(d / "ignored.json", b"{}")
    (d / "sub").mkdir()
    single = write(tmp_path / "NCT01234567.txt", b"Alone")
    docs = list(load_documents([str(d), single]))
    assert [doc.id for doc in docs] == ["a", "b", "c", "NCT01234567"]
    assert [doc.text.strip() for doc in docs if doc.text] == ["First", "Second", "Third", "Alone"]
    assert docs[0].source.endswith("a.md") and docs[0].error is None


def test_missing_path_fails_before_anything_is_read(tmp_path: Path) -> None:
    good = write(tmp_path / "ok.txt", b"text")
    with pytest.raises(ConfigError, match="nope.txt"):
        load_documents([good, str(tmp_path / "nope.txt")])


def test_documents_are_read_lazily(tmp_path: Path) -> None:
    first = write(tmp_path / "one.txt", b"one")
    second = tmp_path / "two.txt"
    write(second, b"two")
    docs = load_documents([first, str(second)])
    assert next(docs).text == "one"
    second.write_bytes(b"changed after the first was read")
    assert next(docs).text == "changed after the first was read"


def test_skip_ids(tmp_path: Path) -> None:
    paths = [write(tmp_path / f"{n}.txt", n.encode()) for n in ("x", "y", "z")]
    assert [d.id for d in load_documents(paths, skip={"y"})] == ["x", "z"]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("Status: Récruiting".encode())))
    (doc,) = load_documents(["-"])
    assert doc.id == "stdin" and doc.source == "-" and doc.text == "Status: Récruiting"


def test_encodings() -> None:
    assert decode_bytes(b"\xef\xbb\xbfPhase 2") == ("Phase 2", [])
    text, warnings = decode_bytes("Étude – phase".encode("utf-16"))
    assert text == "Étude – phase" and "UTF-16" in warnings[0]
    text, warnings = decode_bytes("Café “quoted” – ≥".encode("cp1252", errors="replace"))
    assert text.startswith("Café “quoted” –") and "cp1252" in warnings[0]
    text, warnings = decode_bytes(b"abc \x81 def")  # 0x81 is undefined in cp1252
    assert "latin-1" in warnings[0] and text.startswith("abc")


def test_empty_and_whitespace_only(tmp_path: Path) -> None:
    for name, data in (("empty", b""), ("blank", b" \n\t\r\n")):
        doc = read_source(Source(name, write(tmp_path / f"{name}.txt", data)))
        assert isinstance(doc.error, EmptyInputError) and doc.text is None


def test_binary(tmp_path: Path) -> None:
    nul = read_source(Source("nul", write(tmp_path / "nul.txt", b"PK\x03\x04\x00\x00binary")))
    assert isinstance(nul.error, BinaryInputError)
    noise = bytes(range(1, 32)) * 40
    ctrl = read_source(Source("ctrl", write(tmp_path / "ctrl.txt", noise)))
    assert isinstance(ctrl.error, BinaryInputError)
    with pytest.raises(BinaryInputError):
        decode_bytes(b"\x00" * 10)


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_too_large_names_size_and_limit_and_reads_little(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = write(tmp_path / "big.txt", b"x" * 5000)
    doc = read_source(Source("big", big), max_bytes=1000)
    assert isinstance(doc.error, InputTooLargeError)
    assert doc.error.size == 5000 and doc.error.limit == 1000
    assert "5,000 bytes" in doc.error.message and "1,000 bytes" in doc.error.message
    reader = CountingReader(b"y" * 5000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(reader))
    (doc,) = load_documents(["-"], max_bytes=1000)
    assert isinstance(doc.error, InputTooLargeError)
    assert reader.asked == [1001]
    exact = read_source(Source("ok", write(tmp_path / "ok.txt", b"z" * 1000)), max_bytes=1000)
    assert exact.error is None


def test_html_to_text_keeps_blocks_and_drops_chrome() -> None:
    html = """<!doctype html><html><head><title>T</title><style>p{color:red}</style></head><body>
    <nav>Home | Search</nav><h1>A Study &amp; Its Title</h1>
    <p>Status: <b>Recruiting</b></p><script>track()</script>
    <h2>Inclusion Criteria</h2><ul><li>Age &ge; 18</li><li>Signed<br>consent</li></ul>
    <table><tr><th>Phase</th><td>Phase 2</td></tr></table></body></html>"""
    text = html_to_text(html)
    lines = text.splitlines()
    assert lines[0] == "A Study & Its Title"
    assert "Status: Recruiting" in lines
    assert "• Age ≥ 18" in lines and "• Signed" in lines and "consent" in lines
    assert "Home" not in text and "track()" not in text and "color" not in text
    assert lines[-1] == "Phase\tPhase 2"  # a table row is one "label<TAB>value" line


def test_html_file_and_sniffed_html(tmp_path: Path) -> None:
    doc = read_source(Source("p", write(tmp_path / "p.htm", b"<div>One</div><div>Two</div>")))
    assert doc.text == "One\nTwo\n"
    sniffed = read_source(Source("s", write(tmp_path / "s.txt", b"<html><body><p>Hi</p></body></html>")))
    assert sniffed.text == "Hi\n"
    scripts_only = read_source(Source("e", write(tmp_path / "e.html", b"<script>x()</script>")))
    assert isinstance(scripts_only.error, EmptyInputError)
