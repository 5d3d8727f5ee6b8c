"""Small builders shared by the tests: gold sets written to a temp directory, a fixed rules backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from extractor.backend import Backend, BackendName
from extractor.result import ExtractionResult


def make_gold(root: Path, records: dict[str, dict[str, Any]]) -> Path:
    """A gold set: records/<id>.json with a one-line sources/<id>.txt beside each."""
    (root / "records").mkdir(parents=True)
    (root / "sources").mkdir()
    for doc_id, record in records.items():
        (root / "records" / f"{doc_id}.json").write_text(json.dumps(record), encoding="utf-8")
        (root / "sources" / f"{doc_id}.txt").write_text(f"Enrollment: {record.get('enrollment')}\n", encoding="utf-8")
    return root


class FixedRules(Backend):
    """A rules backend that answers every document with a result the test chose (id and source swapped in)."""

    name: ClassVar[BackendName] = "rules"

    def __init__(self, result: ExtractionResult) -> None:
        self.result = result

    async def extract(self, doc_id: str, source: str, text: str) -> ExtractionResult:
        return self.result.model_copy(deep=True, update={"id": doc_id, "source": source})
