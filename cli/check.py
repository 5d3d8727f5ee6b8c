"""`trialx check`: the consistency (and, with the source, grounding) checks on saved records."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from extractor.checks import check_raw, run_checks
from extractor.errors import ConfigError
from extractor.grounding import ground
from extractor.inputs import SUFFIXES, Source, read_source
from extractor.result import Issue, Severity
from extractor.schema import TrialRecord


def _records(path: str) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """(id, raw record dict, problem) for a TrialRecord JSON file or a JSON Lines file of results."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 JSON") from None
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        if "record" in whole:
            yield str(whole.get("id", Path(path).stem)), whole["record"], None
        else:
            yield Path(path).stem, whole, None
        return
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ConfigError(f"{path} holds no record (expected a TrialRecord JSON or JSON Lines of results)")
    for n, line in enumerate(lines, start=1):
        try:
            item = json.loads(line)
        except ValueError:
            yield f"{Path(path).stem}:{n}", None, f"line {n} is not JSON"
            continue
        if not isinstance(item, dict):
            yield f"{Path(path).stem}:{n}", None, f"line {n} is not a JSON object"
        elif "error" in item and "record" not in item:
            continue  # a document that failed to extract has nothing to check
        elif "record" in item:
            yield str(item.get("id", f"{Path(path).stem}:{n}")), item["record"], None
        else:
            yield str(item.get("id", f"{Path(path).stem}:{n}")), item, None


def _source_text(source: str, doc_id: str, single: bool) -> str | None:
    if os.path.isdir(source):
        for suffix in SUFFIXES:
            candidate = os.path.join(source, doc_id + suffix)
            if os.path.isfile(candidate):
                source = candidate
                break
        else:
            return None
    elif not single and Path(source).stem != doc_id:
        return None
    doc = read_source(Source(doc_id, source))
    if doc.error is not None:
        raise ConfigError(f"cannot use --source {source}: {doc.error.one_line()}")
    return doc.text


def check_command(
    record_file: str = typer.Argument(..., metavar="RECORD.json", help="A TrialRecord JSON file or JSON Lines of extract results."),
    source: str | None = typer.Option(None, "--source", help="The source text (a file, or a directory of <id>.txt) to ground against."),
) -> None:
    """Run the consistency checks (and grounding, with --source) and print the issues as JSON Lines.

    Exit 1 when any issue has severity error.
    Example: trialx check results.jsonl --source samples/
    """
    if not os.path.isfile(record_file):
        raise ConfigError(f"no such file: {record_file} (pass a TrialRecord JSON or a JSON Lines file)")
    if source is not None and not os.path.exists(source):
        raise ConfigError(f"no such file or directory: {source} (the --source text)")
    items = list(_records(record_file))
    errors = 0
    for doc_id, raw, problem in items:
        issues: list[Issue] = []
        if problem is not None or raw is None:
            issues.append(Issue(code="INVALID_RECORD", severity=Severity.ERROR, paths=[], message=problem or "no record"))
        else:
            issues += check_raw(raw)
            try:
                record = TrialRecord.model_validate(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                issues.append(Issue(code="INVALID_RECORD", severity=Severity.ERROR, paths=[where] if where else [],
                                    message=f"not a valid TrialRecord: {where}: {first['msg']}"))
            else:
                issues += run_checks(record)
                if source is not None:
                    text = _source_text(source, doc_id, single=len(items) == 1)
                    if text is not None:
                        issues += ground(record, text)[1]
        for issue in issues:
            errors += issue.severity == Severity.ERROR
            typer.echo(json.dumps({"id": doc_id, **issue.model_dump(mode="json")}, ensure_ascii=False))
    raise typer.Exit(1 if errors else 0)
