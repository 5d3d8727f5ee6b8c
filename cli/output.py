"""Where the command line writes results: stdout or a file, in any of `extractor.outputs`' formats.

Shared by `trialx extract` and `trialx batch collect`, so both write every format the same way.
"""

from __future__ import annotations

import os
import sys

from extractor.errors import ConfigError
from extractor.outputs import Writer, writer_for

__all__ = ["LineSink", "open_writer"]


class LineSink:
    """Text to stdout (flushed each) or appended to a file (one write call each: a JSON line is whole)."""

    def __init__(self, out: str | None, *, resume: bool) -> None:
        self.fd: int | None = None
        if out is not None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if resume else os.O_TRUNC)
            try:
                self.fd = os.open(out, flags, 0o644)
            except OSError as exc:
                raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from None

    def write(self, text: str) -> int:
        if self.fd is None:
            sys.stdout.write(text)
            return len(text)
        view = memoryview(text.encode("utf-8"))
        while view:  # one call in practice; a short write only continues the same line
            written = os.write(self.fd, view)
            view = view[written:]
        return len(text)

    def flush(self) -> None:
        if self.fd is None:
            sys.stdout.flush()

    def isatty(self) -> bool:
        return self.fd is None and sys.stdout.isatty()

    def close(self) -> None:
        if self.fd is not None:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None


def open_writer(output_format: str, sink: LineSink, out: str | None, *, full: bool, bom: bool,
                companion_dir: str | None, formula_guard: bool = False) -> Writer:
    """The writer of `output_format` onto `sink`; csv companion files go beside `out` (or to
    `companion_dir`), named after it (r.csv -> r.arms.csv ...); none on stdout (JSON cells instead)."""
    folder: str | None = companion_dir
    prefix = ""
    if out is not None:
        base, ext = os.path.splitext(out)
        prefix = os.path.basename(base if ext else out) + "."
        if folder is None:
            folder = os.path.dirname(out) or "."
    if output_format != "csv":
        folder = None
    return writer_for(output_format, sink, full=full, bom=bom, companion_dir=folder,  # type: ignore[arg-type]
                      companion_prefix=prefix, formula_guard=formula_guard)
