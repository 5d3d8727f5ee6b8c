"""trialx's review page: a person checks each record against its page, corrects it, and the
reviewed records become gold (`export_gold`) that `trialx eval --gold DIR` reads.

`mount_review(app, ReviewConfig(catalog, store, verify_token))` adds /review/... to a FastAPI app;
a `Catalog` says which documents there are (`RunCatalog` for a saved run directory).
"""

from review.edits import Edit, EditError, apply_edits, field_info
from review.gold import export_gold, gold_zip
from review.routes import ReviewConfig, mount_review
from review.sources import Catalog, CombinedCatalog, DocumentEntry, DocumentView, JobSummary, RunCatalog, run_job_id, unique_id
from review.state import DocumentState, current_state
from review.store import Change, ReviewStore

__all__ = [
    "Catalog",
    "Change",
    "CombinedCatalog",
    "DocumentEntry",
    "DocumentState",
    "DocumentView",
    "Edit",
    "EditError",
    "JobSummary",
    "ReviewConfig",
    "ReviewStore",
    "RunCatalog",
    "apply_edits",
    "current_state",
    "export_gold",
    "field_info",
    "gold_zip",
    "mount_review",
    "run_job_id",
    "unique_id",
]
