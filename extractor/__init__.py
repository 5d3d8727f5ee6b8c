"""trialx's extraction library: registry text in, a grounded and checked `TrialRecord` out.

Core modules (schema, result, errors, inputs, grounding, checks, merge, pipeline) sit beside three
sub-packages: `rules` (deterministic), `llm` (the model path) and `importers` (CT.gov records).
"""

from extractor.backend import Backend, Settings, resolve_backend
from extractor.checks import run_checks
from extractor.errors import TrialxError
from extractor.grounding import ground
from extractor.home import trialx_home
from extractor.importers import import_ctgov_file, load_ctgov_file
from extractor.inputs import Document, load_documents
from extractor.pipeline import Outcome, document_error, extract_documents, extract_stream, make_backend
from extractor.result import (
    DocumentError,
    Evidence,
    ExtractionResult,
    Issue,
    MatchStatus,
    Provenance,
    Severity,
    Source,
    Usage,
)
from extractor.rules import assess, extract_rules, extract_rules_result
from extractor.schema import TrialRecord

__all__ = [
    "Backend",
    "Document",
    "DocumentError",
    "Evidence",
    "ExtractionResult",
    "Issue",
    "MatchStatus",
    "Outcome",
    "Provenance",
    "Settings",
    "Severity",
    "Source",
    "TrialRecord",
    "TrialxError",
    "Usage",
    "assess",
    "document_error",
    "extract_documents",
    "extract_rules",
    "extract_rules_result",
    "extract_stream",
    "ground",
    "import_ctgov_file",
    "load_ctgov_file",
    "load_documents",
    "make_backend",
    "resolve_backend",
    "run_checks",
    "trialx_home",
]
