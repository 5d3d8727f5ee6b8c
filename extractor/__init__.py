"""trialx's extraction library: the record schema, the rules, the LLM path, checks and grounding."""

from extractor.errors import TrialxError
from extractor.result import Evidence, ExtractionResult, Issue, MatchStatus, Provenance, Severity, Source, Usage
from extractor.schema import TrialRecord

__all__ = [
    "Evidence",
    "ExtractionResult",
    "Issue",
    "MatchStatus",
    "Provenance",
    "Severity",
    "Source",
    "TrialRecord",
    "TrialxError",
    "Usage",
]
