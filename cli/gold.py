"""`trialx gold ...`: build gold records, starting from ClinicalTrials.gov's own records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from cli.common import fail, notice
from extractor.ctgov import load_ctgov_file
from extractor.errors import TrialxError

gold_app = typer.Typer(
    name="gold",
    help="Build gold records.\n\nExample: trialx gold import-ctgov NCT01234567.json --out gold/records",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@gold_app.command("import-ctgov")
def import_ctgov_command(
    files: list[Path] = typer.Argument(
        None, help="ClinicalTrials.gov records: API v2 JSON (a study or a page of studies) or legacy XML."
    ),
    out: Path = typer.Option(..., "--out", help="Directory for the <NCT ID>.json records (created if needed)."),
) -> None:
    """Turn ClinicalTrials.gov records into TrialRecord JSON files, one per study, named by NCT ID.

    A file that cannot be imported gets a one-line error and the others still import
    (exit 1); a missing file or no file at all is a usage error (exit 2).

    Example: trialx gold import-ctgov ctgov/*.xml ctgov/*.json --out gold/records
    """
    if not files:
        fail("no files given; pass ClinicalTrials.gov XML or JSON files (see 'trialx gold import-ctgov --help')")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    failed = written = 0
    for path in files:
        try:
            records = load_ctgov_file(path)
        except TrialxError as exc:
            failed += 1
            print(f"trialx: error: {path}: {exc.one_line()}", file=sys.stderr)
            continue
        for n, record in enumerate(records):
            name = record.nct_id or (path.stem if len(records) == 1 else f"{path.stem}-{n + 1}")
            target = out / f"{name}.json"
            target.write_text(
                json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            written += 1
    notice(f"imported {written} record(s) from {len(files) - failed} of {len(files)} file(s) into {out}")
    if failed:
        raise typer.Exit(1)
