"""Where trialx keeps its state: `$TRIALX_HOME`, else the user data directory.

One home for the response cache, saved runs and the service's database (spec/cli.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

__all__ = ["trialx_home"]


def trialx_home() -> Path:
    """`$TRIALX_HOME`, read at call time (tests set it per test), else the user data dir."""
    env = os.environ.get("TRIALX_HOME")
    return Path(env) if env else Path(user_data_dir("trialx", appauthor=False))
