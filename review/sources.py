"""Where the review page finds documents: a Catalog lists a job's documents and gives one's text
and extract line; RunCatalog reads a saved run directory (the service adds a catalog of its jobs)."""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.errors import ConfigError
from extractor.inputs import Source, read_source

__all__ = ["Catalog", "CombinedCatalog", "DocumentEntry", "DocumentView", "JobSummary", "RunCatalog", "run_job_id",
           "unique_id"]


@dataclass(frozen=True)
class JobSummary:
    id: str
    title: str
    documents: int


@dataclass(frozen=True)
class DocumentEntry:
    """One document of a job as the queue sees it: its id and its extract line (result or error)."""

    doc_id: str
    source: str
    line: dict[str, Any]


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    source: str
    text: str
    line: dict[str, Any]


class Catalog(ABC):
    """The documents a reviewer may open, by job; `owns` is the access rule (a token sees its own)."""

    @abstractmethod
    def jobs(self, who: str) -> list[JobSummary]:
        """The jobs `who` may review."""

    @abstractmethod
    def owns(self, job: str, who: str) -> bool:
        """Whether `who` may open `job` (False also when there is no such job)."""

    @abstractmethod
    def entries(self, job: str) -> list[DocumentEntry]:
        """The job's documents in input order."""

    @abstractmethod
    def document(self, job: str, doc: str) -> DocumentView | None:
        """One document with its text, or None."""


class CombinedCatalog(Catalog):
    """Several catalogs as one: a job belongs to the first that knows it."""

    def __init__(self, catalogs: list[Catalog]) -> None:
        self.catalogs = catalogs

    def jobs(self, who: str) -> list[JobSummary]:
        return [j for c in self.catalogs for j in c.jobs(who)]

    def owns(self, job: str, who: str) -> bool:
        return any(c.owns(job, who) for c in self.catalogs)

    def entries(self, job: str) -> list[DocumentEntry]:
        for c in self.catalogs:
            if found := c.entries(job):
                return found
        return []

    def document(self, job: str, doc: str) -> DocumentView | None:
        for c in self.catalogs:
            if (view := c.document(job, doc)) is not None:
                return view
        return None


def run_job_id(run_dir: Path) -> str:
    """A stable, linkable id for a run directory: its name and a short hash of its full path."""
    resolved = Path(run_dir).resolve()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", resolved.name).strip("-.")[:40] or "run"
    return f"run-{name}-{hashlib.sha1(str(resolved).encode('utf-8')).hexdigest()[:8]}"


class RunCatalog(Catalog):
    """A saved run (`predictions.jsonl`, and `run.json` naming the gold it came from) as one job.

    Texts are read again from each line's `source` (as `trialx extract` read them, HTML turned to
    text), else from the run's gold `sources/`. `owners` None: any signed-in reviewer may open it."""

    def __init__(self, run_dir: Path, owners: set[str] | None = None) -> None:
        self.dir = Path(run_dir)
        path = self.dir / "predictions.jsonl"
        if not path.is_file():
            raise ConfigError(f"{path} not found: is {run_dir} a run directory made by 'trialx eval' "
                           "(or a directory holding 'trialx extract' output as predictions.jsonl)?")
        self.id = run_job_id(self.dir)
        self.owners = owners
        self._lines: list[DocumentEntry] = []
        seen: dict[str, int] = {}
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                line = {"id": f"line-{n}", "source": "", "error": {"code": "BAD_LINE", "message": "not JSON"}}
            doc = unique_id(str(line.get("id") or f"line-{n}"), seen)
            self._lines.append(DocumentEntry(doc, str(line.get("source") or ""), line))
        try:
            info = json.loads((self.dir / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        self.gold = Path(info["gold"]) if isinstance(info, dict) and info.get("gold") else None
        self._texts: dict[str, str] = {}

    def jobs(self, who: str) -> list[JobSummary]:
        mine = self.owners is None or who in self.owners
        return [JobSummary(self.id, f"run {self.dir.name}", len(self._lines))] if mine else []

    def owns(self, job: str, who: str) -> bool:
        return job == self.id and (self.owners is None or who in self.owners)

    def entries(self, job: str) -> list[DocumentEntry]:
        return list(self._lines) if job == self.id else []

    def document(self, job: str, doc: str) -> DocumentView | None:
        if job != self.id:
            return None
        entry = next((e for e in self._lines if e.doc_id == doc), None)
        if entry is None:
            return None
        if doc not in self._texts:
            self._texts[doc] = self._read_text(entry)
        return DocumentView(entry.doc_id, entry.source, self._texts[doc], entry.line)

    def _read_text(self, entry: DocumentEntry) -> str:
        candidates = []
        if entry.source and entry.source != "-":
            src = Path(entry.source)
            candidates += [src] if src.is_absolute() else [src, self.dir / src, self.dir.parent / src]
        if self.gold is not None:
            candidates += [self.gold / "sources" / f"{entry.doc_id}{ext}" for ext in (".txt", ".md", ".html")]
        for path in candidates:
            if path.is_file():
                read = read_source(Source(entry.doc_id, str(path)))
                if read.text is not None:
                    return read.text
        return ""


def unique_id(doc: str, seen: dict[str, int]) -> str:
    """`doc`, or `doc~2`, `doc~3` for later documents of the same id in one job."""
    seen[doc] = seen.get(doc, 0) + 1
    name = doc if seen[doc] == 1 else f"{doc}~{seen[doc]}"
    while name != doc and name in seen:  # a real document already called "dup~2"
        seen[doc] += 1
        name = f"{doc}~{seen[doc]}"
    if name != doc:
        seen[name] = seen.get(name, 0) + 1
    return name
