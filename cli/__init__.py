"""trialx's command line: one module per command group, joined in `cli.main`.

It reads arguments and prints; the work is done by `evals` and `extractor`.
"""

from cli.main import app, run

__all__ = ["app", "run"]
