"""What every command shares: the one-line error convention and stderr output."""

from __future__ import annotations

import sys

from rich.console import Console

# Errors and notices go to stderr; stdout carries only results (JSON Lines, schema, tables).
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, exit_code: int = 2) -> None:
    """Print one line on stderr and stop with `exit_code` (2: bad usage or configuration)."""
    print(f"trialx: error: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(exit_code)


def notice(message: str) -> None:
    print(f"trialx: {message}", file=sys.stderr)
