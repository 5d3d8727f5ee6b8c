"""Reading documents: files, directories, stdin; decoding, size limits, HTML to text.

A document that cannot be read becomes a `Document` carrying its `InputError`, so a batch goes
on; only a path that does not exist stops the run (a ConfigError, raised before any output).
Files are read lazily, one at a time, and never beyond the size limit plus one byte.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from extractor.html_render import render_html
from extractor.errors import (
    BinaryInputError,
    ConfigError,
    DecodeError,
    EmptyInputError,
    InputError,
    InputTooLargeError,
)

__all__ = ["DEFAULT_MAX_BYTES", "Document", "Source", "decode_bytes", "html_to_text", "is_html", "load_documents",
           "plan_sources", "read_source"]

DEFAULT_MAX_BYTES = 2_000_000
SUFFIXES = (".txt", ".md", ".html", ".htm")
_HTML_SUFFIXES = (".html", ".htm")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


@dataclass
class Document:
    """One input: its text, or the error that kept it from being read, plus decoding warnings."""

    id: str
    source: str
    text: str | None = None
    error: InputError | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """Where a document will be read from: a file path, or "-" for stdin."""

    id: str
    path: str


def plan_sources(paths: Sequence[str]) -> list[Source]:
    """Expand directories (their *.txt, *.md, *.html files, sorted); fail on a missing path."""
    missing = [p for p in paths if p != "-" and not os.path.exists(p)]
    if missing:
        raise ConfigError(f"no such file or directory: {', '.join(missing)} (check the PATH arguments)")
    sources: list[Source] = []
    for p in paths:
        if p == "-":
            sources.append(Source("stdin", "-"))
        elif os.path.isdir(p):
            files = sorted(f for f in Path(p).iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
            sources.extend(Source(f.stem, str(f)) for f in files)
        else:
            sources.append(Source(Path(p).stem, p))
    return sources


def load_documents(
    paths: Sequence[str], *, max_bytes: int = DEFAULT_MAX_BYTES, skip: Collection[str] = ()
) -> Iterator[Document]:
    """Documents in input order, read lazily; ids in `skip` are not read at all (for --resume)."""
    sources = plan_sources(paths)  # eager: a missing path fails before anything is yielded
    return (read_source(s, max_bytes=max_bytes) for s in sources if s.id not in skip)


def read_source(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    doc = Document(id=source.id, source=source.path)
    try:
        if source.path == "-":
            raw = _read_capped(sys.stdin.buffer, max_bytes, "standard input", None)
        else:
            with open(source.path, "rb") as fh:
                raw = _read_capped(fh, max_bytes, source.path, os.fstat(fh.fileno()).st_size)
        text, warnings = decode_bytes(raw, source.path)
        if is_html(source.path, text):
            text = html_to_text(text)
        if not text.strip():
            raise EmptyInputError(f"{source.path} is empty (no text to extract from)")
        doc.text, doc.warnings = text, warnings
    except InputError as exc:
        doc.error = exc
    except OSError as exc:
        doc.error = InputError(f"cannot read {source.path}: {exc.strerror or exc}")
    return doc


def _read_capped(fh: BinaryIO, limit: int, name: str, size: int | None) -> bytes:
    raw = fh.read(limit + 1)
    if len(raw) > limit:
        shown = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
        raise InputTooLargeError(
            f"{name} is {shown}, over the limit of {limit:,} bytes (raise it with --max-bytes)",
            size=size if size is not None else len(raw), limit=limit,
        )
    return raw


def decode_bytes(raw: bytes, name: str = "input") -> tuple[str, list[str]]:
    """UTF-8 (BOM or not) first; UTF-16 by its BOM; then cp1252 / latin-1 with a warning."""
    if raw.startswith(codecs.BOM_UTF8):
        return _text_or_binary(raw[3:].decode("utf-8", errors="strict"), name), []
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{name} has a UTF-16 byte-order mark but is not valid UTF-16: {exc.reason}") from None
        return _text_or_binary(text, name), [f"{name} was decoded as UTF-16"]
    if b"\x00" in raw:
        raise BinaryInputError(f"{name} looks binary (it contains NUL bytes), not registry text")
    try:
        return _text_or_binary(raw.decode("utf-8"), name), []
    except UnicodeDecodeError:
        pass
    try:
        text, encoding = raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    return _text_or_binary(text, name), [f"{name} is not valid UTF-8; decoded as {encoding}"]


def _text_or_binary(text: str, name: str) -> str:
    if text:
        sample = text[:65536]
        bad = len(_CONTROL_RE.findall(sample))
        if bad > max(8, len(sample) * 0.05):
            raise BinaryInputError(f"{name} looks binary ({bad} control characters), not registry text")
    return text


def is_html(path: str, text: str) -> bool:
    """An .html/.htm name, or text that opens as an HTML document: read through the HTML rendering."""
    if path.lower().endswith(_HTML_SUFFIXES):
        return True
    head = text[:1024].lstrip().lower()
    return head.startswith(("<!doctype html", "<html"))


def html_to_text(html: str) -> str:
    """The page's one text rendering (`extractor.html_render`): what evidence spans point into."""
    return render_html(html)
