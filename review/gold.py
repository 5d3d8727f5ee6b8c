"""Reviewed documents become gold: `sources/<id>.txt` and `records/<id>.json`, the layout
`trialx eval --gold DIR` reads (with `ids.json` naming the documents whose id is not a safe file
name); a document is in it only once a person marked it reviewed."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

from review.sources import Catalog
from review.state import DocumentState, current_state
from evals import IDS_FILE
from review.store import ReviewStore

__all__ = ["export_gold", "gold_files", "gold_zip", "reviewed_states"]


def safe_name(doc_id: str) -> str:
    """A file name for a document id: nothing that walks out of the directory."""
    name = re.sub(r"[^A-Za-z0-9_.~-]+", "_", doc_id).lstrip(".")
    return name or "document"


def reviewed_states(catalog: Catalog, store: ReviewStore, job: str) -> list[DocumentState]:
    """The current state of each document of `job` marked reviewed (and holding a record)."""
    marks = store.reviewed(job)
    out = []
    for entry in catalog.entries(job):
        if entry.doc_id not in marks:
            continue
        view = catalog.document(job, entry.doc_id)
        if view is None:
            continue
        state = current_state(view, store.changes(job, entry.doc_id), marks[entry.doc_id])
        if state.record is not None:
            out.append(state)
    return out


def gold_files(states: list[DocumentState]) -> dict[str, str]:
    """Relative path -> content for a gold set of these documents."""
    files: dict[str, str] = {}
    taken: set[str] = set()
    renamed: dict[str, str] = {}
    for state in states:
        if state.record is None:
            continue
        name = safe_name(state.doc_id)
        if name in taken:  # "a/b" and "a b" both make "a_b": keep both documents
            name = f"{name}~{hashlib.sha256(state.doc_id.encode('utf-8')).hexdigest()[:8]}"
        taken.add(name)
        if name != state.doc_id:
            renamed[name] = state.doc_id
        files[f"sources/{name}.txt"] = state.text
        files[f"records/{name}.json"] = json.dumps(state.record.model_dump(mode="json"), indent=2,
                                                   ensure_ascii=False) + "\n"
    if renamed:  # file name -> the document's own id, so scores match runs that used the ids
        files[IDS_FILE] = json.dumps(renamed, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return files


def export_gold(catalog: Catalog, store: ReviewStore, job: str, out_dir: Path) -> list[str]:
    """Write the reviewed documents of `job` under out_dir; the ids written."""
    states = reviewed_states(catalog, store, job)
    for rel, content in gold_files(states).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return [s.doc_id for s in states]


def gold_zip(catalog: Catalog, store: ReviewStore, job: str) -> bytes:
    """The same gold set as one zip (the export button)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, content in gold_files(reviewed_states(catalog, store, job)).items():
            zf.writestr(rel, content)
    return buf.getvalue()
