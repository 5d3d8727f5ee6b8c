"""`trialx schema`: the JSON Schema of the trial record."""

from __future__ import annotations

import json

import typer

from extractor.schema import TrialRecord


def schema_command(
    indent: int = typer.Option(2, help="JSON indentation (0 for one line)."),
) -> None:
    """Print the JSON Schema of the TrialRecord (field names, types, enum values).

    Example: trialx schema > trialrecord.schema.json
    """
    typer.echo(json.dumps(TrialRecord.model_json_schema(), indent=indent or None, ensure_ascii=False))
