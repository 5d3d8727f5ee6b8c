"""trialx's extraction library: the record schema, the rules, the LLM path, checks and grounding.

The public surface is small on purpose; everything else is an implementation detail.
"""

from extractor.checks import run_checks
from extractor.ctgov import import_ctgov_file, load_ctgov_file
from extractor.errors import TrialxError
from extractor.grounding import ground
from extractor.inputs import Document, load_documents
from extractor.pipeline import Settings, extract_documents, extract_rules_result, extract_stream, resolve_backend
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
from extractor.rules import extract_rules
from extractor.schema import TrialRecord

__all__ = [
    "Document",
    "DocumentError",
    "Evidence",
    "ExtractionResult",
    "Issue",
    "MatchStatus",
    "Provenance",
    "Settings",
    "Severity",
    "Source",
    "TrialRecord",
    "TrialxError",
    "Usage",
    "extract_documents",
    "extract_rules",
    "extract_rules_result",
    "extract_stream",
    "ground",
    "import_ctgov_file",
    "load_ctgov_file",
    "load_documents",
    "resolve_backend",
    "run_checks",
]
