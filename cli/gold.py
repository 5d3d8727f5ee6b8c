"""`trialx gold ...`: build gold records, starting from ClinicalTrials.gov's own records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from cli.common import fail, notice
from extractor.importers import load_ctgov_file
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


@gold_app.command("agreement")
def agreement_command(
    dir_a: Path = typer.Argument(..., help="One labelling: a directory of <id>.json TrialRecords."),
    dir_b: Path = typer.Argument(..., help="The other labelling of the same pages."),
    as_json: bool = typer.Option(False, "--json", help="Print the full agreement as JSON."),
) -> None:
    """Measure how far two independent labellings of the same pages agree, field by field.

    Exact agreement: identical normalized values. Graded: the eval scorer's score, both ways.

    Example: trialx gold agreement gold/annotations/a gold/annotations/b
    """
    from rich.console import Console
    from rich.table import Table

    from evals.agreement import agreement

    result = agreement(dir_a, dir_b)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    overall = result["overall"]
    table = Table(title=f"agreement over {len(result['documents'])} documents: "
                  f"exact {overall['exact']:.3f} ({overall['identical']}/{overall['compared']} fields), "
                  f"graded {overall['graded']:.3f}")
    for column in ("field", "compared", "identical", "exact", "graded", "differ in"):
        table.add_column(column)
    for name, f in result["fields"].items():
        table.add_row(name, str(f["compared"]), str(f["identical"]), f"{f['exact']:.3f}", f"{f['graded']:.3f}",
                      ", ".join(d[:12] for d in f["differ_in"]))
    Console().print(table)


@gold_app.command("export")
def export_command(
    job_or_run: str = typer.Argument(..., help="A run directory (predictions.jsonl), or a job id of the service."),
    out: Path = typer.Option(..., "--out", help="Gold directory to write (sources/ and records/; created if needed)."),
    db: Path | None = typer.Option(None, "--db", help="The service's job database (default: $TRIALX_HOME/service.sqlite)."),
    review_db: Path | None = typer.Option(None, "--review-db",
                                          help="The review page's database (default: $TRIALX_HOME/review.sqlite)."),
) -> None:
    """Write the documents a person marked reviewed, with their corrections, as a gold set.

    The result is what 'trialx eval --gold DIR' reads: sources/<id>.txt and records/<id>.json.

    Example: trialx gold export ~/.local/share/trialx/runs/20260101T000000Z --out gold/reviewed
    """
    from extractor import trialx_home
    from review import ReviewStore, RunCatalog, export_gold
    from review.sources import Catalog
    from service import JobStore
    from service.review import JobCatalog

    home = trialx_home()
    reviews_path = review_db or home / "review.sqlite"
    if not reviews_path.is_file():
        fail(f"no review database at {reviews_path}: review something first, or pass --review-db")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} exists and is not a directory")
    catalog: Catalog
    run = Path(job_or_run)
    if run.is_dir():
        catalog = RunCatalog(run)
        job = catalog.id
    else:
        jobs_path = db or home / "service.sqlite"
        if not jobs_path.is_file():
            fail(f"{job_or_run} is not a run directory, and there is no service database at {jobs_path} (pass --db)")
        store = JobStore(jobs_path, requeue=False)  # a running service keeps its claims
        if store.get_job(job_or_run) is None:
            fail(f"no run directory or job {job_or_run!r} (jobs in {jobs_path})")
        catalog, job = JobCatalog(store), job_or_run
    written = export_gold(catalog, ReviewStore(reviews_path), job, out)
    notice(f"exported {len(written)} reviewed document(s) to {out}"
           + ("" if written else " (none is marked reviewed yet)"))
