"""The `trialx` command: command groups joined with add_typer; errors become one line + exit code."""

from __future__ import annotations

import os
import sys
import traceback

import typer

from cli.batch import batch_app
from cli.check import check_command
from cli.extract import extract_command
from cli.gold import gold_app
from cli.evals import compare_command, eval_command, score_command
from cli.schema import schema_command
from cli.serve import serve_command
from extractor.errors import TrialxError

app = typer.Typer(
    name="trialx",
    help="Turn clinical-trial registry text into structured, checked TrialRecords.\n\n"
    "Example: trialx extract page.txt --backend rules",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Turn clinical-trial registry text into structured, checked TrialRecords."""


app.command("schema")(schema_command)
app.command("eval")(eval_command)
app.command("score")(score_command)
app.command("compare")(compare_command)
app.command("extract")(extract_command)
app.command("check")(check_command)
app.add_typer(gold_app, name="gold")
app.add_typer(batch_app, name="batch")
app.command("serve")(serve_command)



def _is_click_error(exc: BaseException) -> bool:
    # typer vendors click in recent versions; recognise its exceptions by shape, not by class.
    return hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def run(argv: list[str] | None = None) -> None:
    """Entry point: exit 0 ok, 1 some document or check failed, 2 bad usage or configuration."""
    try:
        result = app(args=argv, prog_name="trialx", standalone_mode=False)
    except TrialxError as exc:
        print(f"trialx: error: {exc.one_line()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", None)
        sys.exit(code if code is not None else exc.code if isinstance(exc, SystemExit) else 0)
    except (typer.Abort, KeyboardInterrupt):
        print("trialx: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a bare traceback
        if type(exc).__name__ == "NoArgsIsHelpError" and getattr(exc, "ctx", None) is not None:
            print(exc.ctx.get_help())  # type: ignore[attr-defined]
            sys.exit(0)
        if _is_click_error(exc):
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "trialx"
            hint = f" (see '{where} --help')" if exc.exit_code == 2 else ""  # type: ignore[attr-defined]
            print(f"trialx: error: {_one_line(exc.format_message())}{hint}", file=sys.stderr)  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if os.environ.get("TRIALX_DEBUG"):
            traceback.print_exc()
        print(
            f"trialx: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
            "(set TRIALX_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    run()
