"""trialx's HTTP service: `trialx serve`, extraction jobs over a durable SQLite queue.

The service runs documents through the same pipeline as `trialx extract` (make_backend ->
Backend.extract, document_error for failures); jobs, documents and results live in SQLite (WAL)
under $TRIALX_HOME so a killed server finishes its jobs after a restart, each document once.
"""

from service.app import create_app
from service.auth import TokenRegistry
from service.config import ServiceConfig
from service.store import JobInfo, JobStore

__all__ = ["JobInfo", "JobStore", "ServiceConfig", "TokenRegistry", "create_app"]
