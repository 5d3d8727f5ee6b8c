"""Small builders shared by the eval tests: gold sets written to a temp directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def make_gold(root: Path, records: dict[str, dict[str, Any]]) -> Path:
    """A gold set: records/<id>.json with a one-line sources/<id>.txt beside each."""
    (root / "records").mkdir(parents=True)
    (root / "sources").mkdir()
    for doc_id, record in records.items():
        (root / "records" / f"{doc_id}.json").write_text(json.dumps(record), encoding="utf-8")
        (root / "sources" / f"{doc_id}.txt").write_text(f"Enrollment: {record.get('enrollment')}\n", encoding="utf-8")
    return root
