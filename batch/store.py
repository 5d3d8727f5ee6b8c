"""The batch directory: manifest, journal, documents and rules' results, each written crash-safe.

Whole files are written to a temporary name, fsynced and renamed (`atomic_write`), so a `kill -9`
leaves either the old file or the new one. The journal (`journal.jsonl`) is append-only, one
fsynced line per event (an uploaded file, a created batch, a retry round); a torn last line is
ignored on read, so every command can start again from what the journal says is done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from extractor.errors import ConfigError

__all__ = ["BatchDir", "atomic_write"]

MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
DOCUMENTS = "documents.jsonl"
RULES = "rules.jsonl"


@contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write `path` through `path.tmp`, fsync, then rename: readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, mode, encoding=None if "b" in mode else "utf-8") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class BatchDir:
    """One prepared run on disk (see the module docstring for the files)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def file(self, name: str) -> Path:
        return self.path / name

    # -- manifest ---------------------------------------------------------------------------
    def prepared(self) -> bool:
        return self.file(MANIFEST).is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.prepared():
            raise ConfigError(f"{self.path} is not a prepared batch directory (no {MANIFEST}): run 'trialx batch prepare' first")
        data = json.loads(self.file(MANIFEST).read_text(encoding="utf-8"))
        assert isinstance(data, dict)
        return data

    def write_manifest(self, data: dict[str, Any]) -> None:
        with atomic_write(self.file(MANIFEST)) as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")

    # -- journal ----------------------------------------------------------------------------
    def log(self, event: str, **data: Any) -> None:
        line = json.dumps({"event": event, **data}, sort_keys=True) + "\n"
        fd = os.open(self.file(JOURNAL), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def journal(self) -> list[dict[str, Any]]:
        path = self.file(JOURNAL)
        if not path.is_file():
            return []
        events = []
        for raw in path.read_bytes().splitlines():
            try:
                item = json.loads(raw)
            except ValueError:
                continue  # a line torn by a crash: its event never happened
            if isinstance(item, dict):
                events.append(item)
        return events

    # -- documents and rules' results (one line each, in input order) -----------------------
    def documents(self) -> Iterator[dict[str, Any]]:
        yield from _lines(self.file(DOCUMENTS))

    def rules(self) -> Iterator[dict[str, Any]]:
        yield from _lines(self.file(RULES))


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            if raw.strip():
                yield json.loads(raw)
